import AgentTestSupport
import Foundation
import Testing

/// Health that means something (issue 16): an agent that answers but whose token GitHub rejects,
/// or whose GitHub cannot be reached, is not healthy. `agent-status` (run.sh's start-up gate)
/// and `command-agent --check-health` (the compose healthcheck) exit non-zero and say why.
@Suite struct AgentHealthTests {
    static let canary = AgentUnderTest.canaryToken

    /// `command-agent --check-health` against `agent`, as the healthcheck runs it in the container.
    func checkHealth(_ agent: AgentUnderTest) async throws -> ProgramResult {
        try await ChildProcess.run(
            BuiltProducts.path("command-agent"), ["--check-health"],
            environment: ["PATH": "/usr/bin:/bin", "AGENT_SOCKET_DIR": agent.socketDirectory], outputDirectory: agent.directory.path)
    }

    func expectUnhealthy(_ agent: AgentUnderTest, because reason: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let status = try await agent.status()
        #expect(status.status == 1, "\(status.output)", sourceLocation: sourceLocation)
        #expect(status.stdout.contains("NOT healthy: \(reason)"), "\(status.output)", sourceLocation: sourceLocation)
        #expect(status.stderr.contains("agent-status: the command agent is not healthy: \(reason)"), "\(status.output)", sourceLocation: sourceLocation)

        let json = try await agent.status(["--json"])
        #expect(json.status == 1, sourceLocation: sourceLocation)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        #expect(object["healthy"] as? Bool == false, sourceLocation: sourceLocation)
        #expect((object["unhealthy_reason"] as? String)?.contains(reason) == true, "\(json.output)", sourceLocation: sourceLocation)

        let check = try await checkHealth(agent)
        #expect(check.status == 1, "\(check.output)", sourceLocation: sourceLocation)
        #expect(check.stdout.contains("NOT healthy: \(reason)"), "\(check.output)", sourceLocation: sourceLocation)
        for output in [status.output, json.output, check.output, agent.allOutput] {
            #expect(!output.contains(Self.canary), "the token leaked", sourceLocation: sourceLocation)
        }
    }

    @Test func aTokenGitHubAcceptsIsHealthy() async throws {
        let agent = try await AgentUnderTest()
        let status = try await agent.status()
        #expect(status.status == 0, "\(status.output)")
        #expect(status.stdout.contains(": healthy"))
        let check = try await checkHealth(agent)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.stdout == "command agent at \(agent.gitSocketPath): healthy\n")
    }

    @Test func aTokenGitHubRejectsIsNotHealthy() async throws {
        // This GitHub accepts only its App's installation tokens: the agent's PAT gets a 401.
        let scratch = try TemporaryDirectory(prefix: "rejecting")
        let github = try await FixtureGitHubServer(app: try FixtureGitHubApp(tokenFile: scratch.sub("tokens")))
        let agent = try await AgentUnderTest(githubAPIURL: github.baseURL)
        try await expectUnhealthy(agent, because: "GitHub rejected the token (127.0.0.1 answered 401 to GET /user)")
        #expect(github.requests.contains { $0.uri == "/user" }, "the agent asked GitHub")
        await github.shutdown()
    }

    @Test func aGitHubThatCannotBeReachedIsNotHealthy() async throws {
        let agent = try await AgentUnderTest(githubAPIURL: "http://127.0.0.1:9")
        try await expectUnhealthy(agent, because: "cannot reach GitHub: 127.0.0.1 did not answer GET /user")
    }

    @Test func checkHealthWithoutAnAgentSaysSo() async throws {
        let directory = try TemporaryDirectory(prefix: "health")
        let check = try await ChildProcess.run(
            BuiltProducts.path("command-agent"), ["--check-health"],
            environment: ["PATH": "/usr/bin:/bin", "AGENT_SOCKET_DIR": directory.sub("run")], outputDirectory: directory.path)
        #expect(check.status == 1)
        #expect(check.stdout.contains("NOT healthy: cannot reach the command agent at \(directory.sub("run"))/git.sock"), "\(check.output)")
    }
}
