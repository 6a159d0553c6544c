import AgentProtocol
import AgentTestSupport
import Foundation
import Testing

/// Slow, silent and greedy clients on every socket: each attack holds what it can, and an honest
/// client is still served while it does (asserted by completion, never by timing).
struct SocketResourceTests {
    /// More connections than gh.sock has slots, each stuck halfway through a body the policy
    /// must read: the honest `gh api` call still gets its answer.
    @Test func slowBodiesDoNotLockOutAnHonestGhCall() async throws {
        let scenario = try await GhScenario.start()
        let attackers = try await RawSocketClient.connect(300, to: scenario.socket) { client in
            try client.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
        }
        let honest = try await scenario.gh(["api", "/user"])
        #expect(honest.status == 0 && honest.stdout.contains("octocat-fixture"), "\(honest.output)")
        #expect(scenario.github.requests.map(\.uri) == ["/user"], "no half request was forwarded")
        withExtendedLifetime(attackers) {}
    }

    /// Connections that never send a head are closed by the head deadline.
    @Test func aSilentConnectionIsClosed() async throws {
        let scenario = try await GhScenario.start()
        let silent = try RawSocketClient(path: scenario.socket)
        let answer = silent.readUntilClosed(timeout: .seconds(60))
        #expect(answer.closed && answer.text.isEmpty, "\(answer)")
    }

    /// A body the policy must read that stops arriving gets a 408, and nothing is forwarded.
    @Test func aStalledBodyIsAnsweredAndNotForwarded() async throws {
        let scenario = try await GhScenario.start()
        let client = try RawSocketClient(path: scenario.socket)
        try client.send("PATCH /repos/o/app/git/refs/heads/claude/x HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 40\r\n\r\n{\"sha\":")
        let answer = client.readUntilClosed(timeout: .seconds(60))
        #expect(answer.text.httpStatus == 408, "\(answer.text)")
        #expect(scenario.github.requests.isEmpty)
    }

    /// Twelve unfinished 30 MiB bodies the policy must read: past the total budget (64 MiB) the
    /// agent answers 503 instead of holding them, its memory stays bounded, and it still serves.
    @Test func bodiesTheAgentHoldsHaveATotalBudget() async throws {
        let scenario = try await GhScenario.start()
        let size = 30 << 20
        let chunk = [UInt8](repeating: 0x20, count: 1 << 20)
        var clients: [RawSocketClient] = []
        var refused = 0
        for _ in 0..<12 {
            let client = try RawSocketClient(path: scenario.socket)
            try client.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(size + 1)\r\n\r\n")
            var sent = 0
            do {
                while sent < size {
                    try client.send(chunk)
                    sent += chunk.count
                }
            } catch {
                refused += 1  // the agent answered and stopped reading
            }
            clients.append(client)
        }
        // Turned away: answered 503, or made to give way to a later one (closed without an answer).
        let turnedAway = clients.map { $0.readUntilClosed(timeout: .seconds(1)) }.filter { $0.closed && ($0.text.httpStatus == 503 || $0.text.isEmpty) }
        #expect(refused + turnedAway.count >= 8, "most of the twelve were turned away (\(refused) stopped, \(turnedAway.count) closed)")
        let peak = try agentMemoryKiB(scenario.agent.child.pid, "VmHWM:")
        #expect(peak < 200 * 1024, "the agent's peak memory was \(peak) KiB")
        let honest = try await scenario.gh(["api", "/user"])
        #expect(honest.status == 0, "\(honest.output)")
        withExtendedLifetime(clients) {}
    }

    /// 64 clients that keep their git.sock connections open between status requests hold every
    /// slot; a new client still gets in (the one that waited longest gives way).
    @Test func idleGitConnectionsGiveWay() async throws {
        let agent = try await AgentUnderTest()
        var idle: [RawSocketClient] = []
        for _ in 0..<64 {
            let client = try RawSocketClient(path: agent.gitSocketPath)
            try client.send("operation=status\n\n")
            #expect(client.readUntil("\n\n").hasPrefix("status=ok"), "admitted and answered before the next one connects")
            idle.append(client)
        }
        let status = try await agent.status()
        #expect(status.status == 0 && status.stdout.contains("healthy"), "\(status.output)")
        withExtendedLifetime(idle) {}
    }

    /// Clients that send their request and shut their side at once (as `socat` and relays do)
    /// are answered, however many come together: what arrives with the end of input is kept
    /// until the connection's task takes it.
    @Test func requestsFollowedByAnImmediateHangUpAreAnswered() async throws {
        let agent = try await AgentUnderTest()
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<48 {
                group.addTask {
                    let client = try RawSocketClient(path: agent.gitSocketPath)
                    try client.send("operation=status\n\n")
                    client.finishSending()
                    return client.readUntilClosed(timeout: .seconds(30)).text
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.hasPrefix("status=ok") }, "\(answers.filter { !$0.hasPrefix("status=ok") }.count) of 48 got no answer")
    }

    /// Connections to egress.sock that never send their CONNECT line do not keep an honest
    /// tunnel out, and are closed by the head deadline.
    @Test func silentEgressClientsGiveWay() async throws {
        let upstream = try await FixtureGitHubServer()
        let agent = try await AgentUnderTest(environment: ["EGRESS_ALLOWED_HOSTS": "[\"127.0.0.1:\(upstream.port)\"]"])
        let socket = agent.socketDirectory + "/egress.sock"
        let silent = try await RawSocketClient.connect(300, to: socket) { _ in }
        let honest = try RawSocketClient(path: socket)
        try honest.send("CONNECT 127.0.0.1:\(upstream.port) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /user HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        honest.finishSending()
        let answer = honest.readUntilClosed(timeout: .seconds(30))
        #expect(
            answer.text.hasPrefix("HTTP/1.1 200 Connection established"),
            "closed=\(answer.closed) \(answer.text.prefix(200)) \(agent.allOutput) fds=\((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(agent.child.pid)/fd").count) ?? -1)"
        )
        #expect(answer.text.contains("octocat-fixture"))
        let first = try #require(silent.first)
        #expect(first.readUntilClosed(timeout: .seconds(60)).closed, "the silent connection was closed")
    }

    func agentMemoryKiB(_ pid: Int32, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        return status.split(separator: "\n").first { $0.hasPrefix(field) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }
}
