import AgentSystem
import FoundationEssentials
import Synchronization

/// One audit line: what was asked, by whom, what was decided and why. Never holds the token.
public struct AuditEntry: Sendable {
    public var time: Date
    public var peer: PeerCredentials?
    public var socket: String
    public var operation: String
    public var repository: String?
    public var refs: [String]
    public var decision: String
    public var code: String?
    public var reason: String?
    public var duration: Duration
    /// Further fields for one kind of request (an HTTP method, path and status, say).
    public var details: [(String, String)]

    public init(
        peer: PeerCredentials?,
        socket: String,
        operation: String,
        repository: String? = nil,
        refs: [String] = [],
        decision: String,
        code: String? = nil,
        reason: String? = nil,
        details: [(String, String)] = [],
        started: ContinuousClock.Instant
    ) {
        self.time = Date()
        self.peer = peer
        self.socket = socket
        self.operation = operation
        self.repository = repository
        self.refs = refs
        self.decision = decision
        self.code = code
        self.reason = reason
        self.details = details
        self.duration = ContinuousClock.now - started
    }

    /// The entry as one JSON object, keys in a fixed, readable order.
    public func jsonLine() -> String {
        var line = JSONLine()
        line.add("time", time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        if let peer {
            line.add("peer_uid", number: Int64(peer.uid))
            line.add("peer_pid", number: Int64(peer.pid))
        }
        line.add("socket", socket)
        line.add("operation", operation)
        if let repository { line.add("repository", repository) }
        if !refs.isEmpty { line.add("refs", list: refs) }
        for (key, value) in details { line.add(key, value) }
        line.add("decision", decision)
        if let code { line.add("code", code) }
        if let reason { line.add("reason", reason) }
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        line.add("duration_ms", raw: String(Double(microseconds) / 1000))
        return line.text + "}"
    }
}

/// A minimal JSON object writer that keeps keys in the order they are added.
struct JSONLine {
    private(set) var text = "{"
    private var isEmpty = true

    mutating func add(_ key: String, _ value: String) { add(key, raw: Self.quoted(value)) }
    mutating func add(_ key: String, number: Int64) { add(key, raw: String(number)) }
    mutating func add(_ key: String, list: [String]) { add(key, raw: "[" + list.map(Self.quoted).joined(separator: ",") + "]") }

    mutating func add(_ key: String, raw: String) {
        if !isEmpty { text += "," }
        isEmpty = false
        text += Self.quoted(key) + ":" + raw
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Writes audit entries as JSON lines, each passed through the redactor first.
public final class AuditLog: Sendable {
    private let file: AppendOnlyFile
    private let redactor: Redactor
    private let writeLock = Mutex(())

    public init(file: AppendOnlyFile, redactor: Redactor) {
        self.file = file
        self.redactor = redactor
    }

    public func record(_ entry: AuditEntry) {
        let line = redactor.redact(entry.jsonLine()) + "\n"
        writeLock.withLock { _ in
            _ = file.write(Array(line.utf8))
        }
    }
}
