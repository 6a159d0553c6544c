/// How far `ALLOW_FORCE_PUSH` or `ALLOW_BRANCH_DELETE` reaches: every branch the lists allow,
/// only the branches this agent created (`own`, the default), or none.
///
/// `own` is the session's own branches: a branch the agent created itself (by a push or an API
/// call) may be rewritten or deleted; a branch someone else made (another session, a person) only
/// fast-forwards, even when the branch patterns allow writing to it.
///
/// Example: with `ALLOW_FORCE_PUSH=own`, force-pushing `claude/x` is allowed when the agent
/// created `claude/x`, and refused with "force-pushing branch 'claude/x' is not allowed: the
/// agent did not create it (ALLOW_FORCE_PUSH=own)" when it did not.
public enum BranchRewrite: String, Hashable, Sendable, CaseIterable, ExpressibleByBooleanLiteral {
    /// `true`: every branch the lists allow.
    case always = "true"
    /// `own`: only branches this agent created.
    case ownBranches = "own"
    /// `false`: no branch.
    case never = "false"

    public init(booleanLiteral value: Bool) {
        self = value ? .always : .never
    }

    /// Parses a setting's value: `true`/`false` (and `1`, `yes`, `on`, `0`, `no`, `off`) or `own`.
    public init?(setting text: String) {
        switch text.lowercased() {
        case "true", "1", "yes", "on": self = .always
        case "false", "0", "no", "off": self = .never
        case "own": self = .ownBranches
        default: return nil
        }
    }

    /// Whether a branch may be rewritten (or deleted) under this setting.
    public func allows(isOwnBranch: Bool) -> Bool {
        switch self {
        case .always: true
        case .ownBranches: isOwnBranch
        case .never: false
        }
    }
}
