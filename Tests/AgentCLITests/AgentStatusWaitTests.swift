import AgentTestSupport
import Foundation
import Testing

/// `agent-status --wait N`: run.sh's readiness check from the claude side, for an agent that
/// has just been started and may not listen yet.
@Suite struct AgentStatusWaitTests {
    @Test func waitsForAnAgentThatStartsLater() async throws {
        let directory = try TemporaryDirectory(prefix: "wait")
        let socketDirectory = directory.sub("run")
        let environment = ["PATH": "/usr/bin:/bin", "AGENT_SOCKET_DIR": socketDirectory]
        let impatient = try await ChildProcess.run(
            BuiltProducts.path("agent-status"), [], environment: environment, outputDirectory: directory.path)
        #expect(impatient.status == 1)
        #expect(impatient.stderr.contains("the socket does not exist"), "\(impatient.stderr)")

        let github = try await FixtureGitHubServer.shared()
        let waiting = try ChildProcess(BuiltProducts.path("agent-status"), ["--wait", "60"], environment: environment, outputDirectory: directory.path)
        #expect(waiting.isRunning, "it keeps trying while there is no agent")
        let agent = try ChildProcess(
            BuiltProducts.path("command-agent"),
            environment: [
                "PATH": "/usr/bin:/bin", "GITHUB_TOKEN": AgentUnderTest.canaryToken, "AGENT_SOCKET_DIR": socketDirectory,
                "AGENT_WORKSPACE": directory.path, "AGENT_AUDIT_LOG": directory.sub("audit.log"), "GITHUB_API_URL": github.baseURL,
            ],
            outputDirectory: directory.path
        )
        defer { agent.signal(SIGKILL) }
        #expect(await waiting.wait(timeout: .seconds(60)) == 0, "\(waiting.stderr)")
        #expect(waiting.stdout.contains(": healthy"))
        #expect(!(waiting.stdout + waiting.stderr).contains(AgentUnderTest.canaryToken))
    }
}
