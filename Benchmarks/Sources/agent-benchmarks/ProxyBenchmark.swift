import AgentClient
import AgentProtocol
import AgentTestSupport
import Foundation
import Synchronization

/// Figures 3 and 5: the gh proxy under 64 concurrent connections against the same upstream
/// reached directly, and the agent's start-up time and memory.
enum ProxyBenchmark {
    static func run(agent: AgentUnderTest, upstream: FixtureGitHubServer) -> (lines: [ReportLine], rssUnderLoad: Double) {
        let path = "/repos/o/app"
        let direct = LoadGenerator(
            target: .tcp(port: UInt16(upstream.port)),
            request: Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nConnection: close\r\n\r\n".utf8),
            connections: 64, duration: .seconds(6))
        let proxied = LoadGenerator(
            target: .unix(path: agent.socketDirectory + "/gh.sock"),
            request: Array(
                "GET \(path) HTTP/1.1\r\nHost: api.github.com\r\nUser-Agent: bench\r\nAuthorization: token placeholder\r\nConnection: close\r\n\r\n".utf8),
            connections: 64, duration: .seconds(6))
        _ = direct.run()  // warm-up of both paths (connection pools, page cache)
        _ = LoadGenerator(target: proxied.target, request: proxied.request, connections: 64, duration: .seconds(2)).run()
        var directRuns: [LoadGenerator.Result] = []
        var proxiedRuns: [LoadGenerator.Result] = []
        let rss = Mutex<[Double]>([])
        let pid = agent.child.pid
        // CPU per request of the harness (load generator + upstream) and of the agent: on two
        // shared cores, the proxy's share of the throughput follows from these.
        var cpu: (direct: [Double], proxiedHarness: [Double], proxiedAgent: [Double]) = ([], [], [])
        let own = getpid()
        for _ in 0..<2 {
            var before = Measure.cpuSeconds(pid: own)
            let directRun = direct.run()
            directRuns.append(directRun)
            cpu.direct.append((Measure.cpuSeconds(pid: own) - before) / Double(max(directRun.requests, 1)) * 1e6)
            before = Measure.cpuSeconds(pid: own)
            let agentBefore = Measure.cpuSeconds(pid: pid)
            let sampler = Thread {
                Thread.sleep(forTimeInterval: 3)
                let value = Measure.residentMiB(pid: pid)
                rss.withLock { $0.append(value) }
            }
            sampler.start()
            let proxiedRun = proxied.run()
            proxiedRuns.append(proxiedRun)
            cpu.proxiedHarness.append((Measure.cpuSeconds(pid: own) - before) / Double(max(proxiedRun.requests, 1)) * 1e6)
            cpu.proxiedAgent.append((Measure.cpuSeconds(pid: pid) - agentBefore) / Double(max(proxiedRun.requests, 1)) * 1e6)
        }
        func summary(_ runs: [LoadGenerator.Result]) -> (rps: Double, p50: Double, p99: Double, failures: Int) {
            let latencies = runs.flatMap(\.latenciesMs)
            return (
                Measure.median(runs.map(\.perSecond)), Measure.percentile(latencies, 0.5), Measure.percentile(latencies, 0.99),
                runs.map(\.failures).reduce(0, +)
            )
        }
        let d = summary(directRuns)
        let p = summary(proxiedRuns)
        print(
            "gh proxy: direct \(Measure.format(d.rps, 0)) req/s p50 \(Measure.format(d.p50)) ms p99 \(Measure.format(d.p99)) ms (\(d.failures) failures); through gh.sock \(Measure.format(p.rps, 0)) req/s p50 \(Measure.format(p.p50)) ms p99 \(Measure.format(p.p99)) ms (\(p.failures) failures)"
        )
        print(
            "gh proxy CPU per request: direct \(Measure.format(Measure.median(cpu.direct), 0)) µs (generator + upstream); through gh.sock \(Measure.format(Measure.median(cpu.proxiedHarness), 0)) µs (generator + upstream) + \(Measure.format(Measure.median(cpu.proxiedAgent), 0)) µs (agent)"
        )
        // The same request one at a time: what the proxy adds to a request when nothing queues.
        // (Under the 64-connection load the cores are saturated, and by Little's law the added
        // latency there follows from the throughput.)
        func single(_ generator: LoadGenerator) -> LoadGenerator {
            LoadGenerator(target: generator.target, request: generator.request, connections: 1, duration: .seconds(3))
        }
        let directSingle = single(direct).run()
        let proxiedSingle = single(proxied).run()
        let singleAdded = Measure.percentile(proxiedSingle.latenciesMs, 0.5) - Measure.percentile(directSingle.latenciesMs, 0.5)
        let singleAddedP99 = Measure.percentile(proxiedSingle.latenciesMs, 0.99) - Measure.percentile(directSingle.latenciesMs, 0.99)
        print(
            "gh proxy, one connection: direct p50 \(Measure.format(Measure.percentile(directSingle.latenciesMs, 0.5))) ms, through gh.sock p50 \(Measure.format(Measure.percentile(proxiedSingle.latenciesMs, 0.5))) ms (added \(Measure.format(singleAdded)) ms, p99 added \(Measure.format(singleAddedP99)) ms)"
        )
        let share = p.rps / d.rps
        return (
            [
                ReportLine(
                    name: "gh proxy throughput, 64 connections", value: "\(Measure.format(p.rps, 0)) req/s", baseline: "\(Measure.format(d.rps, 0)) req/s",
                    ratio: Measure.format(share, 2), goal: "≥ 0.80 of direct", met: share >= 0.8),
                ReportLine(
                    name: "gh proxy added p50 latency", value: "\(Measure.format(p.p50)) ms", baseline: "\(Measure.format(d.p50)) ms",
                    ratio: "+\(Measure.format(p.p50 - d.p50)) ms", goal: "≤ +0.5 ms", met: p.p50 - d.p50 <= 0.5),
                ReportLine(
                    name: "gh proxy added p99 latency", value: "\(Measure.format(p.p99)) ms", baseline: "\(Measure.format(d.p99)) ms",
                    ratio: "+\(Measure.format(p.p99 - d.p99)) ms", goal: "≤ +2 ms", met: p.p99 - d.p99 <= 2),
                ReportLine(
                    name: "gh proxy added p50 / p99, one connection at a time",
                    value:
                        "\(Measure.format(Measure.percentile(proxiedSingle.latenciesMs, 0.5))) / \(Measure.format(Measure.percentile(proxiedSingle.latenciesMs, 0.99))) ms",
                    baseline:
                        "\(Measure.format(Measure.percentile(directSingle.latenciesMs, 0.5))) / \(Measure.format(Measure.percentile(directSingle.latenciesMs, 0.99))) ms",
                    ratio: "+\(Measure.format(singleAdded)) / +\(Measure.format(singleAddedP99)) ms", goal: "–", met: nil),
            ], Measure.median(rss.withLock { $0 })
        )
    }

    /// Start to the first answered `status` (polled every millisecond), ten times; then resident
    /// memory when idle.
    static func footprint(upstream: FixtureGitHubServer) async throws -> (lines: [ReportLine], agent: AgentUnderTest) {
        var startTimes: [Double] = []
        for _ in 0..<10 {
            let directory = try TemporaryDirectory(prefix: "foot")
            let socket = directory.sub("run/git.sock")
            let start = ContinuousClock.now
            let child = try ChildProcess(
                BuiltProducts.path("command-agent"),
                environment: [
                    "GITHUB_TOKEN": AgentUnderTest.canaryToken, "AGENT_SOCKET_DIR": directory.sub("run"), "AGENT_WORKSPACE": directory.path,
                    "AGENT_AUDIT_LOG": directory.sub("audit.log"), "GITHUB_API_URL": upstream.baseURL,
                ],
                outputDirectory: directory.path)
            var answered = false
            while !answered, ContinuousClock.now - start < .seconds(10) {
                if let connection = try? AgentConnection(socketPath: socket, connectTimeout: .milliseconds(100)),
                    let reply = try? connection.send(Frame(["operation": "status"]), replyTimeout: .seconds(5))
                {
                    answered = reply["status"] == "ok"
                } else {
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            let elapsed = ContinuousClock.now - start
            startTimes.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            child.signal(SIGTERM)
            _ = await child.wait(timeout: .seconds(10))
        }
        let agent = try await AgentUnderTest(githubAPIURL: upstream.baseURL)
        _ = try await agent.status()
        try await Task.sleep(for: .seconds(2))
        let idle = Measure.residentMiB(pid: agent.child.pid)
        let ready = Measure.median(startTimes)
        print(
            "footprint: start to answered status median \(Measure.format(ready, 1)) ms (min \(Measure.format(startTimes.min() ?? 0, 1))); idle RSS \(Measure.format(idle, 1)) MiB"
        )
        return (
            [
                ReportLine(
                    name: "start to answering status (median of 10)", value: "\(Measure.format(ready, 1)) ms", baseline: "–", ratio: "–", goal: "≤ 100 ms",
                    met: ready <= 100),
                ReportLine(name: "resident memory, idle", value: "\(Measure.format(idle, 1)) MiB", baseline: "–", ratio: "–", goal: "≤ 30 MB", met: idle <= 30),
            ], agent
        )
    }
}
