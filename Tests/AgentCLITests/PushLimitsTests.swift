import AgentTestSupport
import Foundation
import Testing

/// What a push may send is checked before libgit2 packs anything (issue 11, findings 4 and 5):
/// trees nested deeper than 4096 levels and objects over 100 MiB are refused with a clear
/// message, from headers only, and the agent stays up with little memory.
struct PushLimitsTests {
    /// Commits a file nested `levels` trees deep (the root tree counts as one) on `branch`, with
    /// `git fast-import` (given a large stack: git itself recurses per level).
    static func commitDeepTree(levels: Int, branch: String, in app: String, scenario: GitScenario) async throws -> String {
        let path = Array(repeating: "d", count: levels - 1).joined(separator: "/") + "/leaf.txt"
        let stream = """
            commit refs/heads/\(branch)
            committer Claude Test <claude@example.com> 1700000000 +0000
            data 10
            deep tree
            M 100644 inline \(path)
            data 5
            leaf

            """
        let input = scenario.bench.scratch + "/deep-\(levels).stream"
        try stream.write(toFile: input, atomically: true, encoding: .utf8)
        var environment = scenario.bench.environment
        environment["GIT_DIR"] = app + "/.git"
        let result = try await ChildProcess.run(
            "/bin/sh", ["-c", "ulimit -s unlimited 2>/dev/null || ulimit -s 1000000; exec git fast-import --quiet < \"$0\"", input],
            environment: environment, outputDirectory: scenario.bench.scratch, timeout: .seconds(300))
        #expect(result.status == 0, "fast-import: \(result.output)")
        return try await scenario.mustGit(["rev-parse", branch], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func agentPeakKiB(_ scenario: GitScenario) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(scenario.agent.child.pid)/status", encoding: .utf8)
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }

    @Test(arguments: [4097, 100_000])
    func treesDeeperThanTheLimitAreRefusedAndTheAgentLives(_ levels: Int) async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let commit = try await Self.commitDeepTree(levels: levels, branch: "deep", in: app, scenario: scenario)
        let result = try await scenario.git(["push", "origin", "deep:claude/deep"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("nests directories more than 4096 levels deep"), "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/deep") == nil)
        #expect(scenario.agent.child.isRunning, "the agent died")
        let status = try await scenario.agent.status()
        #expect(status.status == 0, "agent-status: \(status.output)")
        #expect(scenario.agent.auditLog.contains(#""code":"tree-too-deep""#))
        _ = commit
        scenario.expectNoCanary(result)
    }

    /// Just within the limit, the push goes through: the agent's git threads have the stack for it.
    @Test func aTreeAtTheLimitIsPushed() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let commit = try await Self.commitDeepTree(levels: 4096, branch: "deep", in: app, scenario: scenario)
        let result = try await scenario.git(["push", "origin", "deep:claude/deep"], in: app)
        #expect(result.status == 0, "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/deep") == commit)
    }

    /// A blob of 2 GiB of zeros is a 2 MiB object in a pack: refused from its header, never inflated.
    @Test func aTwoGibibyteBlobIsRefusedFromItsHeader() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let big = app + "/zeros.bin"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, 2 << 30) == 0)
        try await scenario.mustGit(["add", "zeros.bin"], in: app)
        try await scenario.mustGit(["commit", "-q", "-m", "two gibibytes of zeros"], in: app)
        let blob = try await scenario.mustGit(["rev-parse", "HEAD:zeros.bin"], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await scenario.git(["push", "origin", "HEAD:claude/big"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("object \(blob) is 2 GiB; one object may be at most 100 MiB"), "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/big") == nil)
        #expect(try Self.agentPeakKiB(scenario) < 500 * 1024, "the agent inflated the blob")
        #expect(scenario.agent.auditLog.contains(#""code":"object-too-large""#))
        scenario.expectNoCanary(result)
    }

    /// The same for a loose object (200 MiB of zeros, stored as a few hundred KiB).
    @Test func aLooseObjectOverTheLimitIsRefusedFromItsHeader() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let big = app + "/zeros.bin"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, 200 << 20) == 0)
        try await scenario.mustGit(["-c", "core.bigFileThreshold=1g", "add", "zeros.bin"], in: app)
        try await scenario.mustGit(["commit", "-q", "-m", "200 MiB of zeros"], in: app)
        let blob = try await scenario.mustGit(["rev-parse", "HEAD:zeros.bin"], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: app + "/.git/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)), "stored loose")
        let result = try await scenario.git(["push", "origin", "HEAD:claude/big"], in: app)
        #expect(result.stderr.contains("object \(blob) is 200 MiB; one object may be at most 100 MiB"), "\(result.output)")
        #expect(try Self.agentPeakKiB(scenario) < 500 * 1024)
    }

    /// `^{/regex}` and `:/regex` would run the client's regular expression over every commit
    /// message, where no deadline reaches: refused before resolving.
    @Test(arguments: ["HEAD^{/(a*)*b}", ":/(a*)*b"])
    func commitMessageSearchesAreNotRun(_ source: String) async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let reply = try AgentRequest.send(
            scenario,
            ["operation": "push", "url": "https://github.com/o/app.git", "git_dir": app + "/.git", "refspec": "\(source):refs/heads/claude/search"])
        #expect(
            reply.values(for: "error") == [
                "refs/heads/claude/search src refspec \(source) searches commit messages, which the agent does not do; name a branch, tag or commit"
            ], "\(reply)")
    }
}
