/// The `manifest` beside each quarantined item: what it was, where it came from, which rule
/// took it, and how `./run.sh --restore ID` puts it back. Plain `key=value` lines that a shell
/// reads; bytes below 0x20, 0x7F and `%` are written as `%XX`, so no value can forge a line.
public struct QuarantineRecord: Hashable, Sendable {
    /// How the item is put back.
    public enum Kind: String, Hashable, Sendable {
        /// One configuration setting, kept as configuration text (`entry.gitconfig`) that is
        /// appended to `origin`.
        case configEntry = "config-entry"
        /// A file, link or directory moved aside as it was (`item`), moved back to `origin`.
        case file
    }

    /// The item file's name inside the record's directory, by kind.
    public static func itemName(_ kind: Kind) -> String { kind == .configEntry ? "entry.gitconfig" : "item" }

    public let id: String
    public let kind: Kind
    /// The git directory it belongs to, relative to the workspace.
    public let repository: String
    /// Where it was, relative to the workspace.
    public let origin: String
    /// The configuration key, for a setting.
    public let key: String?
    /// The rule that took it.
    public let rule: String
    /// When, as an ISO 8601 UTC timestamp.
    public let time: String
    /// Whether `--restore` can put it back (a key without a section cannot be appended).
    public let isRestorable: Bool

    public init(id: String, kind: Kind, repository: String, origin: String, key: String?, rule: String, time: String, isRestorable: Bool = true) {
        self.id = id
        self.kind = kind
        self.repository = repository
        self.origin = origin
        self.key = key
        self.rule = rule
        self.time = time
        self.isRestorable = isRestorable
    }

    /// The manifest's text.
    public var manifest: String {
        var fields: [(String, String)] = [("id", id), ("kind", kind.rawValue), ("repository", repository), ("origin", origin)]
        if let key { fields.append(("key", key)) }
        fields += [("rule", rule), ("time", time), ("restore", isRestorable ? (kind == .configEntry ? "append" : "move") : "by-hand")]
        return fields.map { "\($0.0)=\(Self.escaped($0.1))\n" }.joined()
    }

    /// Reads a manifest back (for tests and tools); `nil` when a required field is missing.
    public static func parse(_ text: String) -> QuarantineRecord? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = unescaped(String(line[line.index(after: equals)...]))
        }
        guard let id = fields["id"], let kind = fields["kind"].flatMap(Kind.init(rawValue:)), let repository = fields["repository"],
            let origin = fields["origin"], let rule = fields["rule"], let time = fields["time"]
        else { return nil }
        return QuarantineRecord(
            id: id, kind: kind, repository: repository, origin: origin, key: fields["key"], rule: rule, time: time,
            isRestorable: fields["restore"] != "by-hand")
    }

    static func escaped(_ value: String) -> String {
        var bytes: [UInt8] = []
        for byte in value.utf8 {
            if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "%") {
                let hex = String(byte, radix: 16, uppercase: true)
                bytes += Array(("%" + (hex.count < 2 ? "0" : "") + hex).utf8)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func unescaped(_ value: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(value.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2, let decoded = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(decoded)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Names for quarantine records: `YYYYMMDD-HHMMSS-NNNN` (UTC), unique per agent by the
/// counter, across agents and repositories by the time; a clash is retried with the next number.
public struct QuarantineIdentifier: Hashable, Sendable {
    public private(set) var counter: Int = 0

    public init() {}

    /// The next identifier for a time given as seconds since 1970.
    public mutating func next(secondsSince1970: Int64) -> String {
        counter += 1
        let (date, time) = Self.civil(secondsSince1970)
        let number = String(counter % 10000)
        return "\(date)-\(time)-" + String(repeating: "0", count: 4 - number.count) + number
    }

    /// `YYYYMMDD` and `HHMMSS` in UTC (Howard Hinnant's days-to-civil algorithm).
    static func civil(_ seconds: Int64) -> (String, String) {
        let (days, secondOfDay) = seconds >= 0 ? seconds.quotientAndRemainder(dividingBy: 86_400) : (seconds / 86_400 - 1, seconds % 86_400 + 86_400)
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return (pad(year, 4) + pad(month, 2) + pad(day, 2), pad(secondOfDay / 3600, 2) + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2))
    }
}
