import AgentSystem

/// The audit line of one exchange on a forwarding socket: method, host, path, decision, status,
/// duration, and what the socket's rules add.
struct ExchangeRecord {
    let peer: PeerCredentials
    let socket: String
    let method: String
    let host: String
    let uri: String
    let started: ContinuousClock.Instant
    let audit: AuditLog
    var decision = "error"
    var status = 0
    var code: String?
    var reason: String?
    var note: String?
    var details: [(String, String)] = []
    /// Body bytes sent upstream and relayed back to the client.
    var requestBytes = 0
    var responseBytes = 0

    func write() {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var fields = [("method", method), ("host", String(host.prefix(256))), ("path", String(uri.prefix(512))), ("status", String(status))]
        fields += details
        if decision == "allow" { fields += [("request_bytes", String(requestBytes)), ("response_bytes", String(responseBytes))] }
        if let note { fields.append(("note", note)) }
        audit.record(
            AuditEntry(
                peer: peer, socket: socket, operation: "\(method) \(path)".prefix(300).description,
                decision: decision, code: code, reason: reason, details: fields, started: started
            ))
    }
}
