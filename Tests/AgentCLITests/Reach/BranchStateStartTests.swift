import AgentTestSupport
import Foundation
import Testing

/// The state directory is the agent's own: one the session could write, or a state file the
/// agent did not write, stops it at start with one line that names AGENT_STATE_DIR.
struct BranchStateStartTests {
    static func start(_ environment: [String: String], directory: TemporaryDirectory) async throws -> ProgramResult {
        var settings = [
            "PATH": "/usr/bin:/bin", "GITHUB_TOKEN": AgentUnderTest.canaryToken, "AGENT_SOCKET_DIR": directory.sub("run"),
            "AGENT_WORKSPACE": directory.sub("workspace"), "ALLOWED_REPOS": "o/app",
        ]
        settings.merge(environment) { $1 }
        try FileManager.default.createDirectory(atPath: directory.sub("workspace"), withIntermediateDirectories: true)
        return try await ChildProcess.run(
            BuiltProducts.path("command-agent"), [], environment: settings, outputDirectory: directory.path, timeout: .seconds(30))
    }

    @Test func aStateDirectoryInsideTheWorkspaceIsRefused() async throws {
        let directory = try TemporaryDirectory(prefix: "state-start")
        let result = try await Self.start(["AGENT_STATE_DIR": directory.sub("workspace/.state")], directory: directory)
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "command-agent: AGENT_STATE_DIR: \(directory.sub("workspace/.state")) is inside the workspace (\(directory.sub("workspace"))), which the session can write\n",
            "\(result.output)")
    }

    @Test func aStateFileTheAgentDidNotWriteIsRefused() async throws {
        let directory = try TemporaryDirectory(prefix: "state-start")
        try FileManager.default.createDirectory(atPath: directory.sub("state"), withIntermediateDirectories: true)
        try "command-agent branch state 1\nown\to/app\trefs/heads/main\nown\tx/y\t$(evil)\n".write(
            toFile: directory.sub("state/branches"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.sub("state/branches"))
        let result = try await Self.start(["AGENT_STATE_DIR": directory.sub("state")], directory: directory)
        #expect(result.status == 2)
        #expect(
            result.stderr.hasPrefix("command-agent: AGENT_STATE_DIR: \(directory.sub("state"))/branches is not a state file the agent wrote (line 3:"),
            "\(result.output)")
        #expect(!result.stderr.contains("$(evil)"), "a refusal names the line, never its content")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
