import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs blocking work (libgit2) on threads of its own, each with a large stack, never on the
/// event loops and never in a way that lets a stuck job hold up anyone else for ever.
///
/// - Each job gets a fresh detached thread with `stackSize` bytes of stack (reserved, committed
///   only as used), so that a deep but bounded recursion in a C library cannot overflow it.
/// - At most `maximumActive` jobs run at once; more wait their turn in order.
/// - The caller may stop waiting (its task is cancelled, e.g. at its deadline) or `shutdown()`
///   may stop all waits: the job is then *abandoned*: `onAbandon` tells it to stop at its next
///   chance, its caller gets `.abandoned` at once, and its thread ends on its own. Abandoned
///   threads stop counting as active, but at most `maximumThreads` threads exist in all, so that
///   jobs stuck for ever cannot pile up threads without end.
///
/// The corresponding C calls are `pthread_attr_setstacksize` and `pthread_create` (detached).
public final class BlockingWorkThreads: Sendable {
    /// Why a job's caller stopped waiting for it.
    public enum Abandoned: Error, Hashable, Sendable {
        /// The caller's task was cancelled (its deadline passed, say).
        case cancelled
        /// `shutdown()` was called, or had been before the job could start.
        case shuttingDown
        /// A thread could not be started (`pthread_create` failed), or `maximumThreads` stuck
        /// threads exist.
        case noThread
    }

    public let stackSize: Int
    public let maximumActive: Int
    public let maximumThreads: Int

    private struct Job {
        let resume: @Sendable (Abandoned) -> Void
    }

    private struct State {
        var active = 0
        var threads = 0
        var isShutDown = false
        var nextID = 0
        var running: [Int: Job] = [:]
        var waiting: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - stackSize: bytes of stack per thread (rounded up to pages by the system).
    ///   - maximumActive: jobs that may run at once.
    ///   - maximumThreads: threads that may exist at once, abandoned ones included.
    public init(stackSize: Int, maximumActive: Int, maximumThreads: Int) {
        self.stackSize = stackSize
        self.maximumActive = max(1, maximumActive)
        self.maximumThreads = max(self.maximumActive, maximumThreads)
    }

    /// Runs `work` on a thread of its own and returns its result, or `.abandoned` when the
    /// caller's task is cancelled or the threads shut down first (then `onAbandon` runs once).
    public func run<Value: Sendable>(
        onAbandon: @escaping @Sendable () -> Void,
        _ work: @escaping @Sendable () -> Value
    ) async -> Result<Value, Abandoned> {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        guard await waitForTurn(id) else {
            return .failure(state.withLock { $0.isShutDown } ? .shuttingDown : .cancelled)
        }
        let once = ResumeOnce<Result<Value, Abandoned>>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Abandoned>, Never>) in
                once.set(continuation)
                let abandon: @Sendable (Abandoned) -> Void = { reason in
                    let wasRunning = self.state.withLock { state -> Bool in
                        guard state.running.removeValue(forKey: id) != nil else { return false }
                        state.active -= 1
                        return true
                    }
                    if wasRunning {
                        onAbandon()
                        self.startWaiting()
                    }
                    once.resume(.failure(reason))
                }
                let refusal = state.withLock { state -> Abandoned? in
                    let reason: Abandoned? = state.isShutDown ? .shuttingDown : (Task.isCancelled ? .cancelled : nil)
                    if reason != nil {
                        state.active -= 1
                        state.threads -= 1
                    } else {
                        state.running[id] = Job(resume: abandon)
                    }
                    return reason
                }
                if let refusal {
                    startWaiting()
                    once.resume(.failure(refusal))
                    return
                }
                let started = Self.startThread(stackSize: stackSize) {
                    let value = work()
                    let wasRunning = self.state.withLock { state -> Bool in
                        state.threads -= 1
                        guard state.running.removeValue(forKey: id) != nil else { return false }
                        state.active -= 1
                        return true
                    }
                    self.startWaiting()
                    if wasRunning { once.resume(.success(value)) }
                }
                if !started {
                    state.withLock { $0.threads -= 1 }
                    abandon(.noThread)
                }
            }
        } onCancel: {
            let job = state.withLock { $0.running[id] }
            job?.resume(.cancelled)
            if job == nil { cancelWait(id) }
        }
    }

    /// Refuses new jobs and abandons every running and waiting one (their callers return at once).
    public func shutdown() {
        let (jobs, waiters) = state.withLock { state in
            state.isShutDown = true
            defer { state.waiting = [] }
            return (Array(state.running.values), state.waiting)
        }
        for waiter in waiters { waiter.continuation.resume(returning: false) }
        for job in jobs { job.resume(.shuttingDown) }
    }

    /// Waits until a job may start; `false` when shut down or cancelled meanwhile. On `true`,
    /// the job counts as active and as a thread.
    private func waitForTurn(_ id: Int) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let startsNow = state.withLock { state -> Bool? in
                    if state.isShutDown || Task.isCancelled { return false }
                    if state.waiting.isEmpty, state.active < maximumActive, state.threads < maximumThreads {
                        state.active += 1
                        state.threads += 1
                        return true
                    }
                    state.waiting.append((id, continuation))
                    return nil
                }
                if let startsNow { continuation.resume(returning: startsNow) }
            }
        } onCancel: {
            cancelWait(id)
        }
    }

    private func cancelWait(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting.remove(at: index).continuation
        }
        waiter?.resume(returning: false)
    }

    /// Lets the next waiting jobs start while there is room.
    private func startWaiting() {
        var ready: [CheckedContinuation<Bool, Never>] = []
        state.withLock { state in
            while !state.waiting.isEmpty, state.active < maximumActive, state.threads < maximumThreads {
                state.active += 1
                state.threads += 1
                ready.append(state.waiting.removeFirst().continuation)
            }
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Resumes a continuation at most once, whoever comes first.
    private final class ResumeOnce<Value: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

        func set(_ value: CheckedContinuation<Value, Never>) {
            continuation.withLock { $0 = value }
        }

        func resume(_ value: Value) {
            continuation.withLock { stored in
                stored?.resume(returning: value)
                stored = nil
            }
        }
    }

    /// What a new thread runs; passed to it as `pthread_create`'s argument.
    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread with the given stack size. Calls `pthread_create`.
    private static func startThread(stackSize: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return false }
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstacksize(&attributes, stackSize) == 0,
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) == 0
        else { return false }
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, context)
        if result != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return false
        }
        return true
    }
}
