import AgentPolicy
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
        line.add("time", Timestamp.iso8601(time))
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

/// UTC timestamps as `2026-11-29T06:20:12.583Z`, computed directly (Foundation's formatter
/// cost more than the rest of an audit line).
enum Timestamp {
    static func iso8601(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (days, millisecondOfDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (day, dayMillisecond) = millisecondOfDay < 0 ? (days - 1, millisecondOfDay + 86_400_000) : (days, millisecondOfDay)
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let hour = dayMillisecond / 3_600_000
        let minute = dayMillisecond / 60_000 % 60
        let second = dayMillisecond / 1000 % 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(dayMillisecond % 1000, 3))Z"
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
        // Most values need no escaping: one pass over the bytes, one concatenation.
        // 0xC2 leads the UTF-8 of U+0080…U+00BF, which holds the C1 controls (escaped below).
        // 0xD8 and 0xE2 lead the UTF-8 of U+061C and U+2000…U+2FFF (separators, bidi controls).
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) {
            return "\"" + value + "\""
        }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where ConsoleLogHandler.isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Writes audit entries as JSON lines, each passed through the redactor and `SecretMasking` first.
public final class AuditLog: Sendable {
    private let file: AppendOnlyFile
    private let redactor: Redactor
    private let writeLock = Mutex(())

    public init(file: AppendOnlyFile, redactor: Redactor) {
        self.file = file
        self.redactor = redactor
    }

    public func record(_ entry: AuditEntry) {
        // The held secrets, then well-known formats a client put in a path or ref name (issue 14).
        let line = SecretMasking.mask(redactor.redact(entry.jsonLine())) + "\n"
        writeLock.withLock { _ in
            _ = file.write(Array(line.utf8))
        }
    }
}
