import AgentPolicy

/// What the token may reach (issue 15): which repositories, which pull request bases, and
/// whether approvals pass. The settings of the same names.
public struct ReachSettings: Sendable {
    /// `ALLOWED_REPOS`; `nil` only for callers that check repositories elsewhere (`unrestricted`).
    public var allowedRepositories: RepositoryAllowlist?
    /// `ALLOW_OTHER_REPO_READS`: reads of repositories outside the list (default true).
    public var allowOtherRepositoryReads: Bool
    /// `ALLOW_PR_APPROVE`: approving pull requests (default false).
    public var allowPullRequestApproval: Bool
    /// `PR_BASE_BRANCHES`: globs the base of a pull request must match; empty means any base.
    public var pullRequestBases: [BranchPattern]

    public init(
        allowedRepositories: RepositoryAllowlist?,
        allowOtherRepositoryReads: Bool = true,
        allowPullRequestApproval: Bool = false,
        pullRequestBases: [BranchPattern] = []
    ) {
        self.allowedRepositories = allowedRepositories
        self.allowOtherRepositoryReads = allowOtherRepositoryReads
        self.allowPullRequestApproval = allowPullRequestApproval
        self.pullRequestBases = pullRequestBases
    }

    /// No repository list (every repository counts as listed), approvals refused, any base. The
    /// agent itself always runs with a list (`ALLOWED_REPOS` or the workspace's remotes).
    public static let unrestricted = ReachSettings(allowedRepositories: nil)
}

/// What the policy reads about the session's branches: which ones the agent created, and the
/// tips of branches it deleted (`OwnBranches`, `DeletedBranchTips`). The server's ledger
/// implements it; a read is a snapshot.
public protocol BranchLedgerReading: Sendable {
    func isOwn(branch: String, repository: String) -> Bool
    /// The last tip the agent set on its branch, when known: the branch counts as the agent's
    /// only while GitHub's tip is that commit or descends from it (`APIPolicy.ownership`).
    func ownTip(branch: String, repository: String) -> String?
    func deletedTip(branch: String, repository: String) -> String?
}

/// A ledger with nothing in it: no branch is the agent's, no deletion remembered.
public struct EmptyBranchLedger: BranchLedgerReading {
    public init() {}
    public func isOwn(branch: String, repository: String) -> Bool { false }
    public func ownTip(branch: String, repository: String) -> String? { nil }
    public func deletedTip(branch: String, repository: String) -> String? { nil }
}

/// Facts the reach rules look up first (one `APILookup.reach` each).
public enum ReachLookup: Hashable, Sendable {
    /// `GET /repositories/ID` → `full_name`.
    case repositoryName(id: String)
    /// `GET /repos/O/R/git/ref/heads/X` → the branch's tip (before the agent deletes it).
    case branchTip(repository: String, branch: String)
    /// `GET /repos/O/R/compare/ANCESTOR...DESCENDANT` → whether the first is in the second's history.
    case containment(repository: String, ancestor: String, descendant: String)
    /// `GET /repos/O/R/pulls/N` → the base of the pull request N, or none when N is an issue.
    case issueBase(repository: String, number: Int)
}

/// Answers to `ReachLookup`s, and what the node and pull request lookups add for the reach rules.
public struct ReachFacts: Sendable {
    /// What a GraphQL node id belongs to, as far as repositories go.
    public enum NodeOwner: Hashable, Sendable {
        /// The node is, or belongs to, this repository (`owner/name`).
        case repository(String)
        /// A kind that lives outside repositories: a user, a bot, a team, an organisation.
        case account
        /// A kind the agent cannot place (a gist, a project, …), named by its type.
        case unplaced(String)
    }

    /// `/repositories/ID` → `owner/name`.
    public var repositoryNames: [String: String] = [:]
    public var nodeOwners: [String: NodeOwner] = [:]
    /// A ref node's target commit (its tip), for deletions through `deleteRef`.
    public var refTargets: [String: String] = [:]
    /// A pull request node's head repository (`owner/name`), where updating its branch writes.
    public var nodeHeadRepositories: [String: String] = [:]
    /// A pull request's head repository, by route (`owner/name`).
    public var pullRequestHeadRepositories: [APIPullRequestKey: String] = [:]
    /// Branch tips before a deletion: `owner/name` lowercased + NUL + full ref name → tip, or
    /// `nil` when the branch does not exist.
    public var branchTips: [String: String?] = [:]
    /// Whether an ancestor is in a descendant's history, by the `containment` lookup.
    public var containments: [ReachLookup: Bool] = [:]
    /// The `issueBase` lookups' answers: a pull request's base, `nil` for a plain issue.
    public var issueBases: [ReachLookup: String?] = [:]

    public init() {}

    static func tipKey(_ repository: String, _ branch: String) -> String {
        repository.lowercased() + "\u{0}" + branch
    }

    public func branchTip(repository: String, branch: String) -> String?? {
        branchTips[Self.tipKey(repository, branch)]
    }

    public mutating func setBranchTip(_ tip: String?, repository: String, branch: String) {
        branchTips[Self.tipKey(repository, branch)] = .some(tip)
    }
}
