import AgentSystem
import Foundation

/// A real `command-agent` process started for a test, with a canary token and its own
/// socket directory, workspace and audit log.
public final class AgentUnderTest: @unchecked Sendable {
    /// A token that must never appear in any output.
    public static let canaryToken = "ghp_CANARY0123456789abcdefCANARYtokenXYZ"

    public let directory: TemporaryDirectory
    public let socketDirectory: String
    public let workspace: String
    public let auditLogPath: String
    public let child: ChildProcess
    /// The environment the agent was started with (for a restart on the same state).
    public let environment: [String: String]

    public var gitSocketPath: String { socketDirectory + "/git.sock" }
    public var auditLog: String { (try? String(contentsOfFile: auditLogPath, encoding: .utf8)) ?? "" }

    /// Starts the agent and waits until its socket accepts connections.
    /// - Parameters:
    ///   - environment: settings added to (or replacing) the defaults for the test.
    ///   - workspaceSeed: a directory copied into the workspace before the agent starts (a
    ///     project that is there when the session begins).
    ///   - githubAPIURL: where the agent's API calls go; by default one fixture GitHub shared by
    ///     the test process, which answers `GET /user` (an agent GitHub cannot confirm is not healthy).
    public init(environment extra: [String: String] = [:], githubAPIURL: String? = nil, workspaceSeed: String? = nil) async throws {
        directory = try TemporaryDirectory(prefix: "agent")
        socketDirectory = directory.sub("run")
        workspace = directory.sub("workspace")
        auditLogPath = directory.sub("audit.log")
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        // Its own temporary directory: another agent (of this run or another) never sees its views.
        try FileManager.default.createDirectory(atPath: directory.sub("tmp"), withIntermediateDirectories: true)
        if let workspaceSeed {
            try FileManager.default.copyItem(atPath: workspaceSeed, toPath: workspace + "/" + (workspaceSeed as NSString).lastPathComponent)
        }
        var apiURL = githubAPIURL ?? ""
        if githubAPIURL == nil { apiURL = try await FixtureGitHubServer.shared().baseURL }
        var environment = [
            "PATH": "/usr/bin:/bin",
            "GITHUB_TOKEN": Self.canaryToken,
            "AGENT_SOCKET_DIR": socketDirectory,
            "AGENT_WORKSPACE": workspace,
            "AGENT_AUDIT_LOG": auditLogPath,
            "GITHUB_API_URL": apiURL,
            // The fixtures' repositories are o/*; tests of the workspace default set it to "".
            "ALLOWED_REPOS": #"["o/*"]"#,
            "AGENT_STATE_DIR": directory.sub("state"),
            "TMPDIR": directory.sub("tmp"),
        ]
        environment.merge(extra) { $1 }
        self.environment = environment
        child = try ChildProcess(BuiltProducts.path("command-agent"), environment: environment, outputDirectory: directory.path)
        for name in ["git.sock", "gh.sock", "egress.sock"]
            + (environment.keys.contains { $0.hasPrefix("ANTHROPIC_API_KEY") || $0.hasPrefix("CLAUDE_CODE_OAUTH") } ? ["anthropic.sock"] : [])
        {
            try await Self.waitUntilListening(socketDirectory + "/" + name, process: child)
        }
    }

    /// Stops `previous` (SIGTERM, then waits for it) and starts the agent again with the same
    /// directories, workspace, state directory and settings: a restart.
    public init(restarting previous: AgentUnderTest) async throws {
        previous.child.signal(SIGTERM)
        _ = await previous.child.wait()
        directory = previous.directory
        socketDirectory = previous.socketDirectory
        workspace = previous.workspace
        auditLogPath = previous.auditLogPath
        environment = previous.environment
        child = try ChildProcess(BuiltProducts.path("command-agent"), environment: environment, outputDirectory: directory.path)
        for name in ["git.sock", "gh.sock", "egress.sock"] {
            try await Self.waitUntilListening(socketDirectory + "/" + name, process: child)
        }
    }

    /// Polls until the socket accepts a connection (readiness, not timing: no fixed sleep).
    static func waitUntilListening(_ path: String, process: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw AgentDidNotStart(output: process.stderr)
            }
            if SocketProbe.accepts(path) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw AgentDidNotStart(output: "no socket at \(path) after 30 s\n" + process.stderr)
    }

    /// Runs `agent-status` against this agent.
    /// - Parameters:
    ///   - launcher: a command that runs it (`setpriv …` to run it as another user).
    ///   - program: the `agent-status` to run (a `ProductCopy` for another user).
    public func status(
        _ arguments: [String] = [], environment extra: [String: String] = [:], launcher: [String] = [],
        program: String = BuiltProducts.path("agent-status")
    ) async throws -> ProgramResult {
        var environment = ["PATH": "/usr/bin:/bin", "AGENT_SOCKET_DIR": socketDirectory]
        environment.merge(extra) { $1 }
        let command = launcher + [program] + arguments
        return try await ChildProcess.run(command[0], Array(command.dropFirst()), environment: environment, outputDirectory: directory.path)
    }

    /// Everything the agent wrote: standard output, standard error and the audit log.
    public var allOutput: String { child.stdout + child.stderr + auditLog }

    deinit {
        child.signal(SIGKILL)
    }
}

public struct AgentDidNotStart: Error, CustomStringConvertible {
    public let output: String
    public var description: String { "command-agent did not start: \(output)" }
}

/// Whether something accepts connections on a Unix socket path.
public enum SocketProbe {
    public static func accepts(_ path: String) -> Bool {
        (try? UnixSocketConnection(path: path, timeout: .milliseconds(500))) != nil
    }
}
