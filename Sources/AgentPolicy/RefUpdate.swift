/// One ref change that someone wants to make: by a push, or by a GitHub API call.
public struct RefUpdate: Hashable, Sendable {
    public enum Change: String, Hashable, Sendable {
        /// The ref does not exist yet.
        case create
        /// The ref exists and will point elsewhere.
        case update
        /// The ref will be removed.
        case delete
    }

    /// The destination as it was named (`main`, `refs/heads/main`, `heads/main`, …).
    public var ref: String
    public var change: Change
    /// The new value does not descend from the old one (a force-push). Meaningful for `.update`.
    public var isForced: Bool
    /// The branch is one this agent created (`OwnBranches`): `ALLOW_FORCE_PUSH=own` and
    /// `ALLOW_BRANCH_DELETE=own` let it be rewritten or deleted.
    public var isOwnBranch: Bool

    public init(ref: String, change: Change, isForced: Bool = false, isOwnBranch: Bool = false) {
        self.ref = ref
        self.change = change
        self.isForced = isForced
        self.isOwnBranch = isOwnBranch
    }

    /// Derives the change from object ids, as git reports them: `nil` or all zeros means "none".
    public init(ref: String, oldID: String?, newID: String?, isForced: Bool) {
        let hasOld = oldID.map { !RefUpdate.isZeroID($0) } ?? false
        let hasNew = newID.map { !RefUpdate.isZeroID($0) } ?? false
        let change: Change = !hasNew ? .delete : (hasOld ? .update : .create)
        self.init(ref: ref, change: change, isForced: isForced && change == .update)
    }

    static func isZeroID(_ id: String) -> Bool { id.isEmpty || id.utf8.allSatisfy { $0 == UInt8(ascii: "0") } }
}
