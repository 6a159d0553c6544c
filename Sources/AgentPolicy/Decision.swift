/// The policy's answer: a value, never a thrown error.
public enum Decision: Hashable, Sendable {
    case allow
    case deny(Denial)

    public var isAllowed: Bool { self == .allow }

    /// The denial, when there is one.
    public var denial: Denial? {
        if case .deny(let denial) = self { return denial }
        return nil
    }
}

/// Why something was refused: a stable code for machines and a sentence for people that names
/// the ref (or call), the rule, and the setting that would change the answer.
public struct Denial: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: DenialCode
    public let message: String

    /// Messages longer than this are cut: they quote what a client sent, and a refusal must not
    /// echo megabytes back into replies and audit lines.
    public static let maximumMessageLength = 2_000

    public init(_ code: DenialCode, _ message: String) {
        self.code = code
        self.message = message.count > Self.maximumMessageLength ? String(message.prefix(Self.maximumMessageLength)) + "…" : message
    }

    public var description: String { message }
}

/// Stable identifiers of the rules, used on the wire (`code=`) and in the audit log.
public enum DenialCode: String, Hashable, Sendable, CaseIterable {
    case refInvalid = "ref-invalid"
    case refOutsideNamespace = "ref-outside-namespace"
    case branchProtected = "branch-protected"
    case branchNotAllowed = "branch-not-allowed"
    case forcePushDisabled = "force-push-disabled"
    case branchDeleteDisabled = "branch-delete-disabled"
    case tagUpdateDisabled = "tag-update-disabled"
    /// A GitHub API write the agent does not know (fail closed).
    case apiWriteNotAllowed = "api-write-not-allowed"
    /// Repository administration (settings, protection, collaborators, secrets, …).
    case apiAdministration = "api-administration"
    /// Merging pull requests while `ALLOW_PR_MERGE` is off.
    case pullRequestMergeDisabled = "pr-merge-disabled"
    /// A GraphQL mutation the agent does not know.
    case graphQLMutationNotAllowed = "graphql-mutation-not-allowed"
    /// A request the agent cannot read (bad path, bad JSON, bad GraphQL).
    case apiRequestInvalid = "api-request-invalid"
    /// A Host other than GitHub's.
    case hostNotAllowed = "host-not-allowed"
    // Content rules (issue 14): a change to a PROTECTED_PATHS path, a secret found by SECRET_SCAN.
    case pathProtected = "path-protected"
    case secretDetected = "secret-detected"
    /// A repository outside `ALLOWED_REPOS` (issue 15).
    case repositoryNotAllowed = "repository-not-allowed"
    /// A write that leaves the listed repositories whatever the lists say: creating, forking,
    /// transferring or importing repositories, gists, accepting invitations.
    case repositoryEscape = "repository-escape"
    /// Approving a pull request while `ALLOW_PR_APPROVE` is off.
    case pullRequestApprovalDisabled = "pr-approve-disabled"
    /// A pull request into a base outside `PR_BASE_BRANCHES`.
    case pullRequestBaseNotAllowed = "pr-base-not-allowed"
}

extension String {
    /// This text as a refusal quotes it: at most 200 characters (a client chooses it).
    public var quotedInRefusal: String {
        count > 200 ? String(prefix(200)) + "…" : self
    }
}
