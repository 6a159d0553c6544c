import AgentTestSupport
import Foundation
import Testing

/// A GitHub App instead of a PAT: the agent signs a JWT (verified by the fixture with the App's
/// public key), mints installation tokens limited to ALLOWED_REPOS and the permissions it needs,
/// renews them before they expire, never uses an expired one, and says in one line when it cannot.
struct GitHubAppTests {
    struct Scenario {
        let app: FixtureGitHubApp
        let github: FixtureGitHubServer
        let git: FixtureGitServer
        let agent: AgentUnderTest
        let gh: GhScenario
        let bench: GitWorkbench
        let scratch: TemporaryDirectory

        static func start(
            _ settings: FixtureGitHubApp.Settings = .init(), keyFile: String = FixtureGitHubApp.privateKeyFile, environment: [String: String] = [:]
        ) async throws -> Scenario {
            let scratch = try TemporaryDirectory(prefix: "app")
            let app = try FixtureGitHubApp(settings: settings, tokenFile: scratch.sub("tokens"))
            let github = try await FixtureGitHubServer(app: app)
            let git = try await FixtureGitServer(installationTokens: app.tokenFile)
            try await git.addRepository(owner: "o", name: "app", fixture: "app")
            var values = [
                "GITHUB_TOKEN": "", "GITHUB_APP_ID": settings.appID, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile, "ALLOWED_REPOS": #"["o/app"]"#,
                "GITHUB_URL": git.baseURL,
            ]
            values.merge(environment) { $1 }
            let agent = try await AgentUnderTest(environment: values, githubAPIURL: github.baseURL)
            let bench = try GitWorkbench(in: scratch.sub("bench"), socketDirectory: agent.socketDirectory)
            return Scenario(
                app: app, github: github, git: git, agent: agent, gh: try GhScenario.attach(github: github, agent: agent), bench: bench, scratch: scratch)
        }

        /// No minted token, no key, no canary in anything the agent wrote.
        func expectNoSecrets(_ results: ProgramResult..., sourceLocation: SourceLocation = #_sourceLocation) throws {
            let key = try String(contentsOfFile: FixtureGitHubApp.privateKeyFile, encoding: .utf8)
            let keyLine = key.split(separator: "\n")[1]
            let everything = agent.allOutput + results.map(\.output).joined()
            for mint in app.mints { #expect(!everything.contains(mint.token), "an installation token leaked", sourceLocation: sourceLocation) }
            #expect(!everything.contains(keyLine), "the private key leaked", sourceLocation: sourceLocation)
            #expect(!everything.contains(AgentUnderTest.canaryToken), sourceLocation: sourceLocation)
        }
    }

    @Test func gitAndGhWorkWithMintedTokensLimitedToTheListedRepositories() async throws {
        let scenario = try await Scenario.start()
        let repository = try await scenario.gh.gh(["api", "repos/o/app"])
        #expect(repository.status == 0, "\(repository.output)")
        let status = try await scenario.agent.status()
        #expect(status.status == 0, "\(status.output)")
        #expect(status.stdout.contains("GitHub App 12345, installation 678 (o), token expires"), "\(status.output)")

        let workspace = scenario.agent.workspace
        try await scenario.bench.mustGit(["clone", "-q", "https://github.com/o/app.git", "app"], in: workspace)
        try await scenario.bench.mustGit(["commit", "-q", "--allow-empty", "-m", "x"], in: workspace + "/app")
        let pushed = try await scenario.bench.git(["push", "origin", "HEAD:claude/app-token"], in: workspace + "/app")
        #expect(pushed.status == 0, "\(pushed.output)")
        #expect(try await scenario.git.reference("refs/heads/claude/app-token", in: "o/app") != nil)

        let mint = try #require(scenario.app.mints.first)
        #expect(mint.request["repositories"] as? [String] == ["app"])
        #expect(mint.request["permissions"] as? [String: String] == ["contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"])
        #expect(scenario.app.refusedJWTs.isEmpty, "\(scenario.app.refusedJWTs)")
        #expect(scenario.app.unknownTokenUses.isEmpty && scenario.app.expiredTokenUses.isEmpty)
        for request in scenario.github.requests where !request.uri.hasPrefix("/app/") && !request.uri.hasSuffix("/installation") {
            #expect(request.header("Authorization") == "token \(mint.token)", "\(request.method) \(request.uri)")
        }
        #expect(scenario.agent.auditLog.contains(#""socket":"github-app","operation":"installation token","repository":"o","decision":"allow""#))
        try scenario.expectNoSecrets(repository, status, pushed)
    }

    @Test func workflowsOnlyWhenAsked() async throws {
        let scenario = try await Scenario.start(environment: ["GITHUB_APP_WORKFLOWS": "true", "ALLOWED_REPOS": #"["o/*"]"#])
        let mint = try #require(scenario.app.mints.first)
        #expect((mint.request["permissions"] as? [String: String])?["workflows"] == "write")
        #expect(mint.request["repositories"] == nil, "o/* asks for the whole installation")
    }

    /// Tokens that live 30 seconds: the agent renews them before they expire, and an expired
    /// token is never sent, neither to the API nor to the git server. (With 6 seconds, a loaded
    /// machine started the first clone after the first token had expired and before its renewal
    /// came back: the agent rightly refused to send it.)
    @Test func tokensAreRenewedAndAnExpiredOneIsNeverUsed() async throws {
        var settings = FixtureGitHubApp.Settings()
        settings.tokenLifetime = 30
        let scenario = try await Scenario.start(settings)
        let workspace = scenario.agent.workspace
        try await scenario.bench.mustGit(["clone", "-q", "https://github.com/o/app.git", "app"], in: workspace)
        let first = try #require(scenario.app.mints.first)
        // Wait until the first token has expired on the fixture's clock.
        while scenario.app.now < first.expiresAt { try await Task.sleep(for: .milliseconds(200)) }
        let read = try await scenario.gh.gh(["api", "repos/o/app"])
        #expect(read.status == 0, "\(read.output)")
        try await scenario.bench.mustGit(["commit", "-q", "--allow-empty", "-m", "x"], in: workspace + "/app")
        let pushed = try await scenario.bench.git(["push", "origin", "HEAD:claude/renewed"], in: workspace + "/app")
        #expect(pushed.status == 0, "\(pushed.output)")
        #expect(scenario.app.mints.count >= 2, "the token was renewed")
        #expect(scenario.app.expiredTokenUses.isEmpty, "\(scenario.app.expiredTokenUses)")
        #expect(scenario.git.expiredTokenUses.isEmpty, "\(scenario.git.expiredTokenUses)")
        try scenario.expectNoSecrets(read, pushed)
    }

    @Test func aSkewedClockIsOneClearLine() async throws {
        var settings = FixtureGitHubApp.Settings()
        settings.clockOffset = 3600
        let scenario = try await Scenario.start(settings)
        let line = "this machine's clock is about 60 minutes behind GitHub's, so GitHub refuses the App's JWT; set the clock (NTP)"
        let status = try await scenario.agent.status()
        #expect(status.status != 0, "no token: not healthy")
        #expect(status.stdout.contains(line), "\(status.output)")
        #expect(scenario.agent.auditLog.contains(#""code":"app-clock-skew","reason":"\#(line)""#), "\(scenario.agent.auditLog)")
        let refused = try await scenario.gh.gh(["api", "repos/o/app"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(line), "\(refused.output)")
        #expect(scenario.app.mints.isEmpty && scenario.app.unknownTokenUses.isEmpty, "nothing was sent without a token")
    }

    @Test func aRevokedInstallationIsOneClearLine() async throws {
        var settings = FixtureGitHubApp.Settings()
        settings.isRevoked = true
        let scenario = try await Scenario.start(settings, environment: ["GITHUB_APP_INSTALLATION_ID": "678"])
        let status = try await scenario.agent.status()
        #expect(
            status.stdout.contains("GitHub does not know the App's installation 678 (404): the App was uninstalled or its installation revoked"),
            "\(status.output)")
        #expect(scenario.agent.auditLog.contains(#""code":"app-installation-revoked""#))
        let workspace = scenario.agent.workspace
        let clone = try await scenario.bench.git(["clone", "-q", "https://github.com/o/app.git", "app"], in: workspace)
        #expect(clone.status != 0)
        #expect(clone.stderr.contains("the GitHub App has no valid installation token: GitHub does not know"), "\(clone.output)")
    }

    @Test func aKeyTheAppDoesNotHaveIsRefusedByGitHub() async throws {
        let scenario = try await Scenario.start(keyFile: FixtureGitHubApp.otherPrivateKeyFile)
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("GitHub refused the App's JWT (401"), "\(status.output)")
        #expect(scenario.app.refusedJWTs.contains { $0.contains("signature") }, "the fixture checked the signature: \(scenario.app.refusedJWTs)")
    }

    @Test func aTokenAndAnAppAtOnceAreRefusedAtStart() async throws {
        let directory = try TemporaryDirectory(prefix: "both")
        let result = try await ChildProcess.run(
            BuiltProducts.path("command-agent"), [],
            environment: [
                "PATH": "/usr/bin:/bin", "GITHUB_TOKEN": AgentUnderTest.canaryToken, "GITHUB_APP_ID": "12345",
                "GITHUB_APP_PRIVATE_KEY_FILE": FixtureGitHubApp.privateKeyFile, "AGENT_SOCKET_DIR": directory.sub("run"),
                "AGENT_WORKSPACE": directory.path, "AGENT_STATE_DIR": directory.sub("state"),
            ], outputDirectory: directory.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("GITHUB_TOKEN, GITHUB_APP_ID: a token and a GitHub App are both set; keep one"), "\(result.output)")
        #expect(!result.output.contains(AgentUnderTest.canaryToken))
    }
}
