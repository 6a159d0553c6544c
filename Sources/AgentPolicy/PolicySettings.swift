/// The user's choices that the policy applies (the `.env` keys of the same names).
public struct PolicySettings: Hashable, Sendable {
    /// `BLOCKED_BRANCHES`: never written, whatever else matches.
    public var blockedBranches: [BranchPattern]
    /// `ALLOWED_BRANCH_PATTERNS`: when non-empty, only matching branches may be written.
    public var allowedBranchPatterns: [BranchPattern]
    /// `ALLOW_FORCE_PUSH`: non-fast-forward updates of branches the lists allow (all, the
    /// agent's own, or none).
    public var allowForcePush: BranchRewrite
    /// `ALLOW_BRANCH_DELETE`: deleting branches the lists allow (all, the agent's own, or none).
    public var allowBranchDelete: BranchRewrite
    /// `ALLOW_TAG_UPDATES`: moving or deleting an existing tag (creating one is always allowed).
    public var allowTagUpdates: Bool

    public init(
        blockedBranches: [BranchPattern],
        allowedBranchPatterns: [BranchPattern] = [],
        allowForcePush: BranchRewrite = .ownBranches,
        allowBranchDelete: BranchRewrite = .ownBranches,
        allowTagUpdates: Bool = false
    ) {
        self.blockedBranches = blockedBranches
        self.allowedBranchPatterns = allowedBranchPatterns
        self.allowForcePush = allowForcePush
        self.allowBranchDelete = allowBranchDelete
        self.allowTagUpdates = allowTagUpdates
    }

    /// The names blocked when `BLOCKED_BRANCHES` is not set.
    public static let defaultBlockedBranchNames = ["main", "master"]

    /// `main` and `master` blocked, everything else as the table in the README says.
    public static var defaults: PolicySettings {
        // The default names are literals that always compile.
        PolicySettings(blockedBranches: defaultBlockedBranchNames.compactMap { try? BranchPattern($0) })
    }
}
