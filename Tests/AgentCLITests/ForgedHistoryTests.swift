import AgentTestSupport
import Foundation
import Testing

/// With `ALLOW_FORCE_PUSH=false`, a branch's history only grows through the agent, whatever the
/// workspace claims about ancestry (issue 11, finding 1): forged commit-graph, grafts and
/// replace refs fool git itself but not the agent, which walks hash-checked commits in its
/// private view; and deleting then re-creating a branch is a rewrite too.
struct ForgedHistoryTests {
    /// `claude/x` on the server at A; locally C then B on A's parent (a rewrite), and a forgery
    /// that says C's parent is A. (git parses the two ends of an ancestry question from the
    /// commits themselves, so the forged link sits in between, where git and libgit2 1.5 both
    /// take the commit-graph's word.)
    struct Rewrite {
        let scenario: GitScenario
        let app: String
        let pushed: String
        let intermediate: String
        let rewritten: String
    }

    static func rewrite(environment: [String: String] = ["ALLOW_FORCE_PUSH": "false"]) async throws -> Rewrite {
        // The workspace guard (issue 13) is off: these tests prove what git.sock itself does.
        let scenario = try await GitScenario.start(environment: environment.merging(["AGENT_WORKSPACE_GUARD": "false"]) { $1 })
        let app = try await scenario.clone()
        let pushed = try await scenario.commit(in: app, "first version")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/x"], in: app)
        try await scenario.mustGit(["reset", "-q", "--hard", "HEAD~1"], in: app)
        let intermediate = try await scenario.commit(in: app, "a rewrite, part 1", file: "other.txt")
        let rewritten = try await scenario.commit(in: app, "a rewrite, part 2", file: "other.txt")
        return Rewrite(scenario: scenario, app: app, pushed: pushed, intermediate: intermediate, rewritten: rewritten)
    }

    enum Forgery: String, CaseIterable, Sendable {
        case commitGraph = "objects/info/commit-graph"
        case grafts = "info/grafts"
        case replaceRef = "refs/replace"
    }

    @Test(arguments: Forgery.allCases)
    func forgedAncestryDoesNotMakeARewriteAFastForward(_ forgery: Forgery) async throws {
        let setup = try await Self.rewrite()
        let scenario = setup.scenario
        switch forgery {
        case .commitGraph:
            try await scenario.mustGit(["-c", "commitGraph.generationVersion=1", "commit-graph", "write", "--reachable"], in: setup.app)
            try await CommitGraphForgery.makeParent(
                setup.pushed, of: setup.intermediate, descendants: [setup.rewritten], graph: setup.app + "/.git/objects/info/commit-graph",
                scratch: scenario.bench.scratch)
        case .grafts:
            try "\(setup.intermediate) \(setup.pushed)\n".write(toFile: setup.app + "/.git/info/grafts", atomically: true, encoding: .utf8)
        case .replaceRef:
            try await scenario.mustGit(["replace", "--graft", setup.intermediate, setup.pushed], in: setup.app)
        }
        // The forgery is real: git itself now believes the rewrite is a fast-forward.
        let fooled = try await scenario.git(["merge-base", "--is-ancestor", setup.pushed, setup.rewritten], in: setup.app)
        #expect(fooled.status == 0, "the forgery should fool git: \(fooled.output)")

        let plain = try await scenario.git(["push", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(plain.status != 0, "\(plain.output)")
        #expect(plain.stderr.contains("non-fast-forward") || plain.stderr.contains("non-fast forward"), "\(plain.output)")
        let forced = try await scenario.git(["push", "--force", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(forced.status != 0)
        #expect(forced.stderr.contains("force-pushing branch 'claude/x' is not allowed (ALLOW_FORCE_PUSH=false)"), "\(forced.output)")
        // Straight to the socket, as a hostile client would: no '+', the forged history present.
        let direct = try AgentRequest.send(
            scenario,
            [
                "operation": "push", "url": "https://github.com/o/app.git", "git_dir": setup.app + "/.git",
                "refspec": "\(setup.rewritten):refs/heads/claude/x",
            ])
        #expect(direct.values(for: "error") == ["refs/heads/claude/x non-fast forward"], "\(direct)")
        #expect(try await scenario.serverRef("refs/heads/claude/x") == setup.pushed, "the branch was rewritten")
        scenario.expectNoCanary(plain, forced)
    }

    @Test func aRealFastForwardStillPasses() async throws {
        let setup = try await Self.rewrite()
        try await setup.scenario.mustGit(["reset", "-q", "--hard", setup.pushed], in: setup.app)
        try await setup.scenario.mustGit(["-c", "commitGraph.generationVersion=1", "commit-graph", "write", "--reachable"], in: setup.app)
        let next = try await setup.scenario.commit(in: setup.app, "on top")
        let result = try await setup.scenario.git(["push", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(result.status == 0, "\(result.output)")
        #expect(try await setup.scenario.serverRef("refs/heads/claude/x") == next)
    }

    @Test func deletingThenRecreatingABranchIsARewrite() async throws {
        let setup = try await Self.rewrite()
        let scenario = setup.scenario
        let deleted = try await scenario.git(["push", "origin", "--delete", "claude/x"], in: setup.app)
        #expect(deleted.status == 0, "deletion is allowed (ALLOW_BRANCH_DELETE): \(deleted.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/x") == nil)

        let recreated = try await scenario.git(["push", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(recreated.status != 0)
        #expect(
            recreated.stderr.contains(
                "re-creating branch 'claude/x' without its earlier tip \(setup.pushed.prefix(7)) would rewrite its history (ALLOW_FORCE_PUSH=false)"),
            "\(recreated.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/x") == nil)

        // Re-creating it with its old tip in its history is a fast-forward from it: allowed.
        try await scenario.mustGit(["reset", "-q", "--hard", setup.pushed], in: setup.app)
        let grown = try await scenario.commit(in: setup.app, "grows from the deleted tip")
        let allowed = try await scenario.git(["push", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/x") == grown)
        scenario.expectNoCanary(deleted, recreated, allowed)
    }

    @Test func deletingThenRecreatingIsFineWhenForcePushIsAllowed() async throws {
        let setup = try await Self.rewrite(environment: [:])
        try await setup.scenario.mustGit(["push", "-q", "origin", "--delete", "claude/x"], in: setup.app)
        let recreated = try await setup.scenario.git(["push", "origin", "HEAD:claude/x"], in: setup.app)
        #expect(recreated.status == 0, "\(recreated.output)")
        #expect(try await setup.scenario.serverRef("refs/heads/claude/x") == setup.rewritten)
    }

    /// `--atomic` through the agent is what it is with plain git: when the server refuses one
    /// ref (its `update` hook refuses `reject/*`), none lands.
    @Test func atomicPushLandsNothingWhenTheServerRefusesOneRef() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        let before = try await scenario.server.references(in: "o/app")
        let result = try await scenario.git(["push", "--atomic", "origin", "HEAD:claude/ok", "HEAD:reject/this", "HEAD:claude/also"], in: app)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> reject/this"), "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> claude/ok"), "\(result.output)")
        #expect(try await scenario.server.references(in: "o/app") == before, "a ref landed")

        // Plain git against the same server, for comparison: the same refs, the same result.
        let direct = scenario.server.baseURL.replacingOccurrences(of: "http://", with: "http://x-access-token:\(GitScenario.canary)@")
        let plain = try await scenario.git(["push", "--atomic", direct + "/o/app.git", "HEAD:claude/ok", "HEAD:reject/this"], in: app)
        #expect(plain.status != 0)
        #expect(try await scenario.server.references(in: "o/app") == before, "plain git landed a ref")

        // Without --atomic the other refs land, as with plain git.
        let partial = try await scenario.git(["push", "origin", "HEAD:claude/ok", "HEAD:reject/this"], in: app)
        #expect(partial.status != 0)
        #expect(try await scenario.serverRef("refs/heads/claude/ok") != nil)
        scenario.expectNoCanary(result, partial)
    }
}
