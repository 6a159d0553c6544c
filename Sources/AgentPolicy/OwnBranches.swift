import Synchronization

/// The branches this agent created (by a push or an API call): the ones `ALLOW_FORCE_PUSH=own`
/// and `ALLOW_BRANCH_DELETE=own` let it rewrite and delete.
///
/// A branch becomes the agent's when the agent created it and the server accepted that (a branch
/// that already existed, or one the agent re-created after deleting someone else's, never does).
/// It stops being the agent's when the agent deletes it, so that someone else's later branch of
/// the same name is not taken for it. Keys are the repository (`owner/name`, compared
/// case-insensitively as GitHub does) and the full ref name (`refs/heads/x`, case-sensitive).
///
/// The agent keeps the set in its state file (`AGENT_STATE_DIR`), so that it survives a restart.
/// It holds at most `capacity` branches; beyond, new branches are simply not the agent's (the
/// safe direction: they only fast-forward). Thread-safe: one `Mutex`.
///
/// Each branch keeps the last tip the agent set (`tip`, when known): a branch deleted outside
/// the agent and re-created by someone else has the agent's name but not its history, so a push
/// treats it as the agent's only while the upstream's tip is that commit or descends from it.
public final class OwnBranches: Sendable {
    public static let defaultCapacity = 10_000

    public let capacity: Int
    /// Key → the last tip the agent set, `""` when unknown (created through the API, or an older state file).
    private let branches = Mutex<[String: String]>([:])

    public init(capacity: Int = OwnBranches.defaultCapacity) {
        self.capacity = capacity
    }

    /// Whether the agent created `branch` (a full ref name) in `repository`.
    public func contains(branch: String, repository: String) -> Bool {
        branches.withLock { $0[Self.key(branch, repository)] != nil }
    }

    /// The last tip the agent set on `branch`, when it is the agent's and the tip is known.
    public func tip(branch: String, repository: String) -> String? {
        branches.withLock { $0[Self.key(branch, repository)] }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Records that the agent created `branch` (or set its tip). Returns `false` when the set is full.
    @discardableResult
    public func insert(branch: String, repository: String, tip: String? = nil) -> Bool {
        let key = Self.key(branch, repository)
        return branches.withLock { branches in
            guard branches[key] != nil || branches.count < capacity else { return false }
            branches[key] = tip ?? ""
            return true
        }
    }

    /// Forgets `branch` (the agent deleted it). Returns whether it was the agent's.
    @discardableResult
    public func remove(branch: String, repository: String) -> Bool {
        branches.withLock { $0.removeValue(forKey: Self.key(branch, repository)) != nil }
    }

    public var count: Int { branches.withLock { $0.count } }

    /// Every branch, for `agent-status` and the state file: `(repository, branch, tip)`, sorted.
    public var entries: [(repository: String, branch: String, tip: String?)] {
        branches.withLock { branches in
            branches.map { key, tip in
                let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "", tip.isEmpty ? nil : tip)
            }
        }.sorted { ($0.repository, $0.branch) < ($1.repository, $1.branch) }
    }

    private static func key(_ branch: String, _ repository: String) -> String {
        repository.lowercased() + "\u{0}" + branch
    }
}
