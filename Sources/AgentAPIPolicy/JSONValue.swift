/// A JSON value, for request bodies and GraphQL variables: just enough to read fields from.
public enum JSONValue: Hashable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a request body strictly (RFC 8259); `nil` when it is not JSON, and also when an
    /// object repeats a key: parsers disagree on which copy wins (GitHub's keeps the last, many
    /// keep the first), so a body with two `"query"` or two `"ref"` keys is refused rather than
    /// decided on a copy the server may not use.
    public static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        var parser = JSONParser(Array(bytes))
        return try? parser.document()
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectKeys: Set<String> {
        if case .object(let object) = self { return Set(object.keys) }
        return []
    }

    /// An integer (pull request numbers come as numbers or strings).
    public var integer: Int? {
        switch self {
        case .number(let value) where value == value.rounded(): Int(exactly: value)
        case .string(let value): Int(value)
        default: nil
        }
    }
}

/// A strict JSON reader (RFC 8259) over UTF-8 bytes, with bounded nesting.
struct JSONParser {
    struct Invalid: Error {}

    /// Arrays and objects nest at most this deep (a hostile body cannot exhaust the stack).
    static let maximumDepth = 128

    /// Values one body may hold. A value takes tens of bytes in memory where the body spends
    /// two (`0,`), so this bounds the parsed tree rather than the bytes: a 30 MB array of zeros
    /// must not become 500 MB of agent memory.
    static let maximumValues = 200_000

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    private var values = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func document() throws(Invalid) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw Invalid() }
        return value
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value() throws(Invalid) -> JSONValue {
        values += 1
        guard values <= Self.maximumValues else { throw Invalid() }
        skipWhitespace()
        guard position < bytes.count else { throw Invalid() }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws(Invalid) {
        let length = word.utf8CodeUnitCount
        guard position + length <= bytes.count else { throw Invalid() }
        let matches = word.withUTF8Buffer { expected in bytes[position..<position + length].elementsEqual(expected) }
        guard matches else { throw Invalid() }
        position += length
    }

    private mutating func nested<T>(_ body: (inout JSONParser) throws(Invalid) -> T) throws(Invalid) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw Invalid() }
        return try body(&self)
    }

    private mutating func object() throws(Invalid) -> JSONValue {
        position += 1
        return try nested { parser throws(Invalid) in
            var members: [String: JSONValue] = [:]
            parser.skipWhitespace()
            if parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "}") {
                parser.position += 1
                return .object(members)
            }
            while true {
                parser.skipWhitespace()
                guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else { throw Invalid() }
                let key = try parser.string()
                parser.skipWhitespace()
                guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: ":") else { throw Invalid() }
                parser.position += 1
                guard members.updateValue(try parser.value(), forKey: key) == nil else { throw Invalid() }
                parser.skipWhitespace()
                guard parser.position < parser.bytes.count else { throw Invalid() }
                let separator = parser.bytes[parser.position]
                parser.position += 1
                if separator == UInt8(ascii: "}") { return .object(members) }
                guard separator == UInt8(ascii: ",") else { throw Invalid() }
            }
        }
    }

    private mutating func array() throws(Invalid) -> JSONValue {
        position += 1
        return try nested { parser throws(Invalid) in
            var elements: [JSONValue] = []
            parser.skipWhitespace()
            if parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "]") {
                parser.position += 1
                return .array(elements)
            }
            while true {
                elements.append(try parser.value())
                parser.skipWhitespace()
                guard parser.position < parser.bytes.count else { throw Invalid() }
                let separator = parser.bytes[parser.position]
                parser.position += 1
                if separator == UInt8(ascii: "]") { return .array(elements) }
                guard separator == UInt8(ascii: ",") else { throw Invalid() }
            }
        }
    }

    /// A string starting at the opening quote; escapes decoded, UTF-8 validated. Runs of plain
    /// bytes are taken whole; a string without escapes is validated straight from the input.
    private mutating func string() throws(Invalid) -> String {
        position += 1
        let start = position
        var value: [UInt8] = []
        var hasEscapes = false
        while true {
            var runEnd = position
            while runEnd < bytes.count, bytes[runEnd] >= 0x20, bytes[runEnd] != UInt8(ascii: "\""), bytes[runEnd] != UInt8(ascii: "\\") {
                runEnd += 1
            }
            if hasEscapes { value.append(contentsOf: bytes[position..<runEnd]) }
            position = runEnd
            guard position < bytes.count else { throw Invalid() }
            switch bytes[position] {
            case UInt8(ascii: "\""):
                position += 1
                let text = hasEscapes ? String(validating: value, as: UTF8.self) : String(validating: bytes[start..<position - 1], as: UTF8.self)
                guard let text else { throw Invalid() }
                return text
            case UInt8(ascii: "\\"):
                if !hasEscapes {
                    value = Array(bytes[start..<position])
                    hasEscapes = true
                }
                do {
                    position = try StringEscape.decode(bytes, at: position, into: &value)
                } catch {
                    throw Invalid()
                }
            default:
                throw Invalid()  // a control character
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(Invalid) -> Double {
        let start = position
        func digits(_ parser: inout JSONParser) -> Int {
            let first = parser.position
            while parser.position < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.position]) {
                parser.position += 1
            }
            return parser.position - first
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw Invalid() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits(&self) > 0 else { throw Invalid() }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw Invalid() }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw Invalid() }
        }
        guard let number = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else { throw Invalid() }
        return number
    }
}
