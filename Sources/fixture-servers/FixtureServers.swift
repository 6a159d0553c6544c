import AgentTestSupport
import ArgumentParser
import Foundation

/// Test fixtures as a program, for the container end-to-end test (Tests/EndToEnd), and the
/// questions that test asks about what the fixtures received.
@main
struct FixtureServers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixture-servers",
        abstract: "The test fixtures as a program: git and GitHub API servers, a Messages API, and reports on what they received.",
        subcommands: [Serve.self, CheckCredentials.self, ToolResults.self, Requests.self],
        defaultSubcommand: Serve.self
    )
}

/// Serves a smart-HTTP git server demanding the canary token (with `o/app`), the fixture GitHub
/// API and the fixture Messages API. Prints `git=PORT api=PORT anthropic=PORT` once all listen,
/// then serves until it is killed.
struct Serve: AsyncParsableCommand {
    @Option(help: "A directory for github-requests.jsonl and anthropic-requests.jsonl (what each fixture received).")
    var recordDirectory: String?

    @Option(help: "The Messages API script, in Fixtures/anthropic/.")
    var script = "conversations.json"

    func run() async throws {
        let token = ProcessInfo.processInfo.environment["FIXTURE_TOKEN"] ?? AgentUnderTest.canaryToken
        let git = try await FixtureGitServer(token: token)
        try await git.addRepository(owner: "o", name: "app", fixture: "app")
        let api = try await FixtureGitHubServer(recordingTo: recordDirectory.map { $0 + "/github-requests.jsonl" })
        let anthropic = try await FixtureAnthropicServer(
            script: try MessagesScript.fixture(script), recordingTo: recordDirectory.map { $0 + "/anthropic-requests.jsonl" })
        FileHandle.standardOutput.write(Data("git=\(git.port) api=\(api.port) anthropic=\(anthropic.port)\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
        // The servers live until the process is killed.
    }
}
