import AgentTestSupport
import Foundation
import Testing

/// anthropic.sock: Claude's API traffic with the credential the agent holds; the client's
/// placeholder never reaches the API, paths outside /v1/ are refused, streams pass as they come.
struct AnthropicSocketTests {
    static let canaryKey = "sk-ant-api03-CANARYkey0123456789abcdefCANARY"
    static let canaryOAuth = "sk-ant-oat01-CANARYoauth0123456789abcdefCANARY"
    static let placeholder = "placeholder-held-by-the-agent"

    struct Scenario {
        let upstream: FixtureGitHubServer
        let agent: AgentUnderTest
        var socket: String { agent.socketDirectory + "/anthropic.sock" }

        static func start(_ credential: [String: String]) async throws -> Scenario {
            let upstream = try await FixtureGitHubServer()
            var environment = credential
            environment["ANTHROPIC_API_URL"] = upstream.baseURL
            let agent = try await AgentUnderTest(environment: environment)
            return Scenario(upstream: upstream, agent: agent)
        }

        func curl(_ arguments: [String]) async throws -> ProgramResult {
            try await ChildProcess.run(
                "/usr/bin/curl", ["-sS", "--max-time", "60", "--unix-socket", socket] + arguments, environment: ["PATH": "/usr/bin:/bin"],
                outputDirectory: agent.directory.path)
        }

        func expectNoCanary(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(agent.child.pid)/environ"))) ?? Data()
            for canary in [AnthropicSocketTests.canaryKey, AnthropicSocketTests.canaryOAuth, AgentUnderTest.canaryToken] {
                #expect(!agent.allOutput.contains(canary), "a secret leaked into the agent's output", sourceLocation: sourceLocation)
                #expect(environ.range(of: Data(canary.utf8)) == nil, "a secret is still in /proc/<pid>/environ", sourceLocation: sourceLocation)
            }
        }
    }

    static let messagesRequest = #"{"model":"claude-fixture-1","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    @Test func anAPIKeyReplacesWhatTheClientSent() async throws {
        let scenario = try await Scenario.start(["ANTHROPIC_API_KEY": Self.canaryKey])
        let result = try await scenario.curl([
            "-w", "\n%{http_code}", "-H", "x-api-key: \(Self.placeholder)", "-H", "Authorization: Bearer \(Self.placeholder)",
            "-H", "anthropic-version: 2023-06-01", "-H", "content-type: application/json", "--data-binary", Self.messagesRequest,
            "http://localhost/v1/messages?beta=true",
        ])
        #expect(result.stdout.hasSuffix("\n404"), "forwarded (the fixture has no such route): \(result.output)")
        let request = try #require(scenario.upstream.requests.first)
        #expect(request.uri == "/v1/messages?beta=true")
        #expect(request.header("x-api-key") == Self.canaryKey)
        #expect(request.header("Authorization") == nil)
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(!request.headers.contains { $0.1.contains(Self.placeholder) }, "the placeholder reached the API")
        #expect(request.bodyByteCount == Self.messagesRequest.utf8.count)
        #expect(scenario.agent.auditLog.contains(#""socket":"anthropic.sock","operation":"POST /v1/messages""#))
        #expect(scenario.agent.auditLog.contains(#""model":"claude-fixture-1""#))
        #expect(!result.output.contains(Self.canaryKey))
        try scenario.expectNoCanary()
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("Anthropic credential: API key held"), "\(status.output)")
    }

    @Test func anOAuthTokenGoesAsABearerWithItsBetaFlag() async throws {
        let scenario = try await Scenario.start(["CLAUDE_CODE_OAUTH_TOKEN": Self.canaryOAuth])
        _ = try await scenario.curl([
            "-H", "x-api-key: \(Self.placeholder)", "-H", "anthropic-beta: claude-code-20250219", "--data-binary", Self.messagesRequest,
            "http://localhost/v1/messages",
        ])
        let request = try #require(scenario.upstream.requests.first)
        #expect(request.header("Authorization") == "Bearer \(Self.canaryOAuth)")
        #expect(request.header("x-api-key") == nil)
        #expect(request.header("anthropic-beta") == "claude-code-20250219,oauth-2025-04-20")
        try scenario.expectNoCanary()
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("Anthropic credential: OAuth token held"), "\(status.output)")
    }

    @Test(arguments: ["/", "/v1", "/v2/messages", "/v1/../admin", "/v1%2F..%2Fadmin", "/api/oauth/token", "/V1/messages", "/v1//messages"])
    func pathsOutsideV1AreRefused(_ path: String) async throws {
        let scenario = try await Scenario.start(["ANTHROPIC_API_KEY": Self.canaryKey])
        let result = try await scenario.curl(["-w", "\n%{http_code}", "--path-as-is", "http://localhost" + path])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last == "403", "\(result.output)")
        let body = try #require(lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(body["type"] as? String == "error")
        #expect((body["error"] as? [String: Any])?["type"] as? String == "permission_error")
        #expect(scenario.upstream.requests.isEmpty)
    }

    /// Server-sent events reach the client as they are sent (the first one arrives while the API
    /// still holds the rest), and a client that hangs up closes the upstream connection.
    @Test func streamsPassThroughAndHangingUpCancelsTheUpstream() async throws {
        let scenario = try await Scenario.start(["ANTHROPIC_API_KEY": Self.canaryKey])
        let client = try RawSocketClient(path: scenario.socket)
        try client.send("POST /v1/fixture/held-stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
        let first = client.readUntil("event: one")
        #expect(first.contains("event: one") && !first.contains("event: two"), "\(first)")
        #expect(scenario.upstream.heldStreamCount == 1)
        _ = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", scenario.upstream.baseURL + "/fixture/release"], environment: [:], outputDirectory: scenario.agent.directory.path)
        let rest = client.readUntilClosed(timeout: .seconds(30))
        #expect(rest.text.contains("event: two") && rest.closed, "\(rest)")

        let leaving = try RawSocketClient(path: scenario.socket)
        try leaving.send("POST /v1/fixture/held-stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}")
        _ = leaving.readUntil("event: one")
        let closedBefore = scenario.upstream.connectionsClosed
        leaving.close()
        try await waitUntil { scenario.upstream.connectionsClosed > closedBefore }
        #expect(scenario.upstream.connectionsClosed > closedBefore, "the upstream connection of an abandoned stream is closed")
        #expect(scenario.agent.auditLog.contains("client closed before the response ended"))
    }

    @Test(arguments: [
        (["ANTHROPIC_API_KEY": "a", "CLAUDE_CODE_OAUTH_TOKEN": "b"], "ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN: only one Anthropic credential may be set"),
        (["ANTHROPIC_API_KEY": "a", "CLAUDE_CODE_OAUTH_TOKEN_FILE": "/etc/hostname"], "ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN_FILE: only one"),
        (
            ["ANTHROPIC_API_KEY": "a", "ANTHROPIC_API_KEY_FILE": "/etc/hostname"],
            "ANTHROPIC_API_KEY: both ANTHROPIC_API_KEY and ANTHROPIC_API_KEY_FILE are set"
        ),
        (["CLAUDE_CODE_OAUTH_TOKEN_FILE": "/nonexistent"], "CLAUDE_CODE_OAUTH_TOKEN_FILE: cannot read /nonexistent"),
        (["ANTHROPIC_API_KEY": "two words"], "ANTHROPIC_API_KEY: the token contains spaces"),
    ])
    func badCredentialSettingsStopTheAgent(_ environment: [String: String], _ line: String) async throws {
        let directory = try TemporaryDirectory(prefix: "anthropic-bad")
        var settings = ["PATH": "/usr/bin:/bin", "GITHUB_TOKEN": AgentUnderTest.canaryToken, "AGENT_SOCKET_DIR": directory.sub("run")]
        settings.merge(environment) { $1 }
        let result = try await ChildProcess.run(
            BuiltProducts.path("command-agent"), [], environment: settings, outputDirectory: directory.path, timeout: .seconds(30))
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.hasPrefix("command-agent: " + line), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.output.contains("two words"))
    }

    /// With a credential, the agent keeps api.anthropic.com off the default egress list (the
    /// traffic goes through anthropic.sock); without one, Claude Code reaches it through egress.
    @Test func theDefaultEgressListFollowsTheCredential() async throws {
        let holding = try await AgentUnderTest(environment: ["ANTHROPIC_API_KEY": Self.canaryKey])
        let refused = try RawSocketClient.exchange(holding.socketDirectory + "/egress.sock", "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n")
        #expect(refused.text.hasPrefix("HTTP/1.1 403"), "\(refused.text)")

        let without = try await AgentUnderTest()
        #expect(!FileManager.default.fileExists(atPath: without.socketDirectory + "/anthropic.sock"))
        let allowed = try RawSocketClient.exchange(without.socketDirectory + "/egress.sock", "CONNECT api.anthropic.com:443 HTTP/1.1\r\n\r\n")
        #expect(!allowed.text.hasPrefix("HTTP/1.1 403"), "allowed (then unreachable here): \(allowed.text)")
        let status = try await without.status()
        #expect(status.stdout.contains("Anthropic credential: none"), "\(status.output)")
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
