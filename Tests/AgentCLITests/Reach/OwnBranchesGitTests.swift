import AgentTestSupport
import Foundation
import Testing

/// `ALLOW_FORCE_PUSH=own` and `ALLOW_BRANCH_DELETE=own` (the defaults) through stock git: the
/// agent rewrites and deletes the branches it created, others only fast-forward; the set
/// survives a restart and shows in agent-status.
struct OwnBranchesGitTests {
    /// A branch someone else made, straight on the server (not through the agent).
    static func theirs(_ scenario: GitScenario, _ name: String) async throws -> String {
        let elsewhere = try TemporaryDirectory(prefix: "theirs")
        try await scenario.server.cloneDirectly("o/app", to: elsewhere.sub("work"))
        let work = elsewhere.sub("work")
        try "their work\n".write(toFile: work + "/theirs.txt", atomically: true, encoding: .utf8)
        let environment = [
            "HOME": elsewhere.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin",
            "GIT_AUTHOR_NAME": "Someone", "GIT_AUTHOR_EMAIL": "s@example.com", "GIT_COMMITTER_NAME": "Someone", "GIT_COMMITTER_EMAIL": "s@example.com",
        ]
        for arguments in [["add", "theirs.txt"], ["commit", "-q", "-m", "theirs"], ["push", "-q", "origin", "HEAD:refs/heads/\(name)"]] {
            let result = try await ChildProcess.run("/usr/bin/git", arguments, environment: environment, directory: work, outputDirectory: elsewhere.path)
            guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        }
        return try #require(try await scenario.serverRef("refs/heads/\(name)"))
    }

    @Test func theAgentRewritesItsOwnBranchesOnly() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "first")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/mine"], in: app)
        try await scenario.mustGit(["reset", "-q", "--hard", "HEAD~1"], in: app)
        let rewritten = try await scenario.commit(in: app, "rewritten")
        let own = try await scenario.git(["push", "--force", "origin", "HEAD:claude/mine"], in: app)
        #expect(own.status == 0, "the agent created claude/mine: \(own.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/mine") == rewritten)

        let theirTip = try await Self.theirs(scenario, "claude/theirs")
        let forced = try await scenario.git(["push", "--force", "origin", "HEAD:claude/theirs"], in: app)
        #expect(forced.status != 0)
        #expect(
            forced.stderr.contains("(force-pushing branch 'claude/theirs' is not allowed: the agent did not create it (ALLOW_FORCE_PUSH=own))"),
            "\(forced.output)")
        let deleted = try await scenario.git(["push", "origin", "--delete", "claude/theirs"], in: app)
        #expect(
            deleted.stderr.contains("(deleting branch 'claude/theirs' is not allowed: the agent did not create it (ALLOW_BRANCH_DELETE=own))"),
            "\(deleted.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/theirs") == theirTip, "someone else's branch did not move")

        // A fast-forward of their branch is fine, and does not make it the agent's.
        try await scenario.mustGit(["fetch", "-q", "origin", "claude/theirs"], in: app)
        try await scenario.mustGit(["checkout", "-q", "-B", "theirs", "FETCH_HEAD"], in: app)
        let grown = try await scenario.commit(in: app, "on top of theirs")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/theirs"], in: app)
        #expect(try await scenario.serverRef("refs/heads/claude/theirs") == grown)
        let stillRefused = try await scenario.git(["push", "origin", ":claude/theirs"], in: app)
        #expect(stillRefused.stderr.contains("the agent did not create it (ALLOW_BRANCH_DELETE=own)"), "\(stillRefused.output)")

        let mine = try await scenario.git(["push", "origin", "--delete", "claude/mine"], in: app)
        #expect(mine.status == 0, "\(mine.output)")
        scenario.expectNoCanary(own, forced, deleted, mine)
    }

    @Test func theSetSurvivesARestartAndShowsInStatus() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "first")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/kept"], in: app)
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("the agent's own branches: 1 (o/app refs/heads/claude/kept)"), "\(status.output)")

        let restarted = try await AgentUnderTest(restarting: scenario.agent)
        let bench = try GitWorkbench(in: try TemporaryDirectory(prefix: "bench").path, socketDirectory: restarted.socketDirectory)
        try await bench.mustGit(["reset", "-q", "--hard", "HEAD~1"], in: app)
        try await bench.mustGit(["commit", "-q", "--allow-empty", "-m", "rewritten"], in: app)
        let forced = try await bench.git(["push", "--force", "origin", "HEAD:claude/kept"], in: app)
        #expect(forced.status == 0, "still the agent's after a restart: \(forced.output)")
        let after = try await restarted.status(["--json"])
        #expect(
            after.stdout.contains(#""reach_own_branches":["o\/app refs\/heads\/claude\/kept"]"#)
                || after.stdout.contains(#""reach_own_branches":["o/app refs/heads/claude/kept"]"#), "\(after.output)")
    }

    /// With deletion open but force-pushes only on the agent's own branches, deleting someone
    /// else's branch and pushing it again is still not a rewrite: the re-creation must keep
    /// its tip, and the branch does not become the agent's. Across a restart, too.
    @Test func deletingAndRecreatingSomeoneElsesBranchKeepsItsHistory() async throws {
        let scenario = try await GitScenario.start(environment: ["ALLOW_BRANCH_DELETE": "true"])
        let app = try await scenario.clone()
        let theirTip = try await Self.theirs(scenario, "claude/shared")
        try await scenario.mustGit(["fetch", "-q", "origin", "claude/shared"], in: app)
        let deleted = try await scenario.git(["push", "origin", "--delete", "claude/shared"], in: app)
        #expect(deleted.status == 0, "\(deleted.output)")

        let restarted = try await AgentUnderTest(restarting: scenario.agent)
        let bench = try GitWorkbench(in: try TemporaryDirectory(prefix: "bench").path, socketDirectory: restarted.socketDirectory)
        try await bench.mustGit(["commit", "-q", "--allow-empty", "-m", "unrelated"], in: app)
        let recreated = try await bench.git(["push", "origin", "HEAD:claude/shared"], in: app)
        #expect(recreated.status != 0)
        #expect(
            recreated.stderr.contains(
                "(re-creating branch 'claude/shared' without its earlier tip \(theirTip.prefix(7)) would rewrite its history (ALLOW_FORCE_PUSH=own))"),
            "\(recreated.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/shared") == nil)

        try await bench.mustGit(["checkout", "-q", "-B", "shared", theirTip], in: app)
        try await bench.mustGit(["commit", "-q", "--allow-empty", "-m", "on top"], in: app)
        let kept = try await bench.git(["push", "origin", "HEAD:claude/shared"], in: app)
        #expect(kept.status == 0, "a re-creation that keeps the tip is fine: \(kept.output)")
        try await bench.mustGit(["commit", "-q", "--amend", "--allow-empty", "-m", "amended"], in: app)
        let forced = try await bench.git(["push", "--force", "origin", "HEAD:claude/shared"], in: app)
        #expect(forced.stderr.contains("the agent did not create it (ALLOW_FORCE_PUSH=own)"), "it is still theirs: \(forced.output)")
    }
}
