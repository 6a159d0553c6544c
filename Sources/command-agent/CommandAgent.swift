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

    mutating func run() async throws {
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
}
