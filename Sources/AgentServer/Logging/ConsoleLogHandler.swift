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
        AppendOnlyFile.standardError.write(Array((redactor.redact(line) + "\n").utf8))
    }
}
