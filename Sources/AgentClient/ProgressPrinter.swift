import AgentProtocol

/// Shows the agent's progress frames on standard error the way git shows its own transfers:
/// `Receiving objects:  45% (450/1000), 1.20 MiB` redrawn in place, `, done.` at the end, and
/// the server's messages as `remote: …` lines.
public struct ProgressPrinter {
    private let showsTransfer: Bool
    private let write: (String) -> Void
    private var openLine: String?

    public init(showsTransfer: Bool, write: @escaping (String) -> Void = StandardError.write) {
        self.showsTransfer = showsTransfer
        self.write = write
    }

    public mutating func show(_ frame: Frame) {
        guard let kind = frame[Wire.Key.progress] else { return }
        if kind == "remote" {
            if openLine != nil, openLine != "remote" { finishOpenLine() }
            let isTransient = frame["transient"] == "true"
            write("\rremote: \(frame[Wire.Key.message] ?? "")" + (isTransient ? "" : "\n"))
            openLine = isTransient ? "remote" : nil
            return
        }
        guard showsTransfer, let title = Self.titles[kind] else { return }
        let current = Int(frame["current"] ?? "") ?? 0
        let total = Int(frame["total"] ?? "") ?? 0
        var line = "\(title): "
        if total > 0 {
            let percent = current * 100 / total
            line += "\(String(repeating: " ", count: max(0, 3 - String(percent).count)))\(percent)% (\(current)/\(total))"
        } else {
            line += "\(current)"
        }
        if let bytes = Int(frame["bytes"] ?? ""), bytes > 0 { line += ", " + Self.size(bytes) }
        if openLine != nil, openLine != title { finishOpenLine() }
        if total > 0, current >= total {
            write("\r\(line), done.\n")
            openLine = nil
        } else {
            write("\r\(line)")
            openLine = title
        }
    }

    /// Ends a progress line that was left open (the transfer ended without a final step).
    public mutating func finishOpenLine() {
        if openLine != nil { write("\n") }
        openLine = nil
    }

    static let titles = [
        "receiving": "Receiving objects", "resolving": "Resolving deltas", "counting": "Counting objects",
        "compressing": "Compressing objects", "writing": "Writing objects",
    ]

    static func size(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) \(units[unit])"
    }
}
