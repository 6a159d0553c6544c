import AgentTestSupport
import Foundation
import Testing

/// Every secret the agent holds is looked for in what is pushed or posted, whatever
/// `SECRET_SCAN_ALLOW` or `SECRET_SCAN=warn` let through: the Anthropic credential, a GitHub App's
/// installation tokens (the current one and those before a renewal) and its private key.
struct HeldSecretsTests {
    static let anthropicKey = "sk-" + "ant-api03-" + SecretSamples.characters(90) + "AA"

    static func refusal(_ path: String, line: Int, _ kind: String) -> String { "possible secret in '\(path)' line \(line): \(kind) (SECRET_SCAN)" }

    @Test func theAnthropicCredentialIsRefusedInEveryFormEvenUnderWarn() async throws {
        // Under warn an Anthropic key format only warns: these refusals come from the held credential.
        let scenario = try await ContentScenario.start(environment: ["ANTHROPIC_API_KEY": Self.anthropicKey, "SECRET_SCAN": "warn"])
        let key = Self.anthropicKey
        let basic = Data("user:\(key)".utf8).base64EncodedString()
        let partlyEncoded = key.prefix(12).utf8.map { String(format: "%%%02X", $0) }.joined() + key.dropFirst(12)
        for (name, text, kind) in [
            ("exact", "ANTHROPIC_API_KEY=\(key)", "the agent's Anthropic API key"),
            ("base64", "auth=\(basic)", "the agent's Anthropic API key, base64-encoded"),
            ("percent", "url=https://x/?k=\(partlyEncoded)", "the agent's Anthropic API key"),
        ] {
            try await scenario.run("checkout", "-q", "-B", "leak", "origin/main")
            try scenario.write("config/\(name).env", "# env\n\(text)\n")
            try await scenario.commitAll("settings")
            let result = try await scenario.push("origin", "leak:claude/leak")
            try await scenario.expectRefused(result, source: "leak", "claude/leak", Self.refusal("config/\(name).env", line: 2, kind))
            let outputs = result.output + scenario.git.agent.allOutput
            #expect(!outputs.contains(key) && !outputs.contains(basic) && !outputs.contains(partlyEncoded), "the key reached an output")
        }
    }

    @Test func theAnthropicCredentialIsRefusedInAComment() async throws {
        let scenario = try await GhScenario.start(environment: ["ANTHROPIC_API_KEY": Self.anthropicKey])
        let result = try await scenario.gh(["api", "-X", "POST", "repos/o/app/issues/7/comments", "-f", "body=the key is \(Self.anthropicKey)"])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("gh: possible secret in the request body line 1: the agent's Anthropic API key (SECRET_SCAN) (HTTP 403)"),
            "\(result.output)")
        #expect(!scenario.github.requests.contains { $0.method == "POST" && $0.uri.hasSuffix("/comments") })
        #expect(!scenario.agent.allOutput.contains(Self.anthropicKey))
    }

    /// Tokens that live 6 seconds, so that one is renewed during the test: the scan follows.
    @Test func aGitHubAppsTokensBeforeAndAfterARenewalAndItsPrivateKeyAreRefused() async throws {
        var settings = FixtureGitHubApp.Settings()
        settings.tokenLifetime = 6
        // The well-known formats are not searched for in config/: these refusals come from the held secrets.
        let scenario = try await GitHubAppTests.Scenario.start(settings, environment: ["SECRET_SCAN_ALLOW": #"["config/**"]"#])
        let work = scenario.agent.workspace + "/app"
        try await scenario.bench.mustGit(["clone", "-q", "https://github.com/o/app.git", "app"], in: scenario.agent.workspace)
        func push(_ file: String, _ text: String) async throws -> ProgramResult {
            try await scenario.bench.mustGit(["checkout", "-q", "-B", "leak", "origin/main"], in: work)
            try FileManager.default.createDirectory(atPath: work + "/config", withIntermediateDirectories: true)
            try text.write(toFile: work + "/config/" + file, atomically: true, encoding: .utf8)
            try await scenario.bench.mustGit(["add", "-A"], in: work)
            try await scenario.bench.mustGit(["commit", "-q", "-m", "settings"], in: work)
            return try await scenario.bench.git(["push", "origin", "leak:claude/leak"], in: work)
        }
        func expectRefused(_ result: ProgramResult, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(result.stderr.contains("! [remote rejected] leak -> claude/leak (\(reason))"), "\(result.output)", sourceLocation: sourceLocation)
            #expect(try await scenario.git.reference("refs/heads/claude/leak", in: "o/app") == nil, sourceLocation: sourceLocation)
        }

        let first = try #require(scenario.app.mints.first).token
        let exact = try await push("token.env", "# env\nGH_TOKEN=\(first)\n")
        try await expectRefused(exact, Self.refusal("config/token.env", line: 2, "the agent's GitHub token"))

        // Wait for the renewal (the fixture's clock, not a duration the test assumes).
        let deadline = ContinuousClock.now + .seconds(120)
        while scenario.app.mints.count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let second = try #require(scenario.app.mints.last?.token)
        #expect(second != first, "the token was renewed")
        let basic = Data("x-access-token:\(second)".utf8).base64EncodedString()
        let renewed = try await push("basic.env", "# env\n\nAUTH=Basic \(basic)\n")
        try await expectRefused(renewed, Self.refusal("config/basic.env", line: 3, "the agent's GitHub token, base64-encoded"))
        let older = try await push("older.env", "TOKEN=\(first)\n")
        try await expectRefused(older, Self.refusal("config/older.env", line: 1, "the agent's GitHub token"))

        // The key as it sits in a file, without its last newline.
        let key = try String(contentsOfFile: FixtureGitHubApp.privateKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let copied = try await push("app.pem", "# the App's key\n\(key)")
        try await expectRefused(copied, Self.refusal("config/app.pem", line: 2, "the GitHub App's private key"))
        try scenario.expectNoSecrets(exact, renewed, older, copied)
        #expect(!(renewed.output + scenario.agent.allOutput).contains(basic))
    }
}
