import AgentTestSupport
import Foundation
import Testing

/// A push to main is refused in every spelling git knows; what else the same push carries lands
/// (unless --atomic), and main on the server never moves.
struct ProtectedBranchTests {
    struct Spelling: Sendable, CustomTestStringConvertible {
        let name: String
        /// git config set in the clone first.
        var config: [(String, String)] = []
        let push: [String]
        var testDescription: String { name }
    }

    static let protectedMessage = "(branch 'main' is protected (BLOCKED_BRANCHES))"

    static let spellings: [Spelling] = [
        Spelling(name: "git push origin main", push: ["push", "origin", "main"]),
        Spelling(name: "HEAD:main", push: ["push", "origin", "HEAD:main"]),
        Spelling(name: "HEAD:refs/heads/main", push: ["push", "origin", "HEAD:refs/heads/main"]),
        Spelling(name: "HEAD:heads/main", push: ["push", "origin", "HEAD:heads/main"]),
        Spelling(name: "+HEAD:main", push: ["push", "origin", "+HEAD:main"]),
        Spelling(name: "--force", push: ["push", "--force", "origin", "main"]),
        Spelling(name: ":main", push: ["push", "origin", ":main"]),
        Spelling(name: "--delete main", push: ["push", "origin", "--delete", "main"]),
        Spelling(name: "--all", push: ["push", "--all", "origin"]),
        Spelling(name: "--mirror", push: ["push", "--mirror", "origin"]),
        Spelling(name: "push.default=upstream", config: [("push.default", "upstream")], push: ["push"]),
        Spelling(name: "push.default=matching", config: [("push.default", "matching")], push: ["push", "origin"]),
        Spelling(
            name: "remote.origin.push=refs/heads/*:refs/heads/*", config: [("remote.origin.push", "refs/heads/*:refs/heads/*")], push: ["push", "origin"]),
        Spelling(name: "remote.origin.push=HEAD:main", config: [("remote.origin.push", "HEAD:main")], push: ["push"]),
        Spelling(name: "--force-with-lease", push: ["push", "--force-with-lease", "origin", "HEAD:main"]),
        Spelling(name: "git push origin HEAD (branch tracking main)", push: ["push", "origin", "HEAD"]),
    ]

    @Test(arguments: spellings)
    func pushToMainIsRefused(_ spelling: Spelling) async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let mainBefore = try await scenario.serverRef("refs/heads/main")
        try await scenario.commit(in: app, "an attempt on main")
        for (key, value) in spelling.config { try await scenario.mustGit(["config", key, value], in: app) }
        let result = try await scenario.git(spelling.push, in: app)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.stderr.contains("[remote rejected]"), "\(result.output)")
        #expect(result.stderr.contains(Self.protectedMessage), "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/main") == mainBefore, "main moved on the server")
        scenario.expectNoCanary(result)
        #expect(scenario.agent.auditLog.contains("refs/heads/main: branch 'main' is protected (BLOCKED_BRANCHES)"))
    }

    /// git rejects a one-sided wildcard itself, before it asks the helper anything.
    @Test func wildcardOntoMainIsRefusedByGitItself() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let mainBefore = try await scenario.serverRef("refs/heads/main")
        try await scenario.commit(in: app)
        try await scenario.mustGit(["config", "remote.origin.push", "refs/heads/*:refs/heads/main"], in: app)
        let result = try await scenario.git(["push", "origin"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("invalid refspec 'refs/heads/*:refs/heads/main'"), "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/main") == mainBefore)
    }

    @Test func theAllowedRefOfTheSamePushLands() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app)
        let result = try await scenario.git(["push", "origin", "HEAD:claude/ok", "HEAD:main"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("* [new branch]      HEAD -> claude/ok"), "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> main \(Self.protectedMessage)"))
        #expect(try await scenario.serverRef("refs/heads/claude/ok") == commit)
    }

    @Test func atomicPushLandsNothing() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        let result = try await scenario.git(["push", "--atomic", "origin", "HEAD:claude/ok", "HEAD:main"], in: app)
        #expect(result.status != 0)
        #expect(result.stderr.contains("! [remote rejected] HEAD -> claude/ok (atomic push failed)"), "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> main \(Self.protectedMessage)"))
        #expect(try await scenario.serverRef("refs/heads/claude/ok") == nil)
    }

    @Test func otherLetterCaseIsAnotherBranch() async throws {
        let scenario = try await GitScenario.start()
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app)
        let result = try await scenario.git(["push", "origin", "HEAD:Main"], in: app)
        #expect(result.status == 0, "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/Main") == commit)
    }
}
