import AgentTestSupport
import Foundation
import Testing

/// A fixture GitHub git server, the real agent pointed at it, and real git set up as in the
/// claude container.
struct GitScenario {
    let server: FixtureGitServer
    let agent: AgentUnderTest
    let bench: GitWorkbench
    private let scratch: TemporaryDirectory

    static let canary = AgentUnderTest.canaryToken

    var workspace: String { agent.workspace }

    /// - Parameters:
    ///   - environment: agent settings for this test.
    ///   - serverToken: the token the server accepts (differs from the agent's for the wrong-token test).
    ///   - githubAPIURL: where gh.sock sends API calls (by default the test process's shared
    ///     fixture GitHub, which confirms the token: `agent-status` is healthy).
    static func start(
        environment: [String: String] = [:], serverToken: String = canary, githubAPIURL: String? = nil
    ) async throws -> GitScenario {
        let server = try await FixtureGitServer(token: serverToken)
        try await server.addRepository(owner: "o", name: "app", fixture: "app")
        var settings = ["GITHUB_URL": server.baseURL]
        settings.merge(environment) { $1 }
        let agent = try await AgentUnderTest(environment: settings, githubAPIURL: githubAPIURL)
        let scratch = try TemporaryDirectory(prefix: "bench")
        let bench = try GitWorkbench(in: scratch.path, socketDirectory: agent.socketDirectory)
        return GitScenario(server: server, agent: agent, bench: bench, scratch: scratch)
    }

    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil) async throws -> ProgramResult {
        try await bench.git(arguments, in: directory ?? workspace)
    }

    @discardableResult
    func mustGit(_ arguments: [String], in directory: String? = nil) async throws -> ProgramResult {
        try await bench.mustGit(arguments, in: directory ?? workspace)
    }

    /// Clones `https://github.com/REPOSITORY.git` into the workspace; returns the work tree.
    func clone(_ repository: String = "o/app", into name: String = "app") async throws -> String {
        try await mustGit(["clone", "-q", "https://github.com/\(repository).git", name])
        return workspace + "/" + name
    }

    /// Makes a commit in `directory`; returns its id.
    @discardableResult
    func commit(in directory: String, _ message: String = "change", file name: String = "changes.txt") async throws -> String {
        let file = directory + "/" + name
        let previous = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        try (previous + message + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try await mustGit(["add", name], in: directory)
        try await mustGit(["commit", "-q", "-m", message], in: directory)
        return try await mustGit(["rev-parse", "HEAD"], in: directory).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func serverRef(_ reference: String, in repository: String = "o/app") async throws -> String? {
        try await server.reference(reference, in: repository)
    }

    /// The canary must be in no output of git or the helper, no reply and no audit line.
    func expectNoCanary(_ results: ProgramResult..., sourceLocation: SourceLocation = #_sourceLocation) {
        for result in results {
            #expect(!result.output.contains(Self.canary), "the token leaked into git's output", sourceLocation: sourceLocation)
        }
        #expect(!agent.allOutput.contains(Self.canary), "the token leaked into the agent's output or audit log", sourceLocation: sourceLocation)
    }
}
