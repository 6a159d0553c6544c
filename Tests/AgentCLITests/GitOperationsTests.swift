import AgentTestSupport
import Foundation
import Testing

/// Real git, the helper and the agent against the fixture server: the everyday operations.
struct GitOperationsTests {
    @Test func cloneFetchPullAndLsRemote() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        #expect(FileManager.default.fileExists(atPath: app + "/src/main.c"))
        let lsRemote = try await scenario.mustGit(["ls-remote", "https://github.com/o/app.git"])
        #expect(lsRemote.stdout.contains("\trefs/heads/main"))
        #expect(lsRemote.stdout.contains("\tHEAD"))

        // Someone else pushes; fetch and both kinds of pull see it.
        let other = try await scenario.clone(into: "other")
        let upstreamCommit = try await scenario.commit(in: other, "from elsewhere", file: "upstream.txt")
        let push = try await scenario.mustGit(["push", "-q", "origin", "main:claude/shared"], in: other)
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:refs/heads/claude/feature"], in: other)
        let fetch = try await scenario.mustGit(["fetch", "origin"], in: app)
        #expect(try await scenario.mustGit(["rev-parse", "origin/claude/feature"], in: app).stdout.hasPrefix(upstreamCommit))

        try await scenario.mustGit(["checkout", "-q", "-b", "work", "origin/main"], in: app)
        try await scenario.commit(in: app, "local work")
        let merge = try await scenario.mustGit(["pull", "--no-rebase", "--no-edit", "origin", "claude/feature"], in: app)
        #expect(try await scenario.mustGit(["merge-base", "--is-ancestor", upstreamCommit, "HEAD"], in: app).status == 0)

        try await scenario.mustGit(["checkout", "-q", "-b", "rebased", "origin/main"], in: app)
        try await scenario.commit(in: app, "to be rebased")
        let rebase = try await scenario.mustGit(["pull", "--rebase", "origin", "claude/feature"], in: app)
        let parent = try await scenario.mustGit(["rev-parse", "HEAD~1"], in: app)
        #expect(parent.stdout.hasPrefix(upstreamCommit), "the local commit now sits on the fetched one")
        scenario.expectNoCanary(lsRemote, push, fetch, merge, rebase)
        #expect(scenario.agent.auditLog.contains(#""operation":"fetch""#))
    }

    @Test func sshAndScpSpellingsGoThroughTheAgentToo() async throws {
        let scenario = try await GitScenario.start()
        try await scenario.mustGit(["clone", "-q", "git@github.com:o/app.git", "scp"])
        try await scenario.mustGit(["clone", "-q", "ssh://git@github.com/o/app", "ssh"])
        #expect(FileManager.default.fileExists(atPath: scenario.workspace + "/scp/README.md"))
        #expect(FileManager.default.fileExists(atPath: scenario.workspace + "/ssh/README.md"))
    }

    @Test func submoduleClone() async throws {
        let scenario = try await GitScenario.start()
        try await scenario.server.addRepository(owner: "o", name: "library", fixture: "library")
        try await scenario.server.addRepository(owner: "o", name: "with-sub", fixture: "app", submodules: ["vendor/library": "o/library"])
        let result = try await scenario.mustGit(["clone", "-q", "--recurse-submodules", "https://github.com/o/with-sub.git", "with-sub"])
        #expect(FileManager.default.fileExists(atPath: scenario.workspace + "/with-sub/vendor/library/LICENSE"))
        scenario.expectNoCanary(result)
    }

    @Test func pushNewBranchMatchingTheAllowList() async throws {
        let scenario = try await GitScenario.start(environment: ["ALLOWED_BRANCH_PATTERNS": #"["claude/**","feature/*"]"#])
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app)
        let allowed = try await scenario.git(["push", "origin", "HEAD:claude/fix/1"], in: app)
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(allowed.stderr.contains("* [new branch]      HEAD -> claude/fix/1"))
        #expect(try await scenario.serverRef("refs/heads/claude/fix/1") == commit)

        let refused = try await scenario.git(["push", "origin", "HEAD:experiment"], in: app)
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "! [remote rejected] HEAD -> experiment (branch 'experiment' does not match ALLOWED_BRANCH_PATTERNS (claude/**, feature/*))"),
            "\(refused.output)")
        #expect(try await scenario.serverRef("refs/heads/experiment") == nil)
        scenario.expectNoCanary(allowed, refused)
    }

    @Test func tagsAreCreatedButNotMoved() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.mustGit(["tag", "-a", "v1.0", "-m", "release"], in: app)
        let created = try await scenario.git(["push", "origin", "v1.0"], in: app)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.stderr.contains("* [new tag]         v1.0 -> v1.0"))
        let tagged = try await scenario.serverRef("refs/tags/v1.0")
        #expect(tagged != nil)

        try await scenario.commit(in: app)
        try await scenario.mustGit(["tag", "-f", "-a", "v1.0", "-m", "moved"], in: app)
        let moved = try await scenario.git(["push", "--force", "origin", "v1.0"], in: app)
        #expect(moved.status != 0)
        #expect(moved.stderr.contains("(tag 'v1.0' already exists and cannot be moved (ALLOW_TAG_UPDATES=false))"), "\(moved.output)")
        let deleted = try await scenario.git(["push", "origin", ":refs/tags/v1.0"], in: app)
        #expect(deleted.stderr.contains("(deleting tag 'v1.0' is not allowed (ALLOW_TAG_UPDATES=false))"), "\(deleted.output)")
        #expect(try await scenario.serverRef("refs/tags/v1.0") == tagged)
        scenario.expectNoCanary(created, moved, deleted)
    }

    @Test func deleteAllowedBranchAndRefuseWhenDeletionIsOff() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/temp", "HEAD:claude/keep"], in: app)
        let deleted = try await scenario.git(["push", "origin", "--delete", "claude/temp"], in: app)
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(deleted.stderr.contains("- [deleted]         claude/temp"))
        #expect(try await scenario.serverRef("refs/heads/claude/temp") == nil)

        let strict = try await GitScenario.start(environment: ["ALLOW_BRANCH_DELETE": "false"])
        let strictApp = try await strict.clone()
        try await strict.mustGit(["push", "-q", "origin", "HEAD:claude/keep"], in: strictApp)
        let refused = try await strict.git(["push", "origin", ":claude/keep"], in: strictApp)
        #expect(refused.stderr.contains("(deleting branch 'claude/keep' is not allowed (ALLOW_BRANCH_DELETE=false))"), "\(refused.output)")
        #expect(try await strict.serverRef("refs/heads/claude/keep") != nil)
        scenario.expectNoCanary(deleted)
        strict.expectNoCanary(refused)
    }

    @Test func forceWithLeaseIsHonouredAndStaleLeasesAreRefused() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let first = try await scenario.commit(in: app, "first")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/lease"], in: app)
        try await scenario.mustGit(["reset", "-q", "--hard", "HEAD~1"], in: app)
        let rewritten = try await scenario.commit(in: app, "rewritten")

        // A lease naming a value the server no longer has is stale.
        let stale = try await scenario.git(["push", "--force-with-lease=claude/lease:\(rewritten)", "origin", "HEAD:claude/lease"], in: app)
        #expect(stale.status != 0)
        #expect(stale.stderr.contains("! [rejected]        HEAD -> claude/lease (stale info)"), "\(stale.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/lease") == first)

        let honoured = try await scenario.git(["push", "--force-with-lease=claude/lease:\(first)", "origin", "HEAD:claude/lease"], in: app)
        #expect(honoured.status == 0, "\(honoured.output)")
        #expect(honoured.stderr.contains("+ \(first.prefix(7))...\(rewritten.prefix(7)) HEAD -> claude/lease (forced update)"))
        #expect(try await scenario.serverRef("refs/heads/claude/lease") == rewritten)
        scenario.expectNoCanary(stale, honoured)
    }

    @Test func forcePushFollowsTheSetting() async throws {
        let scenario = try await GitScenario.start(environment: ["ALLOW_FORCE_PUSH": "false"])
        let app = try await scenario.clone()
        let first = try await scenario.commit(in: app, "first")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/rewrite"], in: app)
        try await scenario.mustGit(["reset", "-q", "--hard", "HEAD~1"], in: app)
        try await scenario.commit(in: app, "other")
        let refused = try await scenario.git(["push", "--force", "origin", "HEAD:claude/rewrite"], in: app)
        #expect(refused.stderr.contains("(force-pushing branch 'claude/rewrite' is not allowed (ALLOW_FORCE_PUSH=false))"), "\(refused.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/rewrite") == first)
        scenario.expectNoCanary(refused)
    }

    @Test func dryRunPushesNothing() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        let before = try await scenario.server.references(in: "o/app")
        let dryRun = try await scenario.git(["push", "--dry-run", "origin", "HEAD:claude/dry", ":refs/heads/main"], in: app)
        #expect(dryRun.stderr.contains("* [new branch]      HEAD -> claude/dry"), "\(dryRun.output)")
        #expect(dryRun.stderr.contains("(branch 'main' is protected (BLOCKED_BRANCHES))"))
        #expect(try await scenario.server.references(in: "o/app") == before)
        #expect(scenario.agent.auditLog.contains(#""operation":"push (dry run)""#))
        scenario.expectNoCanary(dryRun)
    }

    @Test func serverRejectionLooksLikeOne() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        let result = try await scenario.git(["push", "origin", "HEAD:reject/this", "HEAD:claude/fine"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("remote: fixture server: refs/heads/reject/this is not accepted here"), "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> reject/this (hook declined)"))
        #expect(try await scenario.serverRef("refs/heads/reject/this") == nil)
        #expect(try await scenario.serverRef("refs/heads/claude/fine") != nil, "the other ref of the push landed")
        scenario.expectNoCanary(result)
    }

    @Test func wrongTokenFailsClearlyAndQuickly() async throws {
        let scenario = try await GitScenario.start(serverToken: "ghp_the_server_wants_another_token")
        let result = try await scenario.git(["clone", "https://github.com/o/app.git", "app"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("the token was rejected by 127.0.0.1:\(scenario.server.port) (401)"), "\(result.output)")
        let unauthorised = await scenario.server.accessLog().split(separator: "\n").filter { $0.contains(" 401 ") }
        #expect((1...3).contains(unauthorised.count), "the token is offered at most twice: \(unauthorised)")
        scenario.expectNoCanary(result)
    }

    @Test func agentNotRunningIsOneClearLine() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        scenario.agent.child.signal(SIGTERM)
        _ = await scenario.agent.child.wait(timeout: .seconds(15))
        let result = try await scenario.git(["fetch", "origin"], in: app)
        #expect(result.status != 0)
        #expect(
            result.stderr.hasPrefix(
                "fatal: cannot reach the command agent at \(scenario.agent.gitSocketPath): the socket does not exist (is the agent running?)"),
            "\(result.output)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one clear line: \(result.stderr)")
        scenario.expectNoCanary(result)
    }

    @Test func callerWithAnotherUIDIsToldClearly() async throws {
        let scenario = try await GitScenario.start(environment: ["AGENT_ALLOWED_UIDS": "[4242]"])
        let result = try await scenario.git(["ls-remote", "https://github.com/o/app.git"])
        #expect(result.status != 0)
        #expect(
            result.stderr
                == "fatal: cannot reach the command agent at \(scenario.agent.gitSocketPath): uid \(getuid()) is not allowed to use this agent (AGENT_ALLOWED_UIDS)\n",
            "\(result.output)")
    }

    @Test func progressIsShownLikeGitsOwn() async throws {
        let scenario = try await GitScenario.start()
        let result = try await scenario.mustGit(["clone", "--progress", "https://github.com/o/app.git", "app"])
        #expect(result.stderr.contains("Receiving objects: 100% ("), "\(result.output)")
        let app = scenario.workspace + "/app"
        try await scenario.commit(in: app)
        let push = try await scenario.mustGit(["push", "--progress", "origin", "HEAD:claude/progress"], in: app)
        #expect(push.stderr.contains("Writing objects: 100% ("), "\(push.output)")
        scenario.expectNoCanary(result, push)

        // --quiet: no progress, the server's included; its other messages still show. Files that
        // share most of their text make the server index a pack with deltas, which it reports as
        // progress (checked first with --progress).
        let common = String(repeating: "a line of text that every file shares\n", count: 100)
        for round in 0..<2 {
            for index in 0..<150 {
                try (common + "file \(index), round \(round)\n").write(toFile: app + "/similar-\(index).txt", atomically: true, encoding: .utf8)
            }
            _ = try await scenario.mustGit(["add", "."], in: app)
            _ = try await scenario.mustGit(["commit", "-q", "-m", "similar files \(round)"], in: app)
            if round == 0 {
                let loud = try await scenario.mustGit(["push", "--progress", "origin", "HEAD:claude/loud"], in: app)
                #expect(loud.stderr.contains("remote: Resolving deltas"), "the server reports progress here: \(loud.output)")
            }
        }
        let quiet = try await scenario.git(["push", "-q", "origin", "HEAD:claude/quiet", "HEAD:reject/quiet"], in: app)
        #expect(!quiet.stderr.contains("Resolving deltas") && !quiet.stderr.contains("Writing objects"), "\(quiet.output)")
        #expect(quiet.stderr.contains("remote: fixture server: refs/heads/reject/quiet is not accepted here"), "\(quiet.output)")
    }
}
