import AgentPolicy

/// A fact the content rules need from GitHub before they can decide an API write
/// (`APILookup.content`), answered by the proxy with the agent's token.
public enum ContentLookup: Hashable, Sendable {
    /// `GET /repos/O/R/compare/BASE...HEAD`: the files HEAD changes since its merge base with
    /// BASE (GitHub lists at most 300). HEAD may be `OWNER:REF` in another repository of the fork
    /// network.
    case compare(APIRepository, base: String, head: String)
    /// `GET /repos/O/R/git/ref/REF`: the commit a ref points at now.
    case refTarget(APIRepository, ref: String)
    /// `GET /repos/O/R/pulls/N/files`: the files a pull request changes (pages of 100).
    case pullRequestFiles(APIRepository, number: Int)
    /// `GET /repos/O/R`: the repository a fork was made from (`parent`), for `merge-upstream`.
    case forkParent(APIRepository)
    /// GraphQL `node(id:)` of a repository: its `owner/name` and default branch.
    case repositoryNode(id: String)
    /// GraphQL `node(id:)` of a ref: its repository, full name and target commit.
    case refNode(id: String)
    /// GraphQL `node(id:)` of a pull request: its repository and number.
    case pullRequestNode(id: String)
}

/// Files a change touches, as GitHub lists them (new and previous names of renames).
public struct ChangedFiles: Hashable, Sendable {
    public var paths: [String]
    /// `false` when GitHub's list stops short (more files than it lists).
    public var isComplete: Bool

    public init(paths: [String], isComplete: Bool) {
        self.paths = paths
        self.isComplete = isComplete
    }
}

/// An answer to a `ContentLookup`.
public enum ContentAnswer: Hashable, Sendable {
    case files(ChangedFiles)
    case commit(String)
    case repository(APIRepository, defaultBranch: String?)
    case reference(APIRepository, fullName: String, target: String)
    case pullRequest(APIRepository, number: Int)
    /// The node is not of the kind asked for.
    case other
}

/// Answers to content lookups, for `APIFacts.content`.
public struct ContentFacts: Sendable {
    public var answers: [ContentLookup: ContentAnswer] = [:]

    public init() {}
}

extension APIDecision {
    /// Both decisions: a denial wins, then lookups (all of them), then `allow`.
    func merged(with other: APIDecision) -> APIDecision {
        switch (self, other) {
        case (.deny, _): self
        case (_, .deny): other
        case (.needs(let first), .needs(let second)): .needs(first + second.filter { !first.contains($0) })
        case (.needs, .allow): self
        case (.allow, _): other
        }
    }

    /// A route's decision refined by the content rules': a denial wins; the content rules'
    /// lookups wait until the route's are answered, since a route that ends in a refusal needs
    /// none of them, and its refusal names the rule that matters (`branch 'main' is protected`,
    /// not a failed compare).
    func refined(by content: APIDecision) -> APIDecision {
        switch (self, content) {
        case (.deny, _): self
        case (_, .deny): content
        case (.needs, _): self
        case (.allow, _): content
        }
    }
}
