import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on git.sock after issue 11 (branch attack-11): what a workspace can make
/// the agent spend (time, memory, its temporary directory). Each test fails against the agent as
/// it was attacked. Policy and slot findings are in `GitAttackFindingsTests`.
struct GitAttackFindingsResourceTests {
    /// Alternates are read breadth first from an array whose first element is removed for every
    /// entry (`removeFirst`, O(n)), entries that do not exist are skipped without counting, and
    /// no deadline is checked while the layout is read. 64 object directories that each name
    /// 32,000 missing alternates (4 MiB of files) put 2 million entries through that queue:
    /// about 10^12 element moves on a git thread that the operation's deadline cannot stop.
    /// The push never answers; after 30 minutes the thread is abandoned but keeps running, and
    /// 64 of them leave the agent without git threads. A fix counts every entry read against a
    /// limit (refusing beyond it, naming the file) and walks the queue by index.
    ///
    /// The request goes to git.sock as git-remote-agent would send it: git itself reads these
    /// alternates too (printing an error for each missing one, for minutes) before it would run
    /// the helper, so `git push` cannot show what the agent does.
    @Test func manyAlternatesEntriesAreRefusedPromptly() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "pushed past a flood of alternates")
        let objects = app + "/.git/objects"
        let missing = String(repeating: "x\n", count: 32_000)
        var named = ""
        for index in 1...63 {
            let directory = objects + "/alt\(index)"
            try FileManager.default.createDirectory(atPath: directory + "/info", withIntermediateDirectories: true)
            try missing.write(toFile: directory + "/info/alternates", atomically: true, encoding: .utf8)
            named += "alt\(index)\n"
        }
        try (named + String(repeating: "x\n", count: 30_000)).write(toFile: objects + "/info/alternates", atomically: true, encoding: .utf8)

        let client = try RawSocketClient(path: scenario.agent.gitSocketPath)
        try client.send("operation=push\nurl=https://github.com/o/app.git\ngit_dir=\(app)/.git\nrefspec=HEAD:refs/heads/claude/alternates\n\n")
        let reply = client.readUntil("\n\n", timeout: .seconds(120))
        #expect(reply.contains("status="), "the push got no answer within two minutes: the agent is still reading alternates")
        #expect(reply.contains("code=repository-refused"), "\(reply.prefix(500))")
        #expect(reply.contains("/.git/objects/info/alternates brings the alternates entries"), "\(reply.prefix(500))")
        #expect(!reply.contains(AgentUnderTest.canaryToken))
        let status = try await scenario.agent.status()
        #expect(status.status == 0, "\(status.output)")
    }

    /// The push inventory walks trees depth first and keeps every tree on the current path parsed
    /// in memory (libgit2's pack builder does the same when it recurses). Ten trees of about 95
    /// MB, nested in one another (about 2 MB of loose objects), take the agent to about 2 GB for one
    /// push, four times what the documented per-operation bounds add up to (one object of 100
    /// MiB, 32 MiB of delta bases, 256 MiB of delta window, 128 MiB of index tables); 21 such
    /// trees stay under the 2 GiB push limit and take 4 to 5 GB, and eight pushes at once take
    /// that eight times. A fix bounds the bytes of the trees held at once (the sum along the
    /// path, or tree size times depth), refusing beyond it.
    @Test func nestedLargeTreesDoNotMultiplyTheAgentsMemory() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let scratch = scenario.bench.scratch
        // The innermost tree names a blob that does not exist: the inventory refuses the push
        // there, after it has read (and holds) every tree above it.
        var child = try await Self.writeTree(levels: 0, entry: "100644 a", child: [UInt8](repeating: 0x11, count: 20), app: app, scratch: scratch)
        for level in 1..<10 {
            child = try await Self.writeTree(levels: level, entry: "40000 a", child: child, app: app, scratch: scratch)
        }
        let hex = child.map { String(format: "%02x", $0) }.joined()
        let commit = try await scenario.mustGit(["commit-tree", hex, "-m", "ten large trees"], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await scenario.git(["push", "origin", "\(commit):refs/heads/claude/large-trees"], in: app)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.stderr.contains("trees nested in one another may be at most 128 MiB together"), "\(result.output)")
        #expect(scenario.agent.child.isRunning, "the agent died")
        let peak = try PushLimitsTests.agentPeakKiB(scenario)
        #expect(peak < 1024 * 1024, "one push took the agent to \(peak / 1024) MiB")
        scenario.expectNoCanary(result)
    }

    /// 3.3 million gitlinks (about 95 MB), made once.
    static let gitlinks: Data = {
        let one = Array("160000 b\0".utf8) + [UInt8](repeating: 0x22, count: 20)
        var all = Data(capacity: one.count * 3_300_000)
        for _ in 0..<3_300_000 { all.append(contentsOf: one) }
        return all
    }()

    /// A tree of about 95 MB: the entry `entry` naming `child` first, then 3.3 million gitlinks
    /// (mode 160000, never read by the agent). Written with `git hash-object --literally`; returns
    /// the tree's binary id.
    static func writeTree(levels: Int, entry: String, child: [UInt8], app: String, scratch: String) async throws -> [UInt8] {
        var bytes = Data(Array("\(entry)\0".utf8) + child)
        bytes.append(gitlinks)
        let environment = ["HOME": scratch + "/home", "GIT_CONFIG_NOSYSTEM": "1", "GIT_DIR": app + "/.git", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["hash-object", "-w", "-t", "tree", "--literally", "--stdin"], environment: environment, stdin: bytes,
            outputDirectory: scratch, timeout: .seconds(300))
        let hex = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(result.status == 0 && hex.count == 40, "level \(levels): \(result.output)")
        return stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    /// Rebuilt delta bases are cached only up to 8 MiB each, so an object at the end of a long
    /// chain of larger ones is rebuilt from the chain's base on every read: 3,000 links of 9 MiB
    /// objects (a 10 MB pack here, about 80 KB if compressed) cost 3,000 allocations and copies
    /// of 9 MiB, 28 GB, per read, and libgit2 reads each pushed object at least once. Measured:
    /// 1,600 links and 5 pushed tips, 39 s; 3,000 links and 20 tips, more than two minutes. With
    /// the 10,000-link chain limit and 200 tips (1.9 GB, under the push limit) a push runs until
    /// its 30-minute deadline; 8 of them hold every git thread and both cores for that long. git
    /// itself caches large bases too (96 MiB in all), so it rebuilds each link once. A fix keeps
    /// recently rebuilt bases whatever their size (within a byte budget), or bounds the bytes
    /// rebuilt per operation.
    @Test func aLongChainOfLargeDeltasIsNotRebuiltOnEveryRead() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let scratch = scenario.bench.scratch
        let tips = try await DeltaChainPack(baseSize: 9 << 20, links: 3_000, tips: 20).write(into: app, scratch: scratch)
        let listing = tips.enumerated().map { "100644 blob \($1)\tfile\($0)\n" }.joined()
        let tree = try await ChildProcess.run(
            "/usr/bin/git", ["mktree"], environment: scenario.bench.environment, directory: app, stdin: Data(listing.utf8), outputDirectory: scratch)
        #expect(tree.status == 0, "\(tree.output)")
        let treeID = tree.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try await scenario.mustGit(["commit-tree", treeID, "-m", "a long delta chain"], in: app).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await scenario.git(["push", "origin", "\(commit):refs/heads/claude/chain"], in: app)
        #expect(result.status != nil, "the push got no answer within two minutes: the agent is rebuilding the chain")
        // Either the cache makes the chain cheap, or the operation's budget of rebuilt bytes ends it.
        #expect(result.status == 0 || result.stderr.contains("rebuilding objects from their deltas took more than"), "\(result.output)")
        scenario.expectNoCanary(result)
    }

    /// The view (`agent-view-*` in the agent's TMPDIR) is removed with a walk that stops 64
    /// directories deep, but the workspace may hold loose refs 65 levels deep, and symbolic ones
    /// are copied into the view as files at that depth. They stay behind with every directory
    /// above them, for every operation: with 10,000 such refs that is 10,000 files a push or fetch
    /// in the agent container's /tmp, a tmpfs (RAM). A fix removes the view without a depth limit
    /// it can hit (or limits mirrored ref depth below it), and cleans up leftovers at start.
    @Test func theViewIsRemovedWhateverTheDepthOfTheRefs() async throws {
        let scratch = try TemporaryDirectory(prefix: "agent-tmp")
        let scenario = try await GitScenario.start(environment: ["TMPDIR": scratch.path, "AGENT_WORKSPACE_GUARD": "false"])
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "pushed from a repository with deep refs")
        let deep = app + "/.git/refs/" + (1...63).map { "d\($0)" }.joined(separator: "/")
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        for index in 0..<100 {
            try "ref: refs/heads/main\n".write(toFile: deep + "/leaf\(index)", atomically: false, encoding: .utf8)
        }
        let result = try await scenario.git(["push", "origin", "HEAD:claude/deep-refs"], in: app)
        #expect(result.status == 0, "\(result.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("agent-view") }
        #expect(left.isEmpty, "the agent left \(left.count) private views behind: \(left)")
        scenario.expectNoCanary(result)
    }

    /// An agent killed mid-operation (OOM, SIGKILL) leaves its view behind, deep refs and all; in
    /// the agent container's /tmp (RAM) such leftovers add up over restarts. The next agent
    /// removes them when it starts (those unchanged for an hour), and nothing else: not a recent
    /// view, not a link of that name, not other files.
    @Test func viewsLeftBehindByAKilledAgentAreRemovedAtTheNextStart() async throws {
        let scratch = try TemporaryDirectory(prefix: "agent-tmp")
        let left = scratch.path + "/agent-view-left01"
        let deep = left + "/refs/" + (1...70).map { "d\($0)" }.joined(separator: "/")
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: deep + "/leaf", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: scratch.path + "/kept", withIntermediateDirectories: true)
        try "x".write(toFile: scratch.path + "/kept/file", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/agent-view-link", withDestinationPath: scratch.path + "/kept")
        // Left an hour ago or more (a recent one may be in use by an agent that does not lock it).
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7_200)], ofItemAtPath: left)
        try FileManager.default.createDirectory(atPath: scratch.path + "/agent-view-recent", withIntermediateDirectories: true)

        let scenario = try await GitScenario.start(environment: ["TMPDIR": scratch.path])
        #expect(!FileManager.default.fileExists(atPath: left), "the view a killed agent left behind is still there")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/kept/file"), "a link named like a view was followed")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: scratch.path + "/agent-view-link")) != nil)
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/agent-view-recent"), "a recent view was removed")
        _ = scenario
    }
}
