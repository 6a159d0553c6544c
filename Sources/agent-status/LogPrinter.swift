import AgentClient
import AgentSystem

/// `agent-status --format-log`: the agent's log from standard input, readable, one line at a
/// time (each written at once, so `./run.sh --logs` follows the log as it grows).
enum LogPrinter {
    static func printStandardInput() {
        while let line = readLine(strippingNewline: true) {
            _ = AppendOnlyFile.standardOutput.write(Array((AuditLogFormatter.readable(line) + "\n").utf8))
        }
    }
}

/// Where the agent's status reply names the Anthropic credential it holds.
enum AnthropicCredentialKind {
    static let statusKey = "anthropic_credential"
}
