import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on issue 15 (the token's reach) through stock git on git.sock.
struct ReachAttackGitTests {
    /// Runs git straight on a bare repository of the fixture server: what a person (or another
    /// session with its own agent) does on GitHub, not through this agent.
    static func onServer(_ scenario: GitScenario, _ repository: String, _ arguments: [String]) async throws {
        let scratch = try TemporaryDirectory(prefix: "server-side")
        let environment = ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", "\(scenario.server.root)/\(repository).git"] + arguments, environment: environment,
            outputDirectory: scratch.path)
        guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
    }

    /// `ALLOW_FORCE_PUSH=own`: "force-pushing and deleting are allowed only on branches this agent
    /// created". The agent created `claude/reused`; then it was deleted outside the agent (GitHub
    /// deletes a merged pull request's head branch; a person deletes it) and someone else created
    /// a branch of the same name with their own work. The agent still counts the name as its own
    /// and force-pushes over, or deletes, the other person's branch.
    @Test func aBranchSomeoneElseRecreatedAfterTheAgentsWasDeletedElsewhereIsNotTheAgents() async throws {
        let scenario = try await GitScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "the agent's work")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/reused"], in: app)

        try await Self.onServer(scenario, "o/app", ["update-ref", "-d", "refs/heads/claude/reused"])
        let theirTip = try await OwnBranchesGitTests.theirs(scenario, "claude/reused")

        let forced = try await scenario.git(["push", "--force", "origin", "HEAD:claude/reused"], in: app)
        #expect(forced.status != 0, "\(forced.output)")
        #expect(forced.stderr.contains("the agent did not create it (ALLOW_FORCE_PUSH=own)"), "\(forced.output)")
        let deleted = try await scenario.git(["push", "origin", "--delete", "claude/reused"], in: app)
        #expect(deleted.status != 0, "\(deleted.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/reused") == theirTip, "their branch was rewritten or deleted")
        scenario.expectNoCanary(forced, deleted)
    }

    /// Without `ALLOWED_REPOS` the list is the workspace's GitHub remotes at start. The session
    /// writes the workspace (a `remote.*.url` on github.com is a setting the workspace guard
    /// keeps), so a remote it adds widens the list at the agent's next start: a push of the
    /// private code to another repository of the owner (the issue's first example) then lands.
    /// The list the agent found first must hold until `ALLOWED_REPOS` says otherwise.
    @Test func aRemoteTheSessionAddsDoesNotWidenTheDefaultListAtTheNextStart() async throws {
        let server = try await FixtureGitServer()
        try await server.addRepository(owner: "o", name: "app", fixture: "app")
        try await server.addRepository(owner: "x", name: "other", fixture: "library")
        let project = try TemporaryDirectory(prefix: "project")
        try await server.cloneDirectly("o/app", to: project.sub("app"))
        let setURL = try await ChildProcess.run(
            "/usr/bin/git", ["-C", project.sub("app"), "remote", "set-url", "origin", "https://github.com/o/app.git"],
            environment: ["HOME": project.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"],
            outputDirectory: project.path)
        #expect(setURL.status == 0, "\(setURL.output)")
        let agent = try await AgentUnderTest(environment: ["GITHUB_URL": server.baseURL, "ALLOWED_REPOS": ""], workspaceSeed: project.sub("app"))
        let scratch = try TemporaryDirectory(prefix: "bench")
        let bench = try GitWorkbench(in: scratch.path, socketDirectory: agent.socketDirectory)
        let app = agent.workspace + "/app"
        try await bench.mustGit(["commit", "-q", "--allow-empty", "-m", "private code"], in: app)
        try await bench.mustGit(["remote", "add", "later", "https://github.com/x/other.git"], in: app)
        let before = try await bench.git(["push", "later", "HEAD:claude/leak"], in: app)
        #expect(before.stderr.contains("is not in ALLOWED_REPOS (o/app)"), "\(before.output)")

        let restarted = try await AgentUnderTest(restarting: agent)
        let after = try await bench.git(["push", "later", "HEAD:claude/leak"], in: app)
        #expect(after.status != 0, "\(after.output)")
        #expect(after.stderr.contains("(repository 'x/other' is not in ALLOWED_REPOS (o/app))"), "\(after.output)")
        #expect(try await server.reference("refs/heads/claude/leak", in: "x/other") == nil, "the private code reached x/other")
        #expect(!restarted.allOutput.contains(AgentUnderTest.canaryToken))
    }
}
