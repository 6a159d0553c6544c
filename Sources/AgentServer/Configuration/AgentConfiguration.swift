import AgentAPIPolicy
import AgentPolicy

/// Everything the agent was configured with, except the token (see `TokenLoader`).
public struct AgentConfiguration: Sendable {
    public var policy: PolicySettings
    /// `ALLOW_PR_MERGE` and `ALLOWED_API_WRITES`.
    public var api: APISettings
    /// `AGENT_SOCKET_DIR`: where `git.sock` (and later `gh.sock`) are created.
    public var socketDirectory: String
    /// `AGENT_WORKSPACE`: the only tree repositories are opened in.
    public var workspace: String
    /// `AGENT_ALLOWED_UIDS`: peers allowed to connect.
    public var allowedUIDs: Set<UInt32>
    /// `GITHUB_URL`: where github.com git remotes really go.
    public var githubURL: UpstreamURL
    /// `GITHUB_API_URL`: where API calls go.
    public var githubAPIURL: UpstreamURL
    /// `AGENT_CA_FILE`: extra PEM bundle trusted for upstream TLS.
    public var caFile: String?
    /// `AGENT_AUDIT_LOG`: path for audit lines, or `-` for standard output.
    public var auditLog: String
    /// `EGRESS_ALLOWED_HOSTS`: where the claude container's own HTTPS may go.
    public var egressAllowed: Set<EgressTarget>
    /// `AGENT_WORKSPACE_GUARD`: whether the workspace guard keeps the host's git safe (default true).
    public var isWorkspaceGuarded: Bool = true

    /// `PROTECTED_PATHS`, `SECRET_SCAN`, `SECRET_SCAN_ALLOW`: what pushes and API writes may carry.
    public var content: ContentRules = .defaults

    /// `ANTHROPIC_API_URL`: where `anthropic.sock` sends Claude's API requests.
    public var anthropicAPIURL: UpstreamURL

    /// Repositories, approvals, pull request bases, the state directory, a GitHub App (issue 15).
    public var reach = ReachConfiguration()

    public var gitSocketPath: String { socketDirectory + "/git.sock" }
    public var anthropicSocketPath: String { socketDirectory + "/anthropic.sock" }
    public var ghSocketPath: String { socketDirectory + "/gh.sock" }
    public var egressSocketPath: String { socketDirectory + "/egress.sock" }
}

/// An upstream base URL: scheme `http` or `https`, a host, an optional port and path; no user
/// info, query or fragment. Kept without a trailing slash.
public struct UpstreamURL: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let path: String

    public var isSecure: Bool { scheme == "https" }
    public var description: String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)\(port.map { ":\($0)" } ?? "")\(path)"
    }

    /// Parses `text`, returning the problem in words when it is not acceptable.
    public static func parse(_ text: String) -> Result<UpstreamURL, ConfigurationProblem> {
        guard let schemeEnd = text.firstRange(of: "://") else { return .failure("expected http://HOST or https://HOST") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return .failure("the scheme must be http or https, not '\(scheme)'") }
        var rest = text[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") { return .failure("a query or fragment is not allowed") }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        rest = authority
        if authority.contains("@") { return .failure("user info (user@) is not allowed") }
        var host = String(authority)
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure("the IPv6 address is not closed") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let afterHost = authority[authority.index(after: close)...]
            if !afterHost.isEmpty {
                guard afterHost.hasPrefix(":"), let number = Int(afterHost.dropFirst()) else { return .failure("bad port") }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]) else { return .failure("bad port") }
            port = number
        }
        if let port, !(1...65535).contains(port) { return .failure("the port must be 1 to 65535") }
        guard !host.isEmpty, host.utf8.allSatisfy({ UpstreamURL.isHostByte($0) }) else {
            return .failure("the host is empty or has characters a host name cannot have")
        }
        while path.hasSuffix("/") { path.removeLast() }
        return .success(UpstreamURL(scheme: scheme, host: host.lowercased(), port: port, path: path))
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"):
            true
        default: false
        }
    }
}

/// A sentence saying what is wrong with a value.
public typealias ConfigurationProblem = ConfigurationError.Problem

/// A setting that cannot be used: the agent refuses to start with this one line.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Problem: Error, Hashable, Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
        public let text: String
        public init(stringLiteral value: String) { self.text = value }
        public init(_ text: String) { self.text = text }
        public var description: String { text }
    }

    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}
