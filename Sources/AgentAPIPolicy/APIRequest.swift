import AgentPolicy

/// What the proxy knows about one GitHub API request before deciding.
public struct APIRequest: Sendable {
    public let method: String
    /// The path as sent, without the query (`/repos/o/r/git/refs/heads%2Fmain`).
    public let path: String
    /// The query string as sent (the text after `?`), `nil` when there is none.
    public let query: String?
    /// The JSON body, when the route needs it and it was read.
    public let body: JSONValue?
    /// A body was sent but is not JSON the agent reads exactly one way (malformed, or an object
    /// repeats a key); a route that decides on its body refuses it.
    public let bodyIsUnreadable: Bool

    public init(method: String, path: String, query: String? = nil, body: JSONValue? = nil) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.body = body
        self.bodyIsUnreadable = false
    }

    /// A request with the body bytes as received; an empty body is no body.
    public init(method: String, path: String, query: String? = nil, bodyBytes: some Collection<UInt8>) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        if bodyBytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            self.body = nil
            self.bodyIsUnreadable = false
        } else {
            self.body = JSONValue.parse(bodyBytes)
            self.bodyIsUnreadable = self.body == nil
        }
    }

    public var isRead: Bool { method == "GET" || method == "HEAD" }
}

/// A repository as a route names it: `/repos/OWNER/REPO/…` or `/repositories/ID/…`.
public enum APIRepository: Hashable, Sendable, CustomStringConvertible {
    case named(owner: String, name: String)
    case identifier(String)

    /// The API path of the repository itself (for lookups).
    public var path: String {
        switch self {
        case .named(let owner, let name): "/repos/\(owner)/\(name)"
        case .identifier(let id): "/repositories/\(id)"
        }
    }

    public var description: String {
        switch self {
        case .named(let owner, let name): "\(owner)/\(name)"
        case .identifier(let id): "repository \(id)"
        }
    }
}

/// A fact the decision needs from the upstream first.
public enum APILookup: Hashable, Sendable {
    /// `GET /repos/o/r` → `default_branch`.
    case defaultBranch(APIRepository)
    /// `GET /repos/o/r/pulls/N` → `base.ref`, `head.ref`.
    case pullRequest(APIRepository, number: Int)
    /// GraphQL `node(id:)` → a ref's full name or a pull request's branches.
    case node(id: String)
    /// What the content rules (`PROTECTED_PATHS`) need: changed files, ref targets, nodes.
    case content(ContentLookup)
    /// What the reach rules need (repository names, branch tips, containment).
    case reach(ReachLookup)
}

/// Answers to lookups.
public struct APIFacts: Sendable {
    public enum Node: Hashable, Sendable {
        case reference(fullName: String)
        case pullRequest(number: Int, base: String, head: String)
        case other
    }

    public var defaultBranches: [APIRepository: String] = [:]
    public var pullRequests: [APIPullRequestKey: (base: String, head: String)] = [:]
    public var nodes: [String: Node] = [:]
    /// Answers to `APILookup.content`.
    public var content = ContentFacts()
    /// Answers for the reach rules, and what the lookups above add for them.
    public var reach = ReachFacts()

    public init() {}
}

public struct APIPullRequestKey: Hashable, Sendable {
    public let repository: APIRepository
    public let number: Int

    public init(_ repository: APIRepository, _ number: Int) {
        self.repository = repository
        self.number = number
    }
}

/// The policy's answer for an API request.
public enum APIDecision: Hashable, Sendable {
    case allow
    case deny(Denial)
    /// Ask again once these facts are known.
    case needs([APILookup])
}

/// The settings the API policy adds to the ref policy's.
public struct APISettings: Sendable {
    /// `ALLOW_PR_MERGE`: merging pull requests (then only into a branch the ref policy allows).
    public var allowPullRequestMerge: Bool
    /// `ALLOWED_API_WRITES`: extra `METHOD /path-pattern` entries for writes the agent does not know.
    public var extraWrites: [APIWritePattern]

    public init(allowPullRequestMerge: Bool = false, extraWrites: [APIWritePattern] = []) {
        self.allowPullRequestMerge = allowPullRequestMerge
        self.extraWrites = extraWrites
    }
}

/// One `ALLOWED_API_WRITES` entry: `POST /repos/*/*/dispatches`, where `*` is one path segment
/// and `**` any number of them.
public struct APIWritePattern: Hashable, Sendable, CustomStringConvertible {
    public let method: String
    let segments: [String]
    public let description: String

    public init(_ text: String) throws(APIWritePatternError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[1].hasPrefix("/") else {
            throw APIWritePatternError(text: text, problem: "expected 'METHOD /path', like 'POST /repos/*/*/dispatches'")
        }
        let method = parts[0].uppercased()
        guard ["POST", "PUT", "PATCH", "DELETE"].contains(method) else {
            throw APIWritePatternError(text: text, problem: "the method must be POST, PUT, PATCH or DELETE (reads are always allowed)")
        }
        self.method = method
        self.segments = parts[1].split(separator: "/").map { $0.lowercased() }
        self.description = "\(method) \(parts[1])"
    }

    func matches(method: String, segments path: [String]) -> Bool {
        method == self.method && Self.match(segments[...], path.map { $0.lowercased() }[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            return (0...path.count).contains { match(pattern.dropFirst(), path.dropFirst($0)) }
        }
        guard let segment = path.first, head == "*" || head == segment else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}

public struct APIWritePatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let problem: String
    public var description: String { "invalid API write '\(text)': \(problem)" }
}
