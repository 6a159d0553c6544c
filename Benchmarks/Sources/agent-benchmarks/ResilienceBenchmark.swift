import AgentTestSupport
import Foundation
import Synchronization

/// Issue 10's figure: how long an honest `gh` request (one `GET /repos/o/app` through gh.sock)
/// waits while each resource attack is under way, next to the same request on an idle agent.
/// The tests assert that it is served; this reports how long that took.
enum ResilienceBenchmark {
    static func run(upstream: FixtureGitHubServer) async throws -> [ReportLine] {
        let agent = try await AgentUnderTest(githubAPIURL: upstream.baseURL)
        let socket = agent.socketDirectory + "/gh.sock"
        let honest = Array("GET /repos/o/app HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n".utf8)
        func honestWaits(_ count: Int = 20) -> [Double] {
            StreamBenchmark.measure(.unix(path: socket), honest, connections: 1, rounds: count).map(\.totalMs)
        }
        _ = honestWaits()
        let idle = Measure.median(honestWaits())
        var lines = [
            ReportLine(
                name: "honest gh request, idle agent (median of 20)", value: "\(Measure.format(idle)) ms", baseline: "–", ratio: "–", goal: "–", met: nil)
        ]
        func report(_ attack: String, _ waits: [Double]) {
            let median = Measure.median(waits)
            print(
                "honest gh request while \(attack): median \(Measure.format(median)) ms, max \(Measure.format(waits.max() ?? .nan)) ms (\(waits.count) served)")
            lines.append(
                ReportLine(
                    name: "honest gh request while \(attack) (median of 20)", value: "\(Measure.format(median)) ms",
                    baseline: "\(Measure.format(idle)) ms", ratio: "+\(Measure.format(median - idle)) ms", goal: "served", met: waits.count == 20))
        }

        // 300 connections each stuck halfway through a body the policy must read.
        var held: [RawSocketClient] = []
        for _ in 0..<300 {
            guard let client = try? RawSocketClient(path: socket) else { continue }
            try? client.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
            held.append(client)
        }
        report("300 slow bodies hold every slot", honestWaits())
        held.removeAll()

        // Two clients sending fragment bombs and 4 MB block strings back to back.
        let stop = Atomic(false)
        let bomb = GhLoad.graphQLRequest(HostileDocuments.fragmentBomb(levels: 40))
        let blocks = GhLoad.graphQLRequest("query { a(b: \"\"\"" + String(repeating: "\n", count: 2 << 20) + "x\"\"\") }")
        let attackers = [bomb, blocks].map { request in
            let thread = Thread {
                while !stop.load(ordering: .relaxed) { _ = StreamBenchmark.exchange(.unix(path: socket), request) }
            }
            thread.start()
            return thread
        }
        report("GraphQL fragment bombs and 4 MB block strings are sent back to back", honestWaits())
        stop.store(true, ordering: .relaxed)
        withExtendedLifetime(attackers) {}

        // Twelve unfinished 30 MiB bodies the policy must read.
        var big: [RawSocketClient] = []
        let chunk = [UInt8](repeating: 0x20, count: 1 << 20)
        for _ in 0..<12 {
            guard let client = try? RawSocketClient(path: socket) else { continue }
            try? client.send("POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(31 << 20)\r\n\r\n")
            for _ in 0..<30 { try? client.send(chunk) }
            big.append(client)
        }
        report("12 unfinished 30 MiB bodies are held", honestWaits())
        big.removeAll()
        return lines
    }
}

/// Request bodies for the attacks.
enum GhLoad {
    static func graphQLRequest(_ query: String) -> [UInt8] {
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        let body = "{\"query\":\"\(escaped)\"}"
        return Array(
            "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }
}
