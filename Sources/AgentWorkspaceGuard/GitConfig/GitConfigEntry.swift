/// One `key = value` of a configuration file, named as git names it: `section.key` or
/// `section.subsection.key`, section and key lowercased, the subsection exactly as written.
public struct GitConfigEntry: Hashable, Sendable {
    /// The canonical name (bytes: a subsection may hold anything but NUL and newline).
    public let name: [UInt8]
    /// The value after git's unquoting; `nil` for a bare `key` (an implicit `true`).
    public let value: [UInt8]?
    /// The bytes of the file that belong to this entry alone (its line, or the part after a
    /// section header on the same line), continuation lines included.
    public let range: Range<Int>
    /// The line the key starts on (1-based).
    public let line: Int

    public init(name: [UInt8], value: [UInt8]?, range: Range<Int>, line: Int) {
        self.name = name
        self.value = value
        self.range = range
        self.line = line
    }

    /// What the entry means, whatever its spelling or place in the file.
    public var setting: GitConfigSetting { GitConfigSetting(name: name, value: value) }
}

/// A name and a value: what two entries must share to mean the same to git.
public struct GitConfigSetting: Hashable, Sendable {
    public let name: [UInt8]
    public let value: [UInt8]?

    public init(name: [UInt8], value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String?) {
        self.init(name: Array(name.utf8), value: value.map { Array($0.utf8) })
    }

    /// The section: up to the first dot.
    public var section: [UInt8] { Array(name.prefix { $0 != ASCII.dot }) }

    /// The key: after the last dot.
    public var key: [UInt8] {
        guard let dot = name.lastIndex(of: ASCII.dot) else { return name }
        return Array(name[(dot + 1)...])
    }

    /// The subsection: between the first and the last dot, `nil` when there is none.
    public var subsection: [UInt8]? {
        guard let first = name.firstIndex(of: ASCII.dot), let last = name.lastIndex(of: ASCII.dot), first < last else { return nil }
        return Array(name[(first + 1)..<last])
    }

    /// Whether the name has a section at all (keys before the first header have none).
    public var hasSection: Bool { name.contains(ASCII.dot) }

    /// The name for people and logs (control bytes escaped); never the value.
    public var displayName: String { ASCII.printable(name) }

    /// The value as text, when it is valid UTF-8.
    public var text: String? { value.flatMap { String(validating: $0, as: UTF8.self) } }
}
