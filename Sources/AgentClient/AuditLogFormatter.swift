import FoundationEssentials

/// The agent's log as a person reads it: each audit line (one JSON object) becomes
/// `TIME  DECISION  WHAT — WHY`; other lines (the agent's own messages) pass unchanged.
///
/// Whatever a line holds came partly from the claude container (a ref name, a path), so every
/// control character is shown escaped (`\x1b`, `\u{202e}`): nothing printed can move the
/// cursor, recolour or rewrite the person's terminal.
///
/// ```
/// 2026-11-29 03:27:49.120Z  deny   git.sock push o/app refs/heads/main — branch 'main' is protected (BLOCKED_BRANCHES)
/// ```
public enum AuditLogFormatter {
    /// The readable form of one log line (without its newline).
    public static func readable(_ line: String) -> String {
        guard line.hasPrefix("{"), let entry = try? JSONDecoder().decode([String: AuditValue].self, from: Data(line.utf8)) else {
            return escaped(line)
        }
        let time = entry["time"]?.text.map { $0.replacing("T", with: " ", maxReplacements: 1) } ?? "-"
        let decision = entry["decision"]?.text ?? "-"
        var what = [entry["socket"], entry["operation"], entry["repository"]].compactMap { $0?.text }
        if let refs = entry["refs"]?.list, !refs.isEmpty { what.append(refs.joined(separator: " ")) }
        // A path, key or item that the operation does not already name (a quarantined file, say).
        for key in ["path", "key", "item"] {
            guard let value = entry[key]?.text, !value.isEmpty else { continue }
            let withoutQuery = String(value.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if !what.contains(where: { $0.contains(withoutQuery) }) { what.append(value) }
        }
        for key in ["model", "status"] {
            if let value = entry[key]?.text, !value.isEmpty, value != "0" { what.append("\(key) \(value)") }
        }
        if let peer = entry["peer_uid"]?.text { what.append("(uid \(peer))") }
        let column = decision + String(repeating: " ", count: max(0, 6 - decision.count))
        var result = "\(time)  \(column) \(what.joined(separator: " "))"
        if let reason = entry["reason"]?.text ?? entry["code"]?.text { result += " — " + reason }
        return escaped(result)
    }

    /// `text` with every control character (C0, DEL, C1, bidirectional overrides and isolates)
    /// written as an escape.
    public static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00..<0x20, 0x7F..<0xA0:
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" : "") + hex
            case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// An audit field: the writer emits strings, numbers and lists of strings.
enum AuditValue: Decodable {
    case text(String)
    case list([String])
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Int64.self) {
            self = .text(String(number))
        } else if let number = try? container.decode(Double.self) {
            self = .text(String(number))
        } else if let list = try? container.decode([String].self) {
            self = .list(list)
        } else {
            self = .other
        }
    }

    var text: String? { if case .text(let text) = self { text } else { nil } }
    var list: [String]? { if case .list(let list) = self { list } else { nil } }
}
