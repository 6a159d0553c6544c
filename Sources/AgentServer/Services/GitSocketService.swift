import AgentProtocol
import AgentSystem

/// Routes the requests on `git.sock` by their `operation`, and audits each one.
public struct GitSocketService: FrameRequestHandling {
    let status: StatusService
    let git: GitService
    let audit: AuditLog

    init(status: StatusService, git: GitService, audit: AuditLog) {
        self.status = status
        self.git = git
        self.audit = audit
    }

    static let operations = [Wire.Operation.status, Wire.Operation.list, Wire.Operation.fetch, Wire.Operation.push]

    public func handle(_ request: Frame, peer: PeerCredentials, progress: @escaping @Sendable (Frame) async -> Void) async -> Frame {
        let started = ContinuousClock.now
        guard request.kind == Wire.Key.operation, let operation = request[Wire.Key.operation] else {
            let message = "a request starts with operation=NAME (one of: \(Self.operations.joined(separator: ", ")))"
            audit.record(AuditEntry(peer: peer, socket: "git.sock", operation: "-", decision: "error", code: "bad-request", reason: message, started: started))
            return .error(code: "bad-request", message: message)
        }
        switch operation {
        case Wire.Operation.status:
            let reply = await status.reply(peer: peer)
            audit.record(AuditEntry(peer: peer, socket: "git.sock", operation: operation, decision: "allow", started: started))
            return reply
        case Wire.Operation.list, Wire.Operation.fetch, Wire.Operation.push:
            return await git.handle(operation, request, peer: peer, progress: progress)
        default:
            let shown = String(operation.prefix(64))
            let message = "unknown operation '\(shown)' (known: \(Self.operations.joined(separator: ", ")))"
            audit.record(
                AuditEntry(peer: peer, socket: "git.sock", operation: shown, decision: "error", code: "unknown-operation", reason: message, started: started))
            return .error(code: "unknown-operation", message: message)
        }
    }
}
