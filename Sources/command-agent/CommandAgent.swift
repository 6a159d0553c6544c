import AgentClient
import AgentServer
import ArgumentParser

/// The daemon: holds the token, decides and performs git and GitHub operations for the container.
@main
struct CommandAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "command-agent",
        abstract: "Holds the GitHub token and serves git and gh for a sandboxed coding agent.",
        discussion: """
            Settings come from the environment (see .env.example); these options override them.
            Exit status: 0 after a clean stop (SIGTERM/SIGINT), 2 when the configuration cannot be used.
            With --check-health (the container's healthcheck): 0 when the agent serving AGENT_SOCKET_DIR is \
            healthy, 1 otherwise, with the reason.
            """
    )

    @Option(name: .customLong("socket-dir"), help: "Overrides AGENT_SOCKET_DIR.")
    var socketDirectory: String?

    @Option(help: "Overrides AGENT_WORKSPACE.")
    var workspace: String?

    @Option(name: .customLong("audit-log"), help: "Overrides AGENT_AUDIT_LOG ('-' for standard output).")
    var auditLog: String?

    @Option(name: .customLong("token-file"), help: "Overrides GITHUB_TOKEN_FILE.")
    var tokenFile: String?

    @Option(name: .customLong("github-url"), help: "Overrides GITHUB_URL.")
    var githubURL: String?

    @Option(name: .customLong("github-api-url"), help: "Overrides GITHUB_API_URL.")
    var githubAPIURL: String?

    @Option(name: .customLong("ca-file"), help: "Overrides AGENT_CA_FILE.")
    var caFile: String?

    @Flag(
        name: .customLong("check-health"),
        help: "Ask the agent already serving AGENT_SOCKET_DIR whether it is healthy (token held, GitHub accepts it); start nothing.")
    var checkHealth = false

    mutating func run() async throws {
        if checkHealth { return try await Self.checkHealth(socketDirectory: socketDirectory) }
        let overrides = ConfigurationOverrides(
            socketDirectory: socketDirectory, workspace: workspace, auditLog: auditLog,
            githubURL: githubURL, githubAPIURL: githubAPIURL, caFile: caFile
        )
        do {
            try await AgentRuntime.run(overrides: overrides, tokenFile: tokenFile)
        } catch let error as AgentRuntime.StartupError {
            AgentRuntime.printError("command-agent: \(error.description)")
            throw ExitCode(2)
        }
    }

    /// The container's healthcheck: this image has no shell and no `agent-status`, so the agent's
    /// own binary asks the running agent, as a client, and decides as `agent-status` does.
    private static func checkHealth(socketDirectory: String?) async throws {
        let path = AgentEndpoint.gitSocketPath(override: socketDirectory)
        let health: AgentHealth
        do {
            health = AgentHealth(statusReply: try await AgentHealth.askForStatus(at: path, timeout: .seconds(5)))
        } catch {
            health = .unhealthy(reason: error.description)
        }
        guard let reason = health.reason else { return print("command agent at \(path): healthy") }
        print("command agent at \(path): NOT healthy: \(reason)")
        throw ExitCode.failure
    }
}
