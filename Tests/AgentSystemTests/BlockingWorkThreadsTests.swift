import AgentSystem
import Foundation
import Synchronization
import Testing

/// Blocking work runs on threads with the stack asked for; a caller can stop waiting (cancelled,
/// shut down) while the work is stuck, and the work is told to stop.
struct BlockingWorkThreadsTests {
    /// A latch the test opens to let stuck work finish.
    final class Gate: Sendable {
        let isOpen = Mutex(false)
        let entered = Mutex(0)
        func open() { isOpen.withLock { $0 = true } }
        func wait() {
            entered.withLock { $0 += 1 }
            while !isOpen.withLock({ $0 }) { usleep(1000) }
        }
        /// Returns once `count` jobs are inside `wait()` (polling: readiness, not timing).
        func waitUntilEntered(_ count: Int) async throws {
            while entered.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    final class Box<Value: Sendable>: Sendable {
        let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
    }

    @Test func workRunsWithTheStackAskedFor() async throws {
        let threads = BlockingWorkThreads(stackSize: 64 << 20, maximumActive: 2, maximumThreads: 4)
        let size = await threads.run(onAbandon: {}) { () -> Int in
            var attributes = pthread_attr_t()
            guard threadAttributes(pthread_self(), &attributes) == 0 else { return 0 }
            defer { pthread_attr_destroy(&attributes) }
            var size = 0
            pthread_attr_getstacksize(&attributes, &size)
            return size
        }
        #expect(try size.get() >= 64 << 20)
    }

    @Test func aCancelledCallerStopsWaitingAndTheWorkIsToldToStop() async throws {
        let threads = BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 1, maximumThreads: 2)
        let gate = Gate()
        let told = Box(false)
        let waiter = Task {
            await threads.run(onAbandon: { told.value.withLock { $0 = true } }) {
                gate.wait()
                return 1
            }
        }
        try await gate.waitUntilEntered(1)
        waiter.cancel()
        #expect(await waiter.value.failure == .cancelled)
        #expect(told.value.withLock { $0 })
        // Abandoned work no longer counts as active: another job runs while it is still stuck.
        #expect(await threads.run(onAbandon: {}) { 2 } == .success(2))
        gate.open()
    }

    @Test func shutdownEndsEveryWaitAndRefusesNewWork() async throws {
        let threads = BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 1, maximumThreads: 4)
        let gate = Gate()
        let running = Task { await threads.run(onAbandon: {}) { gate.wait() } }
        try await gate.waitUntilEntered(1)
        let queued = Task { await threads.run(onAbandon: {}) { gate.wait() } }
        threads.shutdown()
        #expect(await running.value.failure == .shuttingDown)
        #expect(await queued.value.failure == .shuttingDown)
        #expect(await threads.run(onAbandon: {}) { () }.failure == .shuttingDown)
        gate.open()
    }

    @Test func atMostTheActiveLimitRunsAtOnce() async throws {
        let threads = BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 2, maximumThreads: 8)
        let gate = Gate()
        let running = Box((now: 0, most: 0))
        let jobs = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        _ = await threads.run(onAbandon: {}) {
                            running.value.withLock {
                                $0.now += 1
                                $0.most = max($0.most, $0.now)
                            }
                            gate.wait()
                            running.value.withLock { $0.now -= 1 }
                        }
                    }
                }
            }
        }
        try await gate.waitUntilEntered(2)  // two run at once while the gate is shut
        gate.open()
        await jobs.value
        #expect(running.value.withLock { $0.most } == 2)
        #expect(gate.entered.withLock { $0 } == 6)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

/// glibc's `pthread_getattr_np` (a GNU extension the Swift overlay does not show).
@_silgen_name("pthread_getattr_np")
private func threadAttributes(_ thread: pthread_t, _ attributes: UnsafeMutablePointer<pthread_attr_t>) -> Int32
