import AgentTestSupport
import Foundation
import Testing

/// The claude container's own HTTPS goes out only through the agent's egress.sock, to allowed hosts.
struct EgressTests {
    @Test func allowedHostIsReachedOthersAreRefused() async throws {
        let upstream = try await FixtureGitHubServer()
        let agent = try await AgentUnderTest(environment: ["EGRESS_ALLOWED_HOSTS": "[\"127.0.0.1:\(upstream.port)\"]"])
        // The relay the claude container runs: TCP on loopback to the agent's socket.
        let port = try FreePort.find()
        let relay = try ChildProcess(
            "/usr/bin/socat", ["TCP-LISTEN:\(port),bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:\(agent.socketDirectory)/egress.sock"],
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: agent.directory.path
        )
        defer { relay.signal(SIGKILL) }
        while !FreePort.accepts(port) { try await Task.sleep(for: .milliseconds(20)) }
        func curl(_ url: String) async throws -> ProgramResult {
            try await ChildProcess.run(
                "/usr/bin/curl", ["-sS", "-p", "-x", "http://127.0.0.1:\(port)", "-w", "\n%{http_code}", url],
                environment: ["PATH": "/usr/bin:/bin"], outputDirectory: agent.directory.path
            )
        }
        let allowed = try await curl("http://127.0.0.1:\(upstream.port)/user")
        #expect(allowed.stdout.contains("octocat-fixture"), "\(allowed.output)")
        #expect(upstream.requests.first?.header("Authorization") == nil, "egress carries no token")

        let refused = try await curl("https://example.com/")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("403"), "\(refused.output)")
        #expect(agent.child.stderr.contains("warning: egress to 'example.com:443' refused by the command agent: not in EGRESS_ALLOWED_HOSTS"))
        #expect(agent.auditLog.contains(#""operation":"CONNECT example.com:443","decision":"deny""#))
    }
}
