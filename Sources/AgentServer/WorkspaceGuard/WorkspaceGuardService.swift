import AgentSystem
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Keeps the person's own git safe from what the claude container writes into the workspace's
/// git metadata: configuration keys that name programs or redirect git, hooks, attributes,
/// `.git` files that lead elsewhere, in every repository of `AGENT_WORKSPACE` (see
/// `WorkspaceGuardEngine`). Runs on a thread of its own, since it blocks in `poll`.
public final class WorkspaceGuardService: Service {
    /// `nil` when the workspace is not a directory (nothing to guard).
    private let engine: Mutex<WorkspaceGuardEngine?>
    private let isStopping = Atomic<Bool>(false)

    private init(engine: sending WorkspaceGuardEngine?) {
        self.engine = Mutex(engine)
    }

    /// Takes the baseline of the workspace now: call before any listener accepts a client, so that
    /// nothing the container writes can become part of it.
    /// - Throws: `AgentRuntime.StartupError` when the workspace exists but cannot be guarded
    ///   (the kernel lacks `openat2`, or the workspace cannot be read).
    public static func start(_ configuration: AgentConfiguration, audit: AuditLog, logger: Logger) throws(AgentRuntime.StartupError) -> WorkspaceGuardService {
        let workspace = configuration.workspace
        guard configuration.isWorkspaceGuarded else {
            logger.warning("workspace guard: off (AGENT_WORKSPACE_GUARD=false); what the session writes into .git is not checked")
            return WorkspaceGuardService(engine: nil)
        }
        guard FileCheck.isDirectory(workspace) else {
            logger.warning("workspace guard: \(workspace) is not a directory; nothing to guard")
            return WorkspaceGuardService(engine: nil)
        }
        do {
            return WorkspaceGuardService(engine: try WorkspaceGuardEngine(workspace: workspace, audit: audit, logger: logger))
        } catch {
            throw .init(description: "AGENT_WORKSPACE: cannot guard \(workspace): \(error)")
        }
    }

    public func run() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                _ = try? await pool.runIfActive { [self] in
                    engine.withLock { engine in
                        guard let engine else {
                            while !isStopping.load(ordering: .relaxed) { Inotify.pause(for: .milliseconds(250)) }
                            return
                        }
                        engine.run { isStopping.load(ordering: .relaxed) }
                    }
                }
            } onCancel: {
                isStopping.store(true, ordering: .relaxed)
            }
        } onGracefulShutdown: {
            self.isStopping.store(true, ordering: .relaxed)
        }
        try? await pool.shutdownGracefully()
    }
}
