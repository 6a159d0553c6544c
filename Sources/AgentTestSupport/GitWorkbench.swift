import Foundation

/// Runs real git the way a user in the claude container would: the shipped system gitconfig
/// (as the global config), git-remote-agent on PATH, its own HOME, and none of this machine's
/// own git configuration (`GIT_CONFIG_NOSYSTEM=1`).
public final class GitWorkbench: @unchecked Sendable {
    public let home: String
    public let socketDirectory: String
    public let scratch: String

    /// - Parameters:
    ///   - directory: where HOME and the outputs go.
    ///   - socketDirectory: the agent's `AGENT_SOCKET_DIR`.
    public init(in directory: String, socketDirectory: String) throws {
        home = directory + "/home"
        scratch = directory
        self.socketDirectory = socketDirectory
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let shipped = try String(contentsOf: FixturePaths.root.deletingLastPathComponent().appendingPathComponent("images/claude/gitconfig"), encoding: .utf8)
        let identity = """

            [user]
            \tname = Claude Test
            \temail = claude@example.com
            [init]
            \tdefaultBranch = main
            [advice]
            \tdetachedHead = false
            """
        try (shipped + identity).write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
    }

    public var environment: [String: String] {
        [
            "HOME": home,
            "GIT_CONFIG_GLOBAL": home + "/.gitconfig",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "PATH": BuiltProducts.directory.path + ":/usr/bin:/bin",
            "AGENT_SOCKET_DIR": socketDirectory,
            "LANG": "C",
        ]
    }

    /// Runs `git ARGUMENTS` in `directory`.
    @discardableResult
    public func git(_ arguments: [String], in directory: String, extraEnvironment: [String: String] = [:]) async throws -> ProgramResult {
        var environment = self.environment
        environment.merge(extraEnvironment) { $1 }
        return try await ChildProcess.run("/usr/bin/git", arguments, environment: environment, directory: directory, outputDirectory: scratch)
    }

    /// Runs git and fails the caller when it does not succeed.
    @discardableResult
    public func mustGit(_ arguments: [String], in directory: String) async throws -> ProgramResult {
        let result = try await git(arguments, in: directory)
        guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        return result
    }
}

public struct GitFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let result: ProgramResult

    public init(arguments: [String], result: ProgramResult) {
        self.arguments = arguments
        self.result = result
    }

    public var description: String { "git \(arguments.joined(separator: " ")) exited \(result.status.map(String.init) ?? "by timeout"): \(result.output)" }
}
