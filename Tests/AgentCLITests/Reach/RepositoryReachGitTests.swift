import AgentTestSupport
import Foundation
import Testing

/// `ALLOWED_REPOS` through stock git: pushes to any other repository are refused natively, in
/// every spelling of its URL; fetches and clones of others only with ALLOW_OTHER_REPO_READS=false;
/// the default list is the workspace's remotes at start.
struct RepositoryReachGitTests {
    static func start(_ environment: [String: String] = [:]) async throws -> GitScenario {
        var settings = ["ALLOWED_REPOS": #"["o/app"]"#]
        settings.merge(environment) { $1 }
        let scenario = try await GitScenario.start(environment: settings)
        try await scenario.server.addRepository(owner: "x", name: "other", fixture: "library")
        return scenario
    }

    static let refusal = "(repository 'x/other' is not in ALLOWED_REPOS (o/app))"

    @Test(arguments: [
        "https://github.com/x/other.git", "https://github.com/x/other", "https://github.com/x/other/",
        "git@github.com:x/other.git", "ssh://git@github.com/x/other.git",
    ])
    func aPushToAnotherRepositoryIsRefusedInEverySpelling(_ url: String) async throws {
        let scenario = try await Self.start()
        let app = try await scenario.clone()
        try await scenario.commit(in: app, "private code")
        let before = try await scenario.server.references(in: "x/other")
        let result = try await scenario.git(["push", url, "HEAD:claude/leak", "HEAD:refs/heads/main"], in: app)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> claude/leak \(Self.refusal)"), "\(result.output)")
        #expect(try await scenario.server.references(in: "x/other") == before, "nothing reached the other repository")
        #expect(scenario.agent.auditLog.contains(#""code":"repository-not-allowed""#))
        scenario.expectNoCanary(result)
    }

    @Test func theListedRepositoryStillTakesPushes() async throws {
        let scenario = try await Self.start()
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app)
        let result = try await scenario.git(["push", "origin", "HEAD:claude/ok"], in: app)
        #expect(result.status == 0, "\(result.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/ok") == commit)
    }

    @Test func readsOfOtherRepositoriesFollowTheSetting() async throws {
        let open = try await Self.start()
        let cloned = try await open.git(["clone", "-q", "https://github.com/x/other.git", "other"])
        #expect(cloned.status == 0, "reads are allowed by default: \(cloned.output)")

        let strict = try await Self.start(["ALLOW_OTHER_REPO_READS": "false"])
        let refused = try await strict.git(["clone", "-q", "https://github.com/x/other.git", "other"])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "fatal: reading repository 'x/other' is not allowed: it is not in ALLOWED_REPOS (o/app) and ALLOW_OTHER_REPO_READS=false"),
            "\(refused.output)")
        let app = try await strict.clone()
        try await strict.mustGit(["remote", "add", "other", "https://github.com/x/other.git"], in: app)
        let fetched = try await strict.git(["fetch", "other"], in: app)
        #expect(fetched.status != 0)
        #expect(fetched.stderr.contains("ALLOW_OTHER_REPO_READS=false"), "\(fetched.output)")
        strict.expectNoCanary(refused, fetched)
    }

    @Test func theDefaultListIsTheWorkspacesRemotesAtStart() async throws {
        let server = try await FixtureGitServer()
        try await server.addRepository(owner: "o", name: "app", fixture: "app")
        try await server.addRepository(owner: "x", name: "other", fixture: "library")
        // A project checked out before the agent starts, its remote a github.com URL.
        let project = try TemporaryDirectory(prefix: "project")
        try await server.cloneDirectly("o/app", to: project.sub("app"))
        let setURL = try await ChildProcess.run(
            "/usr/bin/git", ["-C", project.sub("app"), "remote", "set-url", "origin", "git@github.com:o/app.git"],
            environment: ["HOME": project.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"],
            outputDirectory: project.path)
        #expect(setURL.status == 0, "\(setURL.output)")
        let agent = try await AgentUnderTest(environment: ["GITHUB_URL": server.baseURL, "ALLOWED_REPOS": ""], workspaceSeed: project.sub("app"))
        let scratch = try TemporaryDirectory(prefix: "bench")
        let bench = try GitWorkbench(in: scratch.path, socketDirectory: agent.socketDirectory)
        let app = agent.workspace + "/app"
        try await bench.mustGit(["commit", "-q", "--allow-empty", "-m", "x"], in: app)
        let pushed = try await bench.git(["push", "origin", "HEAD:claude/default"], in: app)
        #expect(pushed.status == 0, "o/app was a remote at start: \(pushed.output)")
        let refused = try await bench.git(["push", "https://github.com/x/other.git", "HEAD:claude/leak"], in: app)
        #expect(refused.stderr.contains("(repository 'x/other' is not in ALLOWED_REPOS (o/app))"), "\(refused.output)")
        let status = try await agent.status()
        #expect(status.stdout.contains("repositories: o/app (the GitHub remotes of the workspace's repositories at start)"), "\(status.output)")
        #expect(agent.auditLog.contains("ALLOWED_REPOS (the GitHub remotes of the workspace's repositories at start): o/app"))
        // A remote added later does not widen the list.
        try await bench.mustGit(["remote", "add", "later", "https://github.com/x/other.git"], in: app)
        let later = try await bench.git(["push", "later", "HEAD:claude/leak"], in: app)
        #expect(later.stderr.contains("is not in ALLOWED_REPOS (o/app)"), "\(later.output)")
    }

    @Test func withoutRemotesEveryWriteIsRefusedUntilTheListIsSet() async throws {
        let scenario = try await GitScenario.start(environment: ["ALLOWED_REPOS": ""])
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        let refused = try await scenario.git(["push", "origin", "HEAD:claude/x"], in: app)
        #expect(
            refused.stderr.contains(
                "(repository 'o/app' is not in ALLOWED_REPOS (the list is empty: no GitHub remote was found in the workspace when the agent started; set ALLOWED_REPOS))"
            ),
            "\(refused.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/x") == nil)
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("repositories: NONE (every write is refused until ALLOWED_REPOS is set)"), "\(status.output)")
        #expect(scenario.agent.child.stderr.contains("ALLOWED_REPOS: no GitHub remote in the workspace, so every write is refused until ALLOWED_REPOS is set"))
    }
}
