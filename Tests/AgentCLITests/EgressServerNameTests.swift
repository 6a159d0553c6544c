import AgentTestSupport
import Foundation
import Testing

/// egress.sock checks the TLS server name a client asks for against the CONNECT host it was
/// allowed: the same front cannot be asked for another name.
struct EgressServerNameTests {
    @Test func theServerNameMustBeTheConnectHost() async throws {
        let upstream = try await FixtureGitHubServer(tls: true)
        let agent = try await AgentUnderTest(environment: ["EGRESS_ALLOWED_HOSTS": "[\"localhost:\(upstream.port)\"]"])
        let port = try FreePort.find()
        let relay = try ChildProcess(
            "/usr/bin/socat", ["TCP-LISTEN:\(port),bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:\(agent.socketDirectory)/egress.sock"],
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: agent.directory.path)
        defer { relay.signal(SIGKILL) }
        while !FreePort.accepts(port) { try await Task.sleep(for: .milliseconds(20)) }
        func handshake(_ serverName: [String]) async throws -> ProgramResult {
            try await ChildProcess.run(
                "/usr/bin/openssl",
                ["s_client", "-proxy", "127.0.0.1:\(port)", "-connect", "localhost:\(upstream.port)", "-CAfile", FixtureGitHubServer.certificateAuthorityFile]
                    + serverName,
                environment: ["PATH": "/usr/bin:/bin"], stdin: Data(), outputDirectory: agent.directory.path, timeout: .seconds(60))
        }
        let matching = try await handshake(["-servername", "localhost"])
        #expect(!matching.stdout.contains("Cipher is (NONE)") && matching.stdout.contains("Verify return code: 0 (ok)"), "\(matching.output)")

        for (arguments, reason) in [
            (["-servername", "evil.example"], "its TLS server name 'evil.example' is not the CONNECT host"),
            (["-noservername"], "it sends no TLS server name"),
        ] {
            let refused = try await handshake(arguments)
            #expect(refused.stdout.contains("Cipher is (NONE)"), "no handshake: \(arguments): \(refused.output)")
            #expect(agent.auditLog.contains(reason), "\(arguments)")
        }
        #expect(upstream.connectionsAccepted >= 1)
    }

    /// A client that hangs up at any point of the tunnel's setup (after the CONNECT line, before
    /// or after the agent's 200, halfway through its hello) leaves the agent serving.
    @Test func hangingUpDuringSetupDoesNotStopTheAgent() async throws {
        let upstream = try await FixtureGitHubServer(tls: true)
        let agent = try await AgentUnderTest(environment: [
            "EGRESS_ALLOWED_HOSTS": "[\"localhost:\(upstream.port)\",\"127.0.0.1:\(upstream.port)\"]"
        ])
        let socket = agent.socketDirectory + "/egress.sock"
        for host in ["localhost", "127.0.0.1"] {
            for tail in ["", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}"] {
                for _ in 0..<5 {
                    let client = try RawSocketClient(path: socket)
                    try client.send("CONNECT \(host):\(upstream.port) HTTP/1.1\r\n\r\n" + tail)
                    client.close()
                }
            }
        }
        let status = try await agent.status()
        #expect(status.status == 0, "the agent still answers: \(status.output)")
        #expect(agent.child.isRunning)
    }
}
