import AgentTestSupport
import Foundation

/// `Benchmarks/run.sh`: what the agent costs next to direct access, measured side by side in one
/// run with release builds. Prints each figure, then a Markdown table for the README.
@main
enum Benchmarks {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `--only graphql,proxy,resilience,anthropic,git,content` runs a subset (for profiling one figure); `--no-git` skips the git figures.
        let onlyIndex = arguments.firstIndex(of: "--only")
        let only = onlyIndex.flatMap { arguments.indices.contains($0 + 1) ? Set(arguments[$0 + 1].split(separator: ",").map(String.init)) : nil }
        let positional = arguments.indices.filter { !arguments[$0].hasPrefix("-") && $0 != onlyIndex.map { $0 + 1 } }.map { arguments[$0] }
        let cache = positional.first ?? FixturePaths.root.deletingLastPathComponent().appendingPathComponent("Benchmarks/.cache").path
        func wanted(_ name: String) -> Bool {
            only.map { $0.contains(name) } ?? (!["git", "content"].contains(name) || !arguments.contains("--no-git"))
        }
        var lines: [ReportLine] = []

        if wanted("graphql") { lines.append(GraphQLBenchmark.run()) }

        if wanted("proxy") {
            let upstream = try await FixtureGitHubServer()
            let (footprint, agent) = try await ProxyBenchmark.footprint(upstream: upstream)
            let (proxyLines, rssUnderLoad) = ProxyBenchmark.run(agent: agent, upstream: upstream)
            lines += proxyLines
            lines += footprint
            lines.append(
                ReportLine(
                    name: "resident memory under the proxy load", value: "\(Measure.format(rssUnderLoad, 1)) MiB", baseline: "–", ratio: "–", goal: "–",
                    met: nil))
        }

        if wanted("resilience") {
            let upstream = try await FixtureGitHubServer()
            lines += try await ResilienceBenchmark.run(upstream: upstream)
        }

        if wanted("anthropic") {
            let upstream = try await FixtureGitHubServer()
            lines += try await StreamBenchmark.run(upstream: upstream)
        }

        if wanted("git") { lines += try await gitFigures(cache: cache) }
        if wanted("content") { lines += try await ContentBenchmark.run(cache: cache) }

        let machine =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        print("\nMachine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machine); \(Date().formatted(date: .abbreviated, time: .omitted))\n")
        ReportLine.printTable(lines)
    }

    static func gitFigures(cache: String) async throws -> [ReportLine] {
        let server = try await FixtureGitServer()
        let scratch = try TemporaryDirectory(prefix: "bench")
        func plainGit(_ directory: String, _ arguments: [String], _ stdin: Data?) async throws {
            let environment = ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
            let result = try await ChildProcess.run(
                "/usr/bin/git", arguments, environment: environment, directory: directory, stdin: stdin,
                outputDirectory: scratch.path, timeout: .seconds(1800))
            guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        }
        let bare = try await GitBenchmark(cache: cache).repository(plainGit: plainGit)
        try await server.installBareRepository(at: bare, as: "o/big")
        let agent = try await AgentUnderTest(environment: ["GITHUB_URL": server.baseURL])
        let bench = try GitWorkbench(in: scratch.sub("agent-git"), socketDirectory: agent.socketDirectory)

        // Plain git: the token in its own credential store, straight to the same server.
        let plainHome = scratch.sub("plain-home")
        try FileManager.default.createDirectory(atPath: plainHome, withIntermediateDirectories: true)
        try "[credential]\n\thelper = store\n[user]\n\tname = Bench\n\temail = bench@example.com\n".write(
            toFile: plainHome + "/.gitconfig", atomically: true, encoding: .utf8)
        try "http://x-access-token:\(AgentUnderTest.canaryToken)@127.0.0.1:\(server.port)\n".write(
            toFile: plainHome + "/.git-credentials", atomically: true, encoding: .utf8)
        let plainEnvironment = [
            "HOME": plainHome, "GIT_CONFIG_GLOBAL": plainHome + "/.gitconfig", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0",
        ]
        func plain(_ arguments: [String], in directory: String) async throws {
            let result = try await ChildProcess.run(
                "/usr/bin/git", arguments, environment: plainEnvironment, directory: directory, outputDirectory: scratch.path, timeout: .seconds(1800))
            guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        }
        func viaAgent(_ arguments: [String], in directory: String) async throws { try await bench.mustGit(arguments, in: directory) }
        let plainURL = "http://127.0.0.1:\(server.port)/o/big.git"
        let agentURL = "https://github.com/o/big.git"

        var clone: ([Double], [Double]) = ([], [])
        var fetch: ([Double], [Double]) = ([], [])
        var pushCommits: ([Double], [Double]) = ([], [])
        var pushFile: ([Double], [Double]) = ([], [])
        var random = SplitMix(seed: 99)
        var fileBytes = [UInt8](repeating: 0, count: 50 * 1024 * 1024)
        fileBytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = random.next() }
        }
        for round in 0..<3 {
            for mode in ["plain", "agent"] {
                let isAgent = mode == "agent"
                let base = isAgent ? agent.workspace : scratch.path
                let directory = "\(base)/\(mode)-\(round)"
                let run: ([String], String) async throws -> Void = isAgent ? viaAgent : plain
                let url = isAgent ? agentURL : plainURL
                let cloneTime = try await Measure.seconds { try await run(["clone", "-q", "--single-branch", "--branch", "main", url, directory], base) }
                let fetchTime = try await Measure.seconds { try await run(["fetch", "-q", "origin", "next"], directory) }
                // 1,000 new commits on a new branch, then one 50 MB file.
                try await plainGit(
                    directory, ["fast-import", "--quiet"],
                    GitBenchmark.fastImportStream(
                        commits: 1_000, bytes: 1_000, branch: "bench-\(mode)-\(round)", parent: "refs/heads/main",
                        firstMark: 50_000 + round * 10_000 + (isAgent ? 5_000 : 0), seed: UInt64(100 + round * 2 + (isAgent ? 1 : 0))))
                let commitsTime = try await Measure.seconds {
                    try await run(["push", "-q", "origin", "refs/heads/bench-\(mode)-\(round):refs/heads/bench-\(mode)-\(round)"], directory)
                }
                try await plainGit(directory, ["checkout", "-q", "-b", "big-\(mode)-\(round)", "main"], nil)
                fileBytes[round * 2 + (isAgent ? 1 : 0)] &+= 1  // a different file each time
                try Data(fileBytes).write(to: URL(fileURLWithPath: directory + "/big.bin"))
                try await plainGit(directory, ["add", "big.bin"], nil)
                try await plainGit(directory, ["-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "big"], nil)
                let fileTime = try await Measure.seconds { try await run(["push", "-q", "origin", "HEAD:refs/heads/big-\(mode)-\(round)"], directory) }
                print(
                    "git \(mode) round \(round): clone \(Measure.format(cloneTime, 2)) s, fetch \(Measure.format(fetchTime, 2)) s, push 1000 commits \(Measure.format(commitsTime, 2)) s, push 50 MB \(Measure.format(fileTime, 2)) s"
                )
                if isAgent {
                    clone.1.append(cloneTime); fetch.1.append(fetchTime); pushCommits.1.append(commitsTime); pushFile.1.append(fileTime)
                } else {
                    clone.0.append(cloneTime); fetch.0.append(fetchTime); pushCommits.0.append(commitsTime); pushFile.0.append(fileTime)
                }
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        func line(_ name: String, _ pair: ([Double], [Double])) -> ReportLine {
            let plainMedian = Measure.median(pair.0)
            let agentMedian = Measure.median(pair.1)
            let ratio = agentMedian / plainMedian
            return ReportLine(
                name: name, value: "\(Measure.format(agentMedian, 2)) s", baseline: "\(Measure.format(plainMedian, 2)) s",
                ratio: Measure.format(ratio, 2), goal: "≤ 1.3", met: ratio <= 1.3)
        }
        return [
            line("clone, 21k commits / ~100 MB packed (median of 3)", clone),
            line("fetch of 1,000 new commits (median of 3)", fetch),
            line("push of 1,000 new commits (median of 3)", pushCommits),
            line("push of one 50 MB file (median of 3)", pushFile),
        ]
    }
}
