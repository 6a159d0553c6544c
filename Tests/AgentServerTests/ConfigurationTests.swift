import AgentPolicy
import Testing

@testable import AgentServer

struct ConfigurationTests {
    func parse(_ environment: [String: String], overrides: ConfigurationOverrides = .init()) throws(ConfigurationError) -> AgentConfiguration {
        try ConfigurationParser(environment: environment, overrides: overrides, ownUID: 4242).parse().0
    }

    @Test func defaults() throws {
        let configuration = try parse([:])
        #expect(configuration.policy.blockedBranches.map(\.source) == ["main", "master"])
        #expect(configuration.policy.allowedBranchPatterns.isEmpty)
        #expect(configuration.policy.allowForcePush == .ownBranches)
        #expect(configuration.policy.allowBranchDelete == .ownBranches)
        #expect(!configuration.policy.allowTagUpdates)
        #expect(configuration.socketDirectory == "/run/agent")
        #expect(configuration.gitSocketPath == "/run/agent/git.sock")
        #expect(configuration.workspace == "/workspace")
        #expect(configuration.allowedUIDs == [4242])
        #expect(configuration.githubURL.description == "https://github.com")
        #expect(configuration.githubAPIURL.description == "https://api.github.com")
        #expect(configuration.caFile == nil)
        #expect(configuration.auditLog == "-")
        #expect(configuration.isWorkspaceGuarded)
        #expect(try !parse(["AGENT_WORKSPACE_GUARD": "false"]).isWorkspaceGuarded)
    }

    @Test func seedStyleValues() throws {
        let configuration = try parse([
            "BLOCKED_BRANCHES": #"["main","master","production"]"#,
            "ALLOWED_BRANCH_PATTERNS": #"["claude/*","feature/*"]"#,
            "ALLOW_FORCE_PUSH": "false", "ALLOW_BRANCH_DELETE": "no", "ALLOW_TAG_UPDATES": "TRUE",
            "AGENT_ALLOWED_UIDS": "[1000, 1001]", "AGENT_SOCKET_DIR": "/tmp/x/", "GITHUB_URL": "http://127.0.0.1:8080/",
            "GITHUB_API_URL": "https://ghe.example.com/api/v3", "AGENT_CA_FILE": "/etc/ca.pem", "AGENT_AUDIT_LOG": "/var/log/a.log",
        ])
        #expect(configuration.policy.blockedBranches.map(\.source) == ["main", "master", "production"])
        #expect(configuration.policy.allowedBranchPatterns.map(\.source) == ["claude/*", "feature/*"])
        #expect(configuration.policy.allowForcePush == .never)
        #expect(configuration.policy.allowBranchDelete == .never)
        #expect(configuration.policy.allowTagUpdates)
        #expect(configuration.allowedUIDs == [1000, 1001])
        #expect(configuration.socketDirectory == "/tmp/x")
        #expect(configuration.githubURL.description == "http://127.0.0.1:8080")
        #expect(!configuration.githubURL.isSecure)
        #expect(configuration.githubAPIURL.path == "/api/v3")
        #expect(configuration.caFile == "/etc/ca.pem")
        #expect(configuration.auditLog == "/var/log/a.log")
    }

    @Test func commaListsAndOverrides() throws {
        let configuration = try parse(
            ["BLOCKED_BRANCHES": "main, develop", "AGENT_ALLOWED_UIDS": "1000,0", "AGENT_SOCKET_DIR": "/env"],
            overrides: ConfigurationOverrides(socketDirectory: "/flag")
        )
        #expect(configuration.policy.blockedBranches.map(\.source) == ["main", "develop"])
        #expect(configuration.allowedUIDs == [1000, 0])
        #expect(configuration.socketDirectory == "/flag")
    }

    @Test func emptyListMeansNothingBlockedOnlyWhenWrittenAsJSON() throws {
        #expect(try parse(["BLOCKED_BRANCHES": "[]"]).policy.blockedBranches.isEmpty)
        #expect(try parse(["BLOCKED_BRANCHES": ""]).policy.blockedBranches.map(\.source) == ["main", "master"])
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let key: String
        let value: String
        let problem: String
        var testDescription: String { "\(key)=\(value)" }
    }

    @Test(arguments: [
        Bad(key: "BLOCKED_BRANCHES", value: "main,", problem: "'main,' is neither a JSON list nor a comma-separated list without empty entries"),
        Bad(key: "BLOCKED_BRANCHES", value: #"["main""#, problem: #"'["main"' is not a JSON list of strings, like ["main","master"]"#),
        Bad(key: "BLOCKED_BRANCHES", value: "[1]", problem: "1 is a number; write names as strings"),
        Bad(key: "ALLOWED_BRANCH_PATTERNS", value: #"["feature/[a"]"#, problem: "invalid branch pattern 'feature/[a': '[' is not closed"),
        Bad(key: "ALLOWED_BRANCH_PATTERNS", value: #"["a..b"]"#, problem: "invalid branch pattern 'a..b': no branch could match: it contains '..'"),
        Bad(
            key: "ALLOWED_BRANCH_PATTERNS", value: #"["refs/tags/*"]"#,
            problem: "invalid branch pattern 'refs/tags/*': only branches can be listed (refs/heads/… or a short name)"),
        Bad(key: "AGENT_ALLOWED_UIDS", value: #"["alice"]"#, problem: "'alice' is not a uid (a number from 0 to 4294967294)"),
        Bad(key: "AGENT_ALLOWED_UIDS", value: "[-1]", problem: "'-1' is not a uid (a number from 0 to 4294967294)"),
        Bad(key: "AGENT_ALLOWED_UIDS", value: "1000,x", problem: "'x' is not a uid (a number from 0 to 4294967294)"),
        Bad(key: "AGENT_ALLOWED_UIDS", value: "[]", problem: "the list is empty: no one could connect"),
        Bad(key: "ALLOW_FORCE_PUSH", value: "maybe", problem: "expected true, false or own, not 'maybe'"),
        Bad(key: "ALLOW_TAG_UPDATES", value: "2", problem: "expected true or false, not '2'"),
        Bad(key: "AGENT_SOCKET_DIR", value: "run/agent", problem: "'run/agent' is not an absolute path"),
        Bad(key: "AGENT_WORKSPACE", value: "~/work", problem: "'~/work' is not an absolute path"),
        Bad(key: "GITHUB_URL", value: "ftp://github.com", problem: "'ftp://github.com': the scheme must be http or https, not 'ftp'"),
        Bad(key: "GITHUB_URL", value: "https://user:pw@github.com", problem: "'https://user:pw@github.com': user info (user@) is not allowed"),
        Bad(key: "GITHUB_API_URL", value: "api.github.com", problem: "'api.github.com': expected http://HOST or https://HOST"),
        Bad(key: "GITHUB_API_URL", value: "https://api.github.com:99999", problem: "'https://api.github.com:99999': the port must be 1 to 65535"),
        Bad(key: "GITHUB_API_URL", value: "https://api.github.com/?x=1", problem: "'https://api.github.com/?x=1': a query or fragment is not allowed"),
        Bad(key: "AGENT_AUDIT_LOG", value: "audit.log", problem: "'audit.log' is not an absolute path"),
        Bad(key: "AGENT_WORKSPACE_GUARD", value: "maybe", problem: "expected true or false, not 'maybe'"),
    ])
    func badValuesNameTheKey(_ bad: Bad) {
        do {
            _ = try parse([bad.key: bad.value])
            Issue.record("\(bad.key)=\(bad.value) must be refused")
        } catch {
            #expect(error.key == bad.key)
            #expect(error.problem == bad.problem)
            #expect(error.description == "\(bad.key): \(bad.problem)")
        }
    }

    @Test func unknownAgentKeysAreWarnedAbout() throws {
        let (_, warnings) = try ConfigurationParser(
            environment: ["AGENT_SOCKETDIR": "/x", "AGENT_WORKSPACE": "/w", "OTHER": "1"], ownUID: 0
        ).parse()
        #expect(warnings == ["AGENT_SOCKETDIR is not a setting the agent knows (a typo?); it is ignored"])
    }
}
