/// Decides ref updates: the one rule set behind pushes and GitHub API writes.
///
/// Order of the checks, first failure wins:
/// 1. the name must be a valid ref under `refs/heads/` or `refs/tags/`;
/// 2. branches: `BLOCKED_BRANCHES` denies, then a non-empty `ALLOWED_BRANCH_PATTERNS` must match,
///    then deletions need `ALLOW_BRANCH_DELETE` and forced updates `ALLOW_FORCE_PUSH` (`own`: only
///    on a branch the agent created, `RefUpdate.isOwnBranch`);
/// 3. tags: creating is allowed, moving or deleting needs `ALLOW_TAG_UPDATES`.
///
/// Example: with the defaults, `RefUpdate(ref: "heads/main", change: .update)` is denied with
/// `branch 'main' is protected (BLOCKED_BRANCHES)`.
public struct RefPolicy: Sendable {
    public let settings: PolicySettings

    public init(settings: PolicySettings) {
        self.settings = settings
    }

    public func decide(_ update: RefUpdate) -> Decision {
        switch RefName.parse(update.ref) {
        case .failure(.invalid(let name, let rule)):
            return .deny(Denial(.refInvalid, "'\(name)' is not a valid ref name (\(rule))"))
        case .failure(.outsideNamespace(let name)):
            return .deny(Denial(.refOutsideNamespace, "ref '\(name)' is not a branch or a tag (only refs/heads/ and refs/tags/ can be written)"))
        case .success(let ref):
            switch ref.kind {
            case .branch: return decideBranch(ref.shortName, update)
            case .tag: return decideTag(ref.shortName, update)
            case .other:
                return .deny(Denial(.refOutsideNamespace, "ref '\(ref.fullName)' is not a branch or a tag (only refs/heads/ and refs/tags/ can be written)"))
            }
        }
    }

    private func decideBranch(_ branch: String, _ update: RefUpdate) -> Decision {
        if settings.blockedBranches.contains(where: { $0.matches(branch: branch) }) {
            return .deny(Denial(.branchProtected, "branch '\(branch)' is protected (BLOCKED_BRANCHES)"))
        }
        if !settings.allowedBranchPatterns.isEmpty,
            !settings.allowedBranchPatterns.contains(where: { $0.matches(branch: branch) })
        {
            let list = settings.allowedBranchPatterns.map(\.source).joined(separator: ", ")
            return .deny(Denial(.branchNotAllowed, "branch '\(branch)' does not match ALLOWED_BRANCH_PATTERNS (\(list))"))
        }
        switch update.change {
        case .delete where !settings.allowBranchDelete.allows(isOwnBranch: update.isOwnBranch):
            return .deny(
                Denial(
                    .branchDeleteDisabled,
                    "deleting branch '\(branch)' is not allowed\(Self.notOwn(settings.allowBranchDelete)) (ALLOW_BRANCH_DELETE=\(settings.allowBranchDelete.rawValue))"
                ))
        case .update where update.isForced && !settings.allowForcePush.allows(isOwnBranch: update.isOwnBranch):
            return .deny(
                Denial(
                    .forcePushDisabled,
                    "force-pushing branch '\(branch)' is not allowed\(Self.notOwn(settings.allowForcePush)) (ALLOW_FORCE_PUSH=\(settings.allowForcePush.rawValue))"
                ))
        default:
            return .allow
        }
    }

    /// Why `own` refused: said in the message, so that the user knows which branches would pass.
    static func notOwn(_ scope: BranchRewrite) -> String {
        scope == .ownBranches ? ": the agent did not create it" : ""
    }

    private func decideTag(_ tag: String, _ update: RefUpdate) -> Decision {
        switch update.change {
        case .create:
            return .allow
        case .update where !settings.allowTagUpdates:
            return .deny(Denial(.tagUpdateDisabled, "tag '\(tag)' already exists and cannot be moved (ALLOW_TAG_UPDATES=false)"))
        case .delete where !settings.allowTagUpdates:
            return .deny(Denial(.tagUpdateDisabled, "deleting tag '\(tag)' is not allowed (ALLOW_TAG_UPDATES=false)"))
        default:
            return .allow
        }
    }
}
