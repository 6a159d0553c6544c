import AgentSystem
import Logging

/// Operational messages on standard error, one line each: `command-agent: warning: …`.
/// Every line passes the redactor.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let redactor: Redactor

    public init(label: String, redactor: Redactor) {
        self.label = label
        self.redactor = redactor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level >= .warning ? "\(event.level == .warning ? "warning" : "error"): " : ""
        var line = "\(label): \(level)\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        AppendOnlyFile.standardError.write(Array((Self.printable(redactor.redact(line)) + "\n").utf8))
    }

    /// `text` with control characters (C0, DEL, C1) shown as `\u{…}`: a value a client chose
    /// cannot start a new line or move a person's terminal cursor.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0, DEL, C1, line and paragraph separators, and bidirectional controls (which reorder
    /// what a terminal shows).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
