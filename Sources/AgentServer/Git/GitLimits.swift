import AgentGit

/// Every bound on the work one git request may cause (README, "What the workspace cannot do to
/// the agent").
struct GitLimits: Sendable {
    /// How long each operation may take, start to end; then it is stopped at libgit2's next
    /// callback and the client gets `code=timeout`.
    var listTime: Duration = .seconds(120)
    var fetchTime: Duration = .seconds(30 * 60)
    var pushTime: Duration = .seconds(30 * 60)
    var workspace = WorkspaceLimits()
    var objects = ObjectLimits()
    var push = PushLimits()

    /// Threads for libgit2: stacks of 64 MiB (reserved, used as needed), so that the pack
    /// builder's recursion (one frame per tree level, at most `push.maximumTreeDepth`) has room
    /// to spare; at most 8 operations at once, at most 64 threads counting abandoned ones.
    static let threadStackSize = 64 << 20
    static let maximumActiveOperations = 8
    static let maximumThreads = 64

    func time(for operation: String) -> Duration {
        switch operation {
        case "list": listTime
        case "fetch": fetchTime
        default: pushTime
        }
    }
}
