import AgentGit
import AgentProtocol
import AgentSystem

/// Runs one git operation's blocking libgit2 work on the git threads, with its deadline, while
/// forwarding libgit2's events as progress frames.
///
/// The caller gets an answer by the deadline at the latest, whatever libgit2 is doing: the
/// operation is then told to stop (at libgit2's next callback) and its thread finishes on its
/// own. On shutdown every wait ends at once (`BlockingWorkThreads.shutdown`).
struct GitOperationRunner: Sendable {
    let threads: BlockingWorkThreads

    /// Events held for a client that takes its progress frames slowly (or not at all, until the
    /// connection's write deadline closes it); beyond it the oldest are dropped.
    static let bufferedEvents = 256

    /// - Parameters:
    ///   - timeLimit: the operation's deadline, from now.
    ///   - wantsProgress: whether transfer progress and the server's progress reach the client
    ///     (the server's other messages always do).
    func run<Value: Sendable>(
        timeLimit: Duration,
        what: String,
        wantsProgress: Bool,
        progress: @escaping @Sendable (Frame) async -> Void,
        _ work: @escaping @Sendable (OperationControl, @escaping @Sendable (TransferEvent) -> Void) throws(GitServiceError) -> Value
    ) async throws(GitServiceError) -> Value {
        let control = OperationControl(deadline: .now + timeLimit)
        let minutes = timeLimit.components.seconds / 60
        let timeout = GitServiceError.failed(
            "the \(what) did not finish within \(minutes > 0 ? "\(minutes) minutes" : "\(timeLimit.components.seconds) s") (the agent's limit)",
            code: "timeout")
        let (events, continuation) = AsyncStream.makeStream(of: TransferEvent.self, bufferingPolicy: .bufferingNewest(Self.bufferedEvents))
        let threads = self.threads
        // Forwards events until the work ends (its task finishes the stream), draining what is left.
        async let forwarding: Void = Self.forward(events, to: progress)
        let result = await withTaskGroup(of: Result<Value, GitServiceError>.self) { group -> Result<Value, GitServiceError> in
            group.addTask {
                defer { continuation.finish() }
                let outcome = await threads.run(onAbandon: { control.stop("the operation was stopped") }) {
                    Result { () throws(GitServiceError) -> Value in
                        try work(control) { event in
                            if wantsProgress || (event.isRemoteMessage && !event.isRemoteProgress) { continuation.yield(event) }
                        }
                    }
                }
                switch outcome {
                case .success(let result): return result
                case .failure(.shuttingDown): return .failure(.failed("the agent is shutting down", code: "shutting-down"))
                case .failure(.cancelled): return .failure(timeout)
                case .failure(.noThread): return .failure(.failed("the agent has no thread free for git work; try again", code: "busy"))
                }
            }
            group.addTask {
                try? await Task.sleep(until: control.deadline)
                return .failure(timeout)
            }
            let first = await group.next() ?? .failure(timeout)
            control.stop("the operation was stopped")
            group.cancelAll()
            return first
        }
        await forwarding
        return try result.get()
    }

    private static func forward(_ events: AsyncStream<TransferEvent>, to progress: @Sendable (Frame) async -> Void) async {
        for await event in events { await progress(event.frame) }
    }
}
