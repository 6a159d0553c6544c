import AgentClient
import AgentProtocol
import ArgumentParser
import FoundationEssentials

/// Prints the agent's state; exit 0 when it is healthy (it answers, holds a token and GitHub
/// accepts it), 1 otherwise, with the reason.
@main
struct AgentStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent-status",
        abstract: "Shows whether the command agent is running and what it enforces.",
        discussion: """
            Finds the agent through AGENT_SOCKET_DIR (default /run/agent). Exit status: 0 healthy (the agent \
            answers, holds a token and GitHub accepts it), 1 otherwise (the reason on standard error).
            """
    )

    @Flag(help: "Print JSON for machines.")
    var json = false

    @Option(name: .customLong("socket-dir"), help: "Overrides AGENT_SOCKET_DIR.")
    var socketDirectory: String?

    @Option(help: "Seconds to wait for the agent.")
    var timeout: Int = 10

    @Option(help: "Seconds to keep trying while the agent cannot be reached yet (for a script that has just started it).")
    var wait: Int = 0

    @Flag(help: "Print only which Anthropic credential the agent holds: api-key, oauth-token or none.")
    var anthropicCredential = false

    @Flag(help: "Read the agent's log on standard input and print it for a person (./run.sh --logs).")
    var formatLog = false

    func run() async throws {
        if formatLog { return LogPrinter.printStandardInput() }
        let path = AgentEndpoint.gitSocketPath(override: socketDirectory)
        let reply: Frame
        do {
            reply = try await AgentHealth.askForStatus(at: path, timeout: .seconds(timeout), wait: .seconds(wait))
        } catch {
            StatusReport.fail(error.description, json: json)
            throw ExitCode.failure
        }
        guard reply[Wire.Key.status] == Wire.Status.ok else {
            StatusReport.fail("the command agent at \(path) refused: \(reply[Wire.Key.message] ?? "no reason given")", json: json)
            throw ExitCode.failure
        }
        if anthropicCredential { return print(reply[AnthropicCredentialKind.statusKey] ?? "none") }
        let report = StatusReport(reply: reply, socketPath: path)
        print(json ? report.json() : report.text())
        if let reason = report.health.reason {
            StandardError.write("agent-status: the command agent is not healthy: \(reason)\n")
            throw ExitCode.failure
        }
    }
}
