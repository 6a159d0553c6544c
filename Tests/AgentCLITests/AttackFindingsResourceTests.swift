import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on gh.sock after issue 10 (branch attack-10): ways one client keeps an
/// honest `gh` call from being served, or takes the agent's memory past its budgets. Each test
/// fails against the agent as it was attacked; an honest call is asserted by completion.
struct AttackFindingsResourceTests {
    /// Slots: a request whose body the policy does not read (an issue comment) is forwarded as it
    /// streams, and from then on its slot counts as one the agent works for, so it is never the
    /// one to give way. 256 such requests that send one byte of a 100-byte body hold every slot
    /// (until GitHub's read timeout, 60 s, then the attacker reconnects): `gh api /user` got 503.
    @Test func slowStreamedBodiesOfAllowedWritesDoNotLockOutAnHonestGhCall() async throws {
        let scenario = try await GhScenario.start()
        let head = "POST /repos/o/app/issues/7/comments HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        let attackers = try await RawSocketClient.connect(300, to: scenario.socket) { try $0.send(head) }
        // Readiness, not timing: the agent has forwarded the attack's requests (one upstream
        // connection each) before the honest call arrives.
        let deadline = ContinuousClock.now + .seconds(60)
        while scenario.github.connectionsAccepted < 250, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let honest = try await scenario.gh(["api", "/user"])
        #expect(honest.status == 0 && honest.stdout.contains("octocat-fixture"), "\(honest.output)")
        withExtendedLifetime(attackers) {}
    }

    /// The body budget: two connections that each send all but the last byte of a 32 MiB body to
    /// `POST /graphql` hold the whole 64 MiB budget for the body deadline (15 s, then again), and
    /// every GraphQL call (`gh pr list`, `gh pr create`) got 503 meanwhile.
    @Test func twoGreedyBodiesDoNotStarveEveryGraphQLCall() async throws {
        let scenario = try await GhScenario.start()
        let size = 32 << 20
        var hogs: [RawSocketClient] = []
        for _ in 0..<2 {
            let hog = try RawSocketClient(path: scenario.socket)
            try hog.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n")
            try? hog.send([UInt8](repeating: 0x20, count: size - 1))
            hogs.append(hog)
        }
        let honest = try await scenario.gh(["pr", "list", "-R", "o/app"])
        #expect(honest.status == 0 && honest.stdout.contains("Fixture pull request"), "\(honest.output)")
        withExtendedLifetime(hogs) {}
    }

    /// Work on the event loop: the visit budget bounds how many fields a mutation has (1,000),
    /// not the work per field. 1,000 aliases of `updateRefs(input: $u)` with 40,000 ref updates
    /// in `$u` (a 2.6 MB body) are 40 million ref-policy decisions on gh.sock's only event loop
    /// (measured: a 140 KB variant stalled every gh.sock request, and git.sock connections on
    /// that loop, for 22 s).
    @Test func oneMutationRepeatingALargeInputDoesNotStallTheProxy() async throws {
        let scenario = try await GhScenario.start()
        let fields = (0..<1000).map { "a\($0): updateRefs(input: $u) { clientMutationId }" }.joined(separator: " ")
        let updates = (0..<40_000).map { #"{"name":"refs/heads/claude/x\#($0)","afterOid":"1111111111111111111111111111111111111111"}"# }
        let body =
            #"{"query":"mutation($u: UpdateRefsInput!) { \#(fields) }","variables":{"u":{"repositoryId":"R","refUpdates":[\#(updates.joined(separator: ","))]}}}"#
        let attacker = try RawSocketClient(path: scenario.socket)
        try attacker.send(
            "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let honest = try await scenario.gh(["api", "/user"])
        #expect(honest.status == 0 && honest.stdout.contains("octocat-fixture"), "\(honest.output)")
        withExtendedLifetime(attacker) {}
    }

    /// Memory: the budget counts the bytes of a body the policy reads, but deciding builds a
    /// JSON tree of it. One 31 MiB body (`"variables":{"x":[0,0,…]}`, allowed: it is a query)
    /// took the agent's peak memory from 33 MiB to about 300 MiB; two at once (within the 64 MiB
    /// budget) to 547 MiB.
    @Test func aLargeJSONBodyDoesNotMultiplyTheAgentsMemory() async throws {
        let scenario = try await GhScenario.start()
        let zeros = (31 << 20) / 2
        let text = #"{"query":"query RepositoryInfo { viewer { login } }","variables":{"x":["# + String(repeating: "0,", count: zeros - 1) + "0]}}"
        let body = Array(text.utf8)
        let client = try RawSocketClient(path: scenario.socket)
        try client.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
        try client.send(body)
        let answer = client.readUntilClosed(timeout: .seconds(300))
        #expect(answer.closed, "the agent answered: \(answer.text.prefix(200))")
        let peak = try Self.memoryKiB(scenario.agent.child.pid, "VmHWM:")
        #expect(peak < 200 * 1024, "the agent's peak memory was \(peak) KiB")
    }

    /// Lookups: each ref or pull request named by id is looked up on GitHub, one after another,
    /// with no bound on how many one request may ask for (or on their total time: 30 s each).
    /// 1,000 aliases of `updatePullRequestBranch` with distinct ids made 1,000 GraphQL calls to
    /// GitHub with the token, for one request, while its slot could not be given away.
    @Test func oneRequestCannotMakeTheAgentLookUpAThousandNodes() async throws {
        let scenario = try await GhScenario.start()
        let fields = (0..<1000).map { #"a\#($0): updatePullRequestBranch(input: {pullRequestId: \"PR_\#($0)\"}) { clientMutationId }"# }
        let body = #"{"query":"mutation { \#(fields.joined(separator: " ")) }"}"#
        let answer = try RawSocketClient.exchange(
            scenario.socket,
            "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            timeout: .seconds(300))
        #expect(answer.closed)
        let lookups = scenario.github.requests.filter { String(decoding: $0.bodyPrefix, as: UTF8.self).contains("AgentNodeLookup") }.count
        #expect(lookups <= 16, "one request made the agent send \(lookups) lookups to GitHub")
    }

    static func memoryKiB(_ pid: Int32, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        return status.split(separator: "\n").first { $0.hasPrefix(field) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }
}
