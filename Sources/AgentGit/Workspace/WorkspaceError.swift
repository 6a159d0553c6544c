import AgentSystem

/// Why a workspace repository cannot be used: the path and the rule, never a file's content.
public struct WorkspaceError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Rule: Hashable, Sendable {
        /// A path, link, `..`, `commondir` or alternate that leads out of the workspace.
        case outsideWorkspace
        /// No repository there (or not a directory).
        case notRepository
        /// A file the agent will not read: not a regular file, too large, or not in git's format.
        case refused
        /// A limit of `WorkspaceLimits` was reached.
        case tooMany
        /// The agent's own side failed (its temporary directory, libgit2).
        case agentFailed
        /// The operation reached its deadline (or was stopped) while reading the layout.
        case stopped
    }

    public let rule: Rule
    public let message: String

    public init(_ rule: Rule, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { message }

    /// The stable code for the wire and the audit log.
    public var code: String {
        switch rule {
        case .outsideWorkspace: "outside-workspace"
        case .notRepository: "repository-missing"
        case .refused, .tooMany: "repository-refused"
        case .agentFailed: "agent-failed"
        case .stopped: "timeout"
        }
    }

    /// A file error worded for the workspace: links out name `AGENT_WORKSPACE`.
    init(_ error: ContainedFileError, workspace: String) {
        switch error.kind {
        case .escapes:
            self.init(.outsideWorkspace, "\(error.path) leads outside the workspace (a link or '..'; AGENT_WORKSPACE=\(workspace))")
        case .missing, .notDirectory:
            self.init(.notRepository, error.description)
        case .notRegularFile:
            self.init(.refused, "\(error.path) is not a regular file (the agent reads no FIFO, socket or device)")
        case .tooLarge(let limit):
            self.init(.refused, "\(error.path) is larger than \(ByteCount(limit)), the most the agent reads of such a file")
        case .unsupported, .system:
            self.init(.refused, error.description)
        }
    }

    init(_ error: ObjectStoreError, workspace: String) {
        switch error {
        case .file(let file): self.init(file, workspace: workspace)
        case .stopped(let reason): self.init(.stopped, reason)
        default: self.init(.refused, error.description)
        }
    }
}
