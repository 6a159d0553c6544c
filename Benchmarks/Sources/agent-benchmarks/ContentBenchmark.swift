import AgentPolicy
import AgentTestSupport
import Foundation

/// The content rules' cost (issue 14): the scanner's throughput in-process, and pushes through
/// two agents side by side, one with the defaults (PROTECTED_PATHS and SECRET_SCAN=block) and one
/// with both rules off, alternating in the same run against the same server.
enum ContentBenchmark {
    static func run(cache: String) async throws -> [ReportLine] {
        var lines = scannerThroughput()
        lines += try await pushes(cache: cache)
        return lines
    }

    /// MB/s of the scanner over 64 MB of source-like text and of random bytes, with the held
    /// secrets' forms (two secrets) and every well-known format.
    static func scannerThroughput() -> [ReportLine] {
        let token = Array(("gh" + "p_" + SecretSamples.characters(36)).utf8)
        let key = Array(("sk-" + "ant-api03-" + SecretSamples.characters(95)).utf8)
        let line = Array("    let value = configuration.setting(named: \"retry_count\") ?? defaultRetries  // assumes seconds\n".utf8)
        let text = (0..<(64 << 20) / line.count).flatMap { _ in line }
        var generator = SplitMix(seed: 7)
        var random = [UInt8](repeating: 0, count: 64 << 20)
        random.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        var buffers: [[UInt8]] = []
        var ranges: [[Range<Int>]] = []
        for secret in [token, key] {
            var buffer = [UInt8](repeating: 0, count: HeldSecretForms.capacity(forSecretOf: secret.count))
            let written = secret.withUnsafeBytes { source in buffer.withUnsafeMutableBytes { HeldSecretForms.write(source, into: $0) } }
            buffers.append(buffer)
            ranges.append(written)
        }
        func measure(_ content: [UInt8]) -> Double {
            buffers[0].withUnsafeBytes { first in
                buffers[1].withUnsafeBytes { second in
                    let forms =
                        ranges[0].map { HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: first[$0]), kind: "token") }
                        + ranges[1].map { HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: second[$0]), kind: "key") }
                    let scanner = SecretScanner(scansFormats: true, held: HeldSecretPatterns(forms: forms))
                    var times: [Double] = []
                    for _ in 0..<5 {
                        let start = ContinuousClock.now
                        let result = content.withUnsafeBytes { scanner.scan($0) }
                        let elapsed = ContinuousClock.now - start
                        precondition(result.held == nil, "the benchmark content holds no secret")
                        times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    }
                    return Double(content.count) / 1_000_000 / Measure.median(times)
                }
            }
        }
        let textRate = measure(text)
        let randomRate = measure(random)
        print("content scanner: \(Measure.format(textRate, 0)) MB/s on source text, \(Measure.format(randomRate, 0)) MB/s on random bytes")
        return [
            ReportLine(
                name: "secret scan throughput, source text (median of 5, 64 MB)", value: "\(Measure.format(textRate, 0)) MB/s", baseline: "–", ratio: "–",
                goal: "–", met: nil),
            ReportLine(
                name: "secret scan throughput, random bytes (median of 5, 64 MB)", value: "\(Measure.format(randomRate, 0)) MB/s", baseline: "–",
                ratio: "–", goal: "–", met: nil),
        ]
    }

    /// A push of 1,000 new commits, and of one 50 MB text file, through three agents side by side
    /// in each round: both rules off, SECRET_SCAN=block alone, and the defaults (both rules on).
    static func pushes(cache: String) async throws -> [ReportLine] {
        let server = try await FixtureGitServer()
        let scratch = try TemporaryDirectory(prefix: "bench-content")
        func plainGit(_ directory: String, _ arguments: [String], _ stdin: Data?) async throws {
            let environment = ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
            let result = try await ChildProcess.run(
                "/usr/bin/git", arguments, environment: environment, directory: directory, stdin: stdin, outputDirectory: scratch.path,
                timeout: .seconds(1800))
            guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        }
        let bare = try await GitBenchmark(cache: cache).repository(plainGit: plainGit)
        try await server.installBareRepository(at: bare, as: "o/big")
        let base = ["GITHUB_URL": server.baseURL]
        let modes: [(name: String, agent: AgentUnderTest)] = [
            ("off", try await AgentUnderTest(environment: base.merging(["PROTECTED_PATHS": "[]", "SECRET_SCAN": "off"]) { $1 })),
            ("scan", try await AgentUnderTest(environment: base.merging(["PROTECTED_PATHS": "[]", "SECRET_SCAN": "block"]) { $1 })),
            ("on", try await AgentUnderTest(environment: base)),
        ]
        var commits: [String: [Double]] = [:]
        var file: [String: [Double]] = [:]
        let textLine = Array("    let value = configuration.setting(named: \"retry_count\") ?? defaultRetries  // assumes seconds\n".utf8)
        var text = (0..<(50 << 20) / textLine.count).flatMap { _ in textLine }
        for (mode, agent) in modes {
            let bench = try GitWorkbench(in: scratch.sub("git-\(mode)"), socketDirectory: agent.socketDirectory)
            try await bench.mustGit(["clone", "-q", "--single-branch", "--branch", "main", "https://github.com/o/big.git", "big"], in: agent.workspace)
        }
        for round in 0..<3 {
            for (index, (mode, agent)) in modes.enumerated() {
                let bench = try GitWorkbench(in: scratch.sub("git-\(mode)-\(round)"), socketDirectory: agent.socketDirectory)
                let directory = agent.workspace + "/big"
                let branch = "content-\(mode)-\(round)"
                let serial = round * modes.count + index
                try await plainGit(
                    directory, ["fast-import", "--quiet"],
                    GitBenchmark.fastImportStream(
                        commits: 1_000, bytes: 1_000, branch: branch, parent: "refs/heads/main", firstMark: 80_000 + serial * 5_000,
                        seed: UInt64(300 + serial)))
                let commitsTime = try await Measure.seconds {
                    try await bench.mustGit(["push", "-q", "origin", "refs/heads/\(branch):refs/heads/\(branch)"], in: directory)
                }
                try await plainGit(directory, ["checkout", "-q", "-B", "text-\(branch)", "main"], nil)
                text[serial] = UInt8(ascii: "A") + UInt8(serial)  // a different file each time
                try Data(text).write(to: URL(fileURLWithPath: directory + "/big.txt"))
                try await plainGit(directory, ["add", "big.txt"], nil)
                try await plainGit(directory, ["-c", "user.name=b", "-c", "user.email=b@e", "commit", "-q", "-m", "text"], nil)
                let fileTime = try await Measure.seconds { try await bench.mustGit(["push", "-q", "origin", "HEAD:refs/heads/text-\(branch)"], in: directory) }
                print(
                    "content rules \(mode), round \(round): push 1000 commits \(Measure.format(commitsTime, 2)) s, push 50 MB text \(Measure.format(fileTime, 2)) s"
                )
                commits[mode, default: []].append(commitsTime)
                file[mode, default: []].append(fileTime)
            }
        }
        func line(_ name: String, _ times: [String: [Double]], _ mode: String) -> ReportLine {
            let value = Measure.median(times[mode] ?? [])
            let baseline = Measure.median(times["off"] ?? [])
            let ratio = value / baseline
            return ReportLine(
                name: name, value: "\(Measure.format(value, 2)) s", baseline: "\(Measure.format(baseline, 2)) s (rules off)",
                ratio: Measure.format(ratio, 2), goal: "≤ 1.10", met: ratio <= 1.10)
        }
        return [
            line("push of 1,000 new commits, SECRET_SCAN=block alone vs both off (median of 3)", commits, "scan"),
            line("push of 1,000 new commits, PROTECTED_PATHS + SECRET_SCAN on vs off (median of 3)", commits, "on"),
            line("push of one 50 MB text file, SECRET_SCAN=block alone vs both off (median of 3)", file, "scan"),
            line("push of one 50 MB text file, rules on vs off (median of 3)", file, "on"),
        ]
    }
}
