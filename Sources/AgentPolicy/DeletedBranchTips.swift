import Synchronization

/// What `ALLOW_FORCE_PUSH=false` (or `own`, for branches the agent did not create) means across a
/// deletion: a branch's history only grows.
///
/// Deleting a branch and pushing a new one of the same name would otherwise rewrite it without a
/// force-push. So while force-pushing is off, the agent remembers the tip of every branch it
/// deletes (through git or the GitHub API), and re-creating that branch must
/// contain the remembered tip: a fast-forward from it. Anything else is refused as a force-push
/// (`RecreationRule`).
///
/// The agent keeps it in its state file (`AGENT_STATE_DIR`), so that a restart does not forget. It
/// holds at most `capacity` tips; when full, further deletions are refused rather than forgetting
/// older tips.
/// Keys are the repository (`owner/name`, compared case-insensitively as GitHub does) and the full
/// ref name (`refs/heads/x`). Thread-safe: one `Mutex`.
public final class DeletedBranchTips: Sendable {
    public static let defaultCapacity = 100_000

    public let capacity: Int
    private let tips = Mutex<[String: String]>([:])

    public init(capacity: Int = DeletedBranchTips.defaultCapacity) {
        self.capacity = capacity
    }

    /// Every remembered tip, for the state file: `(repository, branch, tip)`, sorted.
    public var entries: [(repository: String, branch: String, tip: String)] {
        tips.withLock { tips in
            tips.map { key, tip in
                let parts = key.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "", tip)
            }
        }.sorted { ($0.repository, $0.branch) < ($1.repository, $1.branch) }
    }

    /// Records that `branch` of `repository` was (about to be) deleted at `tip`. Returns `false`
    /// when the memory is full and the deletion must be refused.
    public func remember(tip: String, branch: String, repository: String) -> Bool {
        let key = Self.key(branch, repository)
        return tips.withLock { tips in
            guard tips[key] != nil || tips.count < capacity else { return false }
            tips[key] = tip.lowercased()
            return true
        }
    }

    /// The tip `branch` had when it was last deleted through the agent, if it was.
    public func tip(branch: String, repository: String) -> String? {
        tips.withLock { $0[Self.key(branch, repository)] }
    }

    private static func key(_ branch: String, _ repository: String) -> String {
        repository.lowercased() + "\u{0}" + branch
    }
}

/// The rule that `DeletedBranchTips` feeds: re-creating a branch that was deleted through the
/// agent while force-pushing is off must keep the deleted tip in its history. Pure.
///
/// Example: `claude/x` was deleted at `abc…`; pushing `claude/x` again at a commit that does not
/// contain `abc…` is refused with "re-creating branch 'claude/x' without its earlier tip abc1234
/// would rewrite its history (ALLOW_FORCE_PUSH=\(settings.allowForcePush.rawValue))".
public enum RecreationRule {
    /// - Parameters:
    ///   - branch: the full ref name being created.
    ///   - deletedTip: its remembered tip, if any.
    ///   - containsDeletedTip: whether the new value has that tip in its history.
    /// - Returns: the refusal, or `nil` when the creation is not a rewrite (or rewrites are allowed).
    public static func decide(branch: String, deletedTip: String?, containsDeletedTip: Bool, settings: PolicySettings) -> Denial? {
        guard settings.allowForcePush != .always, let deletedTip, !containsDeletedTip else { return nil }
        guard case .success(let name) = RefName.parse(branch), name.kind == .branch else { return nil }
        return Denial(
            .forcePushDisabled,
            "re-creating branch '\(name.shortName)' without its earlier tip \(deletedTip.prefix(7)) would rewrite its history (ALLOW_FORCE_PUSH=\(settings.allowForcePush.rawValue))"
        )
    }
}
