import AgentProtocol

/// Whether the agent can do its job, read from its `status` reply: it holds a GitHub credential
/// and GitHub accepts it. An agent that answers but whose token GitHub rejects (or whose GitHub
/// cannot be reached) is not healthy: a session started then would fail only at its first push.
///
/// `agent-status` (its exit status) and `command-agent --check-health` (the compose healthcheck)
/// both decide with this, so that they agree on every reply.
public enum AgentHealth: Equatable, Sendable {
    case healthy
    /// Why not, in one line for a person (never a secret: the agent's reply holds none).
    case unhealthy(reason: String)

    public init(statusReply reply: Frame) {
        guard reply[Wire.Key.status] == Wire.Status.ok else {
            self = .unhealthy(reason: "the command agent refused: \(reply[Wire.Key.message] ?? "no reason given")")
            return
        }
        guard reply["token"] == "held" else {
            self = .unhealthy(reason: "the command agent holds no GitHub token")
            return
        }
        if reply["token_kind"] == "github-app" {
            if let problem = reply["app_problem"] {
                self = .unhealthy(reason: "the GitHub App gives no token: \(problem)")
                return
            }
        } else if reply["login"] == nil {
            self = .unhealthy(reason: reply["login_error"] ?? "GitHub did not say whose token the agent holds")
            return
        }
        self = .healthy
    }

    public var isHealthy: Bool { self == .healthy }

    /// The reason, for an unhealthy agent.
    public var reason: String? {
        if case .unhealthy(let reason) = self { return reason }
        return nil
    }

    /// Asks the agent at `socketPath` for its status; with `wait`, keeps trying that long while
    /// the agent cannot be reached yet (for a script that has just started it).
    /// - Throws: `AgentClientError` when no agent answered.
    public static func askForStatus(at socketPath: String, timeout: Duration, wait: Duration = .zero) async throws(AgentClientError) -> Frame {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                let connection = try AgentConnection(socketPath: socketPath, connectTimeout: timeout)
                return try connection.send(Frame(["operation": "status"]), replyTimeout: timeout)
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
