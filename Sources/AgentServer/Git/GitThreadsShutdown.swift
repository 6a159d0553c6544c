import AgentSystem
import ServiceLifecycle

/// Ends every git operation's wait when the agent is asked to stop, so that no stuck libgit2 call
/// (a silent upstream, say) holds up shutdown: its client gets `code=shutting-down` and the
/// process exits without waiting for the thread.
struct GitThreadsShutdown: Service {
    let threads: BlockingWorkThreads

    func run() async throws {
        try? await gracefulShutdown()
        threads.shutdown()
    }
}
