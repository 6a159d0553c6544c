import AgentTestSupport
import Foundation

/// Test fixtures as a program, for the container end-to-end test: a smart-HTTP git server
/// demanding the canary token (with `o/app`) and the fixture GitHub API. Prints
/// `git=PORT api=PORT` once both listen, then serves until it is killed.
@main
enum FixtureServers {
    static func main() async throws {
        let token = ProcessInfo.processInfo.environment["FIXTURE_TOKEN"] ?? AgentUnderTest.canaryToken
        let git = try await FixtureGitServer(token: token)
        try await git.addRepository(owner: "o", name: "app", fixture: "app")
        let api = try await FixtureGitHubServer()
        FileHandle.standardOutput.write(Data("git=\(git.port) api=\(api.port)\n".utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
