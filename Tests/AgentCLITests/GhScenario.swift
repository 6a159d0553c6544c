import AgentTestSupport
import Foundation
import Testing

/// The fixture GitHub API, the real agent pointed at it, and real gh configured as in the claude
/// container (the shipped config with the test's socket, a placeholder GH_TOKEN).
struct GhScenario {
    let github: FixtureGitHubServer
    let agent: AgentUnderTest
    let home: TemporaryDirectory

    static let placeholder = "placeholder-not-a-token"
    static let canary = AgentUnderTest.canaryToken

    var socket: String { agent.socketDirectory + "/gh.sock" }

    static func start(environment: [String: String] = [:], apiURL: String? = nil, tls: Bool = false) async throws -> GhScenario {
        let github = try await FixtureGitHubServer(tls: tls)
        let agent = try await AgentUnderTest(environment: environment, githubAPIURL: apiURL ?? github.baseURL)
        return try attach(github: github, agent: agent)
    }

    /// gh set up for an agent that is already running against `github`.
    static func attach(github: FixtureGitHubServer, agent: AgentUnderTest) throws -> GhScenario {
        let home = try TemporaryDirectory(prefix: "gh")
        let shipped = try String(
            contentsOf: FixturePaths.root.deletingLastPathComponent().appendingPathComponent("images/claude/gh-config.yml"), encoding: .utf8)
        try FileManager.default.createDirectory(atPath: home.sub("config"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home.sub("tmp"), withIntermediateDirectories: true)
        try shipped.replacingOccurrences(of: "/run/agent/gh.sock", with: agent.socketDirectory + "/gh.sock")
            .write(toFile: home.sub("config/config.yml"), atomically: true, encoding: .utf8)
        return GhScenario(github: github, agent: agent, home: home)
    }

    /// Runs `gh ARGUMENTS` with its own config, cache and HOME.
    func gh(_ arguments: [String]) async throws -> ProgramResult {
        let environment = [
            "HOME": home.path, "GH_CONFIG_DIR": home.sub("config"), "GH_TOKEN": Self.placeholder, "TMPDIR": home.sub("tmp"),
            "GH_NO_UPDATE_NOTIFIER": "1", "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1", "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        ]
        let result = try await ChildProcess.run("/usr/bin/gh", arguments, environment: environment, outputDirectory: home.path, timeout: .seconds(60))
        #expect(!result.output.contains(Self.canary), "the token leaked into gh's output")
        return result
    }

    /// Runs curl against `gh.sock`.
    func curl(_ arguments: [String], host: String = "api.github.com") async throws -> ProgramResult {
        let result = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "--max-time", "120", "--unix-socket", socket, "-H", "Host: \(host)"] + arguments,
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: home.path, timeout: .seconds(150)
        )
        #expect(!result.output.contains(Self.canary), "the token leaked into a reply")
        return result
    }

    func expectNoCanary(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!agent.allOutput.contains(Self.canary), "the token leaked into the agent's output or audit log", sourceLocation: sourceLocation)
    }
}
