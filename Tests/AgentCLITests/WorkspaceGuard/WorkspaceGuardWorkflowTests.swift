import AgentTestSupport
import Foundation
import Testing

/// Claude's normal work keeps its keys and produces no quarantine; a held `config.lock` does not
/// stop the guard for long; `./run.sh` lists what was taken and puts an item back on the host.
struct WorkspaceGuardWorkflowTests {
    typealias Pair = WorkspaceGuardTests.Pair

    @Test func normalWorkThroughTheAgentIsLeftAlone() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.mustGit(["config", "user.name", "Claude"], in: app)
        try await scenario.mustGit(["config", "user.email", "claude@example.com"], in: app)
        try await scenario.mustGit(["checkout", "-q", "-b", "claude/work"], in: app)
        try await scenario.commit(in: app, "work")
        try await scenario.mustGit(["push", "-q", "-u", "origin", "claude/work"], in: app)
        try await scenario.mustGit(["remote", "add", "upstream", "https://github.com/o/app.git"], in: app)
        try await scenario.mustGit(["fetch", "-q", "upstream"], in: app)
        try await scenario.mustGit(["checkout", "-q", "main"], in: app)
        try await scenario.mustGit(["switch", "-q", "claude/work"], in: app)
        try await scenario.mustGit(["branch", "-q", "--set-upstream-to", "upstream/main"], in: app)
        try await scenario.mustGit(["stash", "list"], in: app)
        try await scenario.mustGit(["gc", "-q"], in: app)
        try await scenario.mustGit(["pack-refs", "--all"], in: app)
        // The marker: quarantined once all of the above was seen.
        try await scenario.mustGit(["config", "core.pager", "/bin/false"], in: app)
        let deadline = ContinuousClock.now + .seconds(90)
        while !scenario.agent.auditLog.contains(#""key":"core.pager""#), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let quarantined = scenario.agent.auditLog.split(separator: "\n").filter { $0.contains(#""operation":"quarantine""#) }
        #expect(quarantined.count == 1 && quarantined.first?.contains(#""key":"core.pager""#) == true, "\(quarantined)")
        for (key, value) in [
            ("user.name", "Claude"), ("remote.origin.url", "https://github.com/o/app.git"), ("branch.claude/work.remote", "upstream"),
            ("branch.claude/work.merge", "refs/heads/main"), ("remote.upstream.url", "https://github.com/o/app.git"),
            ("remote.upstream.fetch", "+refs/heads/*:refs/remotes/upstream/*"), ("branch.main.remote", "origin"),
        ] {
            #expect(try await scenario.mustGit(["config", "--get", key], in: app).stdout == value + "\n", "\(key)")
        }
        scenario.expectNoCanary()
    }

    @Test func aHeldConfigLockDelaysTheGuardOnlyBriefly() async throws {
        let pair = try await Pair.make()
        let git = pair.guarded.app + "/.git"
        try pair.guarded.write("app/.git/config.lock", "left behind\n")
        try pair.guarded.write("app/.git/config", try String(contentsOfFile: git + "/config", encoding: .utf8) + "[core]\n\tfsmonitor = \(pair.guarded.evil)\n")
        try await pair.waitForAudit([HostileWrite.path("app/.git/config.lock"), HostileWrite.key("core.fsmonitor")])
        try await pair.guarded.git(["status"])
        #expect(pair.guarded.ran.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: git + "/config.lock"))
    }

    @Test func runShListsAndRestoresOnTheHost() async throws {
        let pair = try await Pair.make()
        try await pair.guarded.configWritingAsTheSessionWould("core.editor", "vim")
        try pair.guarded.write("app/.git/hooks/post-commit", "#!/bin/sh\ntouch \"\(pair.guarded.sentinels)/restored-hook\"\n", executable: true)
        try await pair.waitForAudit([HostileWrite.key("core.editor"), HostileWrite.path("app/.git/hooks/post-commit")])
        pair.agent.child.signal(SIGTERM)
        #expect(await pair.agent.child.wait(timeout: .seconds(20)) == 0, "\(pair.agent.child.stderr)")

        let listing = try await runSh(["--quarantine"], project: pair.guarded.root)
        #expect(listing.status == 0, "\(listing.output)")
        #expect(listing.stderr.contains("core.editor in app/.git/config: core.editor names a program"), "\(listing.output)")
        #expect(listing.stderr.contains("app/.git/hooks/post-commit: a hook is new"), "\(listing.output)")
        let ids = try Self.recordIDs(in: pair.guarded.app + "/.git/agent-quarantine")
        #expect(ids.count == 2)

        let refused = try await runSh(["--restore", ids[0]], project: pair.guarded.root, answer: "n")
        #expect(refused.status != 0 && refused.stderr.contains("nothing restored"), "\(refused.output)")
        for id in ids {
            let restored = try await runSh(["--restore", id], project: pair.guarded.root, answer: "y")
            #expect(restored.status == 0 && restored.stderr.contains("restored \(id)"), "\(restored.output)")
        }
        #expect(try await pair.guarded.git(["config", "--get", "core.editor"]).stdout == "vim\n")
        try await pair.guarded.mustGit(["commit", "-q", "-am", "after the restore"])
        #expect(pair.guarded.ran == ["restored-hook"])
        #expect(try Self.recordIDs(in: pair.guarded.app + "/.git/agent-quarantine").isEmpty)
        let again = try await runSh(["--restore", ids[0]], project: pair.guarded.root, answer: "y")
        #expect(again.status != 0, "\(again.output)")
    }

    static func recordIDs(in quarantine: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: quarantine).sorted()
    }

    /// Runs `./run.sh` as the person would, for PROJECT_DIR, with no container engine on PATH.
    func runSh(_ arguments: [String], project: String, answer: String? = nil) async throws -> ProgramResult {
        let script = FixturePaths.root.deletingLastPathComponent().appendingPathComponent("run.sh").path
        let scratch = try TemporaryDirectory(prefix: "runsh")
        return try await ChildProcess.run(
            "/bin/bash", [script] + arguments,
            environment: ["PATH": "/usr/bin:/bin", "HOME": scratch.path, "PROJECT_DIR": project, "COMPOSE_PROJECT_NAME": "guard-test-\(getpid())"],
            stdin: answer.map { Data(($0 + "\n").utf8) }, outputDirectory: scratch.path)
    }
}
