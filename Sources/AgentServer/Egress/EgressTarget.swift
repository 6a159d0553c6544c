/// One `EGRESS_ALLOWED_HOSTS` entry: `host` (port 443) or `host:port`; and a CONNECT target.
public struct EgressTarget: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public var description: String { "\(host):\(port)" }

    /// The hosts Claude Code needs: its API, its login pages and its feature flags.
    public static let defaults = ["api.anthropic.com", "console.anthropic.com", "statsig.anthropic.com", "claude.ai"]

    /// Parses `host[:port]` (a default port of 443); `nil` when it is not a plain host name or IPv4.
    public init?(_ text: String, defaultPort: Int? = 443) {
        let lowered = text.lowercased()
        var host = lowered
        var port = defaultPort
        if let colon = lowered.lastIndex(of: ":") {
            host = String(lowered[..<colon])
            port = Int(lowered[lowered.index(after: colon)...])
        }
        guard let port, (1...65535).contains(port), !host.isEmpty, host.utf8.count <= 253,
            host.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }),
            !host.hasPrefix("."), !host.hasPrefix("-")
        else { return nil }
        self.host = host
        self.port = port
    }

    /// Whether a TLS server name names `host` (case and a final dot ignored).
    static func sameHost(_ serverName: String, _ host: String) -> Bool {
        var name = serverName.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name == host
    }

    /// The target of `CONNECT host:port HTTP/1.1` (the port is required there).
    static func connectTarget(requestLine: String) -> EgressTarget? {
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT", parts[2].hasPrefix("HTTP/1.") else { return nil }
        return EgressTarget(String(parts[1]), defaultPort: nil)
    }
}
