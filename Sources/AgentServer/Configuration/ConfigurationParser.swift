import AgentAPIPolicy
import AgentPolicy
import FoundationEssentials

/// Values given on the command line; each replaces the environment key of the same meaning.
public struct ConfigurationOverrides: Sendable {
    public var socketDirectory: String?
    public var workspace: String?
    public var auditLog: String?
    public var githubURL: String?
    public var githubAPIURL: String?
    public var caFile: String?

    public init(
        socketDirectory: String? = nil,
        workspace: String? = nil,
        auditLog: String? = nil,
        githubURL: String? = nil,
        githubAPIURL: String? = nil,
        caFile: String? = nil
    ) {
        self.socketDirectory = socketDirectory
        self.workspace = workspace
        self.auditLog = auditLog
        self.githubURL = githubURL
        self.githubAPIURL = githubAPIURL
        self.caFile = caFile
    }
}

/// Turns the environment (as the seed's `.env` gives it) into an `AgentConfiguration`.
///
/// Pure: it looks at strings only. Checks that need the file system (can the socket directory be
/// created, can the CA file be read) happen at start-up, in `AgentRuntime`.
public struct ConfigurationParser: Sendable {
    /// Keys the agent knows; any other `AGENT_*` key is probably a typo and gets a warning.
    public static let knownAgentKeys: Set<String> = [
        "AGENT_SOCKET_DIR", "AGENT_WORKSPACE", "AGENT_ALLOWED_UIDS", "AGENT_CA_FILE", "AGENT_AUDIT_LOG",
        "AGENT_WORKSPACE_GUARD", "AGENT_STATE_DIR",
    ]

    public let environment: [String: String]
    public let overrides: ConfigurationOverrides
    /// The uid allowed when `AGENT_ALLOWED_UIDS` is not set: the agent's own.
    public let ownUID: UInt32

    /// Whether the agent holds an Anthropic credential: then Claude's API traffic goes through
    /// `anthropic.sock`, and `api.anthropic.com` leaves the default egress list.
    public let holdsAnthropicCredential: Bool

    public init(environment: [String: String], overrides: ConfigurationOverrides = .init(), ownUID: UInt32, holdsAnthropicCredential: Bool = false) {
        self.environment = environment
        self.overrides = overrides
        self.ownUID = ownUID
        self.holdsAnthropicCredential = holdsAnthropicCredential
    }

    /// Parses every key.
    /// - Returns: the configuration and warnings to print (one line each).
    /// - Throws: `ConfigurationError` for the first key that cannot be used.
    public func parse() throws(ConfigurationError) -> (AgentConfiguration, warnings: [String]) {
        let blocked = try patterns("BLOCKED_BRANCHES") ?? PolicySettings.defaults.blockedBranches
        let allowed = try patterns("ALLOWED_BRANCH_PATTERNS") ?? []
        let policy = PolicySettings(
            blockedBranches: blocked,
            allowedBranchPatterns: allowed,
            allowForcePush: try rewrite("ALLOW_FORCE_PUSH"),
            allowBranchDelete: try rewrite("ALLOW_BRANCH_DELETE"),
            allowTagUpdates: try flag("ALLOW_TAG_UPDATES", default: false)
        )
        var extraWrites: [APIWritePattern] = []
        for entry in try value("ALLOWED_API_WRITES").map({ text throws(ConfigurationError) in try ListValue.parse(text, key: "ALLOWED_API_WRITES") }) ?? [] {
            do { extraWrites.append(try APIWritePattern(entry)) } catch {
                throw ConfigurationError(key: "ALLOWED_API_WRITES", problem: error.description)
            }
        }
        var configuration = AgentConfiguration(
            policy: policy,
            api: APISettings(allowPullRequestMerge: try flag("ALLOW_PR_MERGE", default: false), extraWrites: extraWrites),
            socketDirectory: try absolutePath("AGENT_SOCKET_DIR", overrides.socketDirectory, default: "/run/agent"),
            workspace: try absolutePath("AGENT_WORKSPACE", overrides.workspace, default: "/workspace"),
            allowedUIDs: try uids("AGENT_ALLOWED_UIDS") ?? [ownUID],
            githubURL: try url("GITHUB_URL", overrides.githubURL, default: "https://github.com"),
            githubAPIURL: try url("GITHUB_API_URL", overrides.githubAPIURL, default: "https://api.github.com"),
            caFile: try optionalPath("AGENT_CA_FILE", overrides.caFile),
            auditLog: try auditLogTarget(overrides.auditLog),
            egressAllowed: try egressTargets(),
            isWorkspaceGuarded: try flag("AGENT_WORKSPACE_GUARD", default: true),
            anthropicAPIURL: try url("ANTHROPIC_API_URL", nil, default: "https://api.anthropic.com")
        )
        configuration.content = try contentRules()
        configuration.reach = try reach()
        return (configuration, warnings())
    }

    /// Warnings for keys that look like ours but are not (likely typos).
    func warnings() -> [String] {
        environment.keys.filter { $0.hasPrefix("AGENT_") && !Self.knownAgentKeys.contains($0) }.sorted().map {
            "\($0) is not a setting the agent knows (a typo?); it is ignored"
        }
    }

    // MARK: - Values

    func value(_ key: String) -> String? {
        guard let raw = environment[key] else { return nil }
        let trimmed = raw.trimmingSpaces()
        return trimmed.isEmpty ? nil : trimmed
    }

    func patterns(_ key: String) throws(ConfigurationError) -> [BranchPattern]? {
        guard let text = value(key) else { return nil }
        var result: [BranchPattern] = []
        for entry in try ListValue.parse(text, key: key) {
            do {
                result.append(try BranchPattern(entry))
            } catch {
                throw ConfigurationError(key: key, problem: error.description)
            }
        }
        return result
    }

    private func egressTargets() throws(ConfigurationError) -> Set<EgressTarget> {
        let entries =
            try value("EGRESS_ALLOWED_HOSTS").map { text throws(ConfigurationError) in
                try ListValue.parse(text, key: "EGRESS_ALLOWED_HOSTS")
            } ?? EgressTarget.defaults.filter { !(holdsAnthropicCredential && $0 == "api.anthropic.com") }
        var targets: Set<EgressTarget> = []
        for entry in entries {
            guard let target = EgressTarget(entry) else {
                throw ConfigurationError(key: "EGRESS_ALLOWED_HOSTS", problem: "'\(entry)' is not a host or host:port")
            }
            targets.insert(target)
        }
        return targets
    }

    func flag(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = value(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(key: key, problem: "expected true or false, not '\(text)'")
        }
    }

    private func uids(_ key: String) throws(ConfigurationError) -> Set<UInt32>? {
        guard let text = value(key) else { return nil }
        var result: Set<UInt32> = []
        for entry in try ListValue.parse(text, key: key, allowNumbers: true) {
            guard let uid = UInt32(entry), uid != UInt32.max else {
                throw ConfigurationError(key: key, problem: "'\(entry)' is not a uid (a number from 0 to 4294967294)")
            }
            result.insert(uid)
        }
        if result.isEmpty { throw ConfigurationError(key: key, problem: "the list is empty: no one could connect") }
        return result
    }

    func absolutePath(_ key: String, _ override: String?, default defaultValue: String) throws(ConfigurationError) -> String {
        let text = override ?? value(key) ?? defaultValue
        try checkPath(key, text)
        return text.count > 1 && text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    func optionalPath(_ key: String, _ override: String?) throws(ConfigurationError) -> String? {
        guard let text = override ?? value(key) else { return nil }
        try checkPath(key, text)
        return text
    }

    private func checkPath(_ key: String, _ text: String) throws(ConfigurationError) {
        guard text.hasPrefix("/") else { throw ConfigurationError(key: key, problem: "'\(text)' is not an absolute path") }
        guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw ConfigurationError(key: key, problem: "the path contains control characters")
        }
    }

    private func url(_ key: String, _ override: String?, default defaultValue: String) throws(ConfigurationError) -> UpstreamURL {
        let text = override ?? value(key) ?? defaultValue
        switch UpstreamURL.parse(text) {
        case .success(let url): return url
        case .failure(let problem): throw ConfigurationError(key: key, problem: "'\(text)': \(problem)")
        }
    }

    private func auditLogTarget(_ override: String?) throws(ConfigurationError) -> String {
        let text = override ?? value("AGENT_AUDIT_LOG") ?? "-"
        if text != "-" { try checkPath("AGENT_AUDIT_LOG", text) }
        return text
    }
}

/// A list setting: a JSON list (`["main","master"]`, as the seed writes it) or, for convenience,
/// a comma-separated list (`main,master`).
enum ListValue {
    static func parse(_ text: String, key: String, allowNumbers: Bool = false) throws(ConfigurationError) -> [String] {
        if text.hasPrefix("[") {
            guard let entries = try? JSONDecoder().decode([Entry].self, from: Data(text.utf8))
            else {
                let expected = allowNumbers ? "a JSON list of numbers, like [1000]" : "a JSON list of strings, like [\"main\",\"master\"]"
                throw ConfigurationError(key: key, problem: "'\(text)' is not \(expected)")
            }
            var result: [String] = []
            for entry in entries {
                switch entry {
                case .text(let value): result.append(value)
                case .number(let value) where allowNumbers: result.append(value)
                case .number(let value):
                    throw ConfigurationError(key: key, problem: "\(value) is a number; write names as strings")
                }
            }
            return result
        }
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        if entries.contains(where: \.isEmpty) {
            throw ConfigurationError(
                key: key,
                problem: "'\(text)' is neither a JSON list nor a comma-separated list without empty entries"
            )
        }
        return entries
    }

    /// One JSON list element: a string, or (for uids) an integer.
    enum Entry: Decodable {
        case text(String)
        case number(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                let number = try container.decode(Int64.self)
                self = .number(String(number))
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
