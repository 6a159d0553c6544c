/// Why a GraphQL document was refused: what, and at which byte.
public struct GraphQLSyntaxError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public var description: String { "\(message) (at byte \(offset))" }
}

/// The lexical grammar of GraphQL (spec, October 2021, section 2.1) over UTF-8 bytes.
///
/// Strict where a looser reading could change what a document means: strings must close on
/// their line, only the spec's escapes are accepted (a `\u` pair must form one scalar), numbers
/// may not run into names, and no control character or non-ASCII byte stands outside strings and
/// comments.
struct GraphQLLexer {
    enum Kind: Equatable {
        case punctuator(UInt8)  // ! $ & ( ) : = @ [ ] { | }, and "." for `...`
        case name
        case int
        case float
        case string
        case end
    }

    struct Token {
        var kind: Kind
        var start: Int
        var end: Int
        /// A string's decoded value when it had escapes or was a block string; plain strings are
        /// read from the source only when asked for (`stringValue`).
        var decoded: String?
    }

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func text(_ token: Token) -> String {
        String(decoding: bytes[token.start..<token.end], as: UTF8.self)
    }

    /// The value of a string token.
    func stringValue(_ token: Token) -> String {
        token.decoded ?? String(decoding: bytes[token.start + 1..<token.end - 1], as: UTF8.self)
    }

    func matches(_ token: Token, _ word: StaticString) -> Bool {
        guard token.kind == .name, token.end - token.start == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            var index = 0
            while index < expected.count {
                if bytes[token.start + index] != expected[index] { return false }
                index += 1
            }
            return true
        }
    }

    private func byte(at index: Int) -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func fail(_ message: String, at offset: Int) -> GraphQLSyntaxError {
        GraphQLSyntaxError(message: message, offset: offset)
    }

    mutating func next() throws(GraphQLSyntaxError) -> Token {
        skipIgnored()
        let start = position
        guard let first = byte(at: position) else { return Token(kind: .end, start: start, end: start) }
        switch first {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ":"),
            UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "|"),
            UInt8(ascii: "}"):
            position += 1
            return Token(kind: .punctuator(first), start: start, end: position)
        case UInt8(ascii: "."):
            guard byte(at: position + 1) == UInt8(ascii: "."), byte(at: position + 2) == UInt8(ascii: ".") else {
                throw fail("'.' is not a token (did you mean '...'?)", at: start)
            }
            position += 3
            return Token(kind: .punctuator(first), start: start, end: position)
        case UInt8(ascii: "\""):
            if byte(at: position + 1) == UInt8(ascii: "\""), byte(at: position + 2) == UInt8(ascii: "\"") {
                return try blockString()
            }
            return try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        case _ where Self.isNameStart(first):
            position += 1
            while let next = byte(at: position), Self.isNameContinue(next) { position += 1 }
            return Token(kind: .name, start: start, end: position)
        default:
            throw fail("unexpected character 0x\(String(first, radix: 16))", at: start)
        }
    }

    /// White space, line terminators, commas, comments and the byte-order mark.
    private mutating func skipIgnored() {
        while let current = byte(at: position) {
            switch current {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "#"):
                while let next = byte(at: position), next != UInt8(ascii: "\n"), next != UInt8(ascii: "\r") { position += 1 }
            case 0xEF where byte(at: position + 1) == 0xBB && byte(at: position + 2) == 0xBF:
                position += 3
            default:
                return
            }
        }
    }

    static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    static func isNameContinue(_ byte: UInt8) -> Bool {
        isNameStart(byte) || isDigit(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func number() throws(GraphQLSyntaxError) -> Token {
        let start = position
        var isFloat = false
        if byte(at: position) == UInt8(ascii: "-") { position += 1 }
        guard let leading = byte(at: position), Self.isDigit(leading) else { throw fail("a number needs a digit", at: position) }
        position += 1
        if leading == UInt8(ascii: "0") {
            if let next = byte(at: position), Self.isDigit(next) { throw fail("a number may not start with 0", at: start) }
        } else {
            skipDigits()
        }
        if byte(at: position) == UInt8(ascii: ".") {
            isFloat = true
            position += 1
            try requireDigits()
        }
        if let marker = byte(at: position), marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            isFloat = true
            position += 1
            if let sign = byte(at: position), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            try requireDigits()
        }
        if let next = byte(at: position), next == UInt8(ascii: ".") || Self.isNameStart(next) {
            throw fail("a number may not be followed by '\(Character(Unicode.Scalar(next)))'", at: position)
        }
        return Token(kind: isFloat ? .float : .int, start: start, end: position)
    }

    private mutating func skipDigits() {
        while let next = byte(at: position), Self.isDigit(next) { position += 1 }
    }

    private mutating func requireDigits() throws(GraphQLSyntaxError) {
        guard let next = byte(at: position), Self.isDigit(next) else { throw fail("a number needs a digit", at: position) }
        skipDigits()
    }

    /// A string: runs of plain bytes are taken whole; a string without escapes is read from the
    /// source only when its value is asked for (`stringValue`).
    private mutating func string() throws(GraphQLSyntaxError) -> Token {
        let start = position
        position += 1
        var value: [UInt8] = []
        var hasEscapes = false
        while true {
            var runEnd = position
            while runEnd < bytes.count, bytes[runEnd] >= 0x20 || bytes[runEnd] == 0x09, bytes[runEnd] != UInt8(ascii: "\""),
                bytes[runEnd] != UInt8(ascii: "\\")
            {
                runEnd += 1
            }
            if hasEscapes { value.append(contentsOf: bytes[position..<runEnd]) }
            position = runEnd
            guard let current = byte(at: position) else { throw fail("the string does not end", at: start) }
            switch current {
            case UInt8(ascii: "\""):
                position += 1
                return Token(kind: .string, start: start, end: position, decoded: hasEscapes ? String(decoding: value, as: UTF8.self) : nil)
            case UInt8(ascii: "\\"):
                if !hasEscapes {
                    value = Array(bytes[start + 1..<position])
                    hasEscapes = true
                }
                do {
                    position = try StringEscape.decode(bytes, at: position, into: &value)
                } catch {
                    throw fail(Self.message(error), at: position)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw fail("the string does not end on its line", at: start)
            default:
                throw fail("a control character in a string", at: position)
            }
        }
    }

    private static func message(_ failure: StringEscape.Failure) -> String {
        switch failure {
        case .truncated: "the string does not end"
        case .unknown(let marker): "an unknown escape '\\\(Character(Unicode.Scalar(marker)))'"
        case .badHexDigits: "a \\u escape needs four hex digits"
        case .loneSurrogate: "a lone surrogate in a \\u escape"
        }
    }

    private mutating func blockString() throws(GraphQLSyntaxError) -> Token {
        let start = position
        position += 3
        var raw: [UInt8] = []
        while true {
            guard let current = byte(at: position) else { throw fail("the block string does not end", at: start) }
            if current == UInt8(ascii: "\""), byte(at: position + 1) == UInt8(ascii: "\""), byte(at: position + 2) == UInt8(ascii: "\"") {
                position += 3
                return Token(kind: .string, start: start, end: position, decoded: Self.blockStringValue(raw))
            }
            if current == UInt8(ascii: "\\"), byte(at: position + 1) == UInt8(ascii: "\""), byte(at: position + 2) == UInt8(ascii: "\""),
                byte(at: position + 3) == UInt8(ascii: "\"")
            {
                raw.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "\""), UInt8(ascii: "\"")])
                position += 4
                continue
            }
            if current < 0x20, current != UInt8(ascii: "\t"), current != UInt8(ascii: "\n"), current != UInt8(ascii: "\r") {
                throw fail("a control character in a block string", at: position)
            }
            raw.append(current)
            position += 1
        }
    }

    /// The spec's BlockStringValue: common indentation removed, blank first and last lines dropped.
    static func blockStringValue(_ raw: [UInt8]) -> String {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\n") || raw[index] == UInt8(ascii: "\r") {
                lines.append(raw[lineStart..<index])
                if raw[index] == UInt8(ascii: "\r"), index + 1 < raw.count, raw[index + 1] == UInt8(ascii: "\n") { index += 1 }
                lineStart = index + 1
            }
            index += 1
        }
        lines.append(raw[lineStart..<raw.count])

        func indentation(_ line: ArraySlice<UInt8>) -> Int {
            line.prefix { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.count
        }
        var commonIndent: Int?
        for line in lines.dropFirst() {
            let indent = indentation(line)
            if indent < line.count, indent < (commonIndent ?? Int.max) { commonIndent = indent }
        }
        if let commonIndent {
            for position in lines.indices.dropFirst() { lines[position] = lines[position].dropFirst(commonIndent) }
        }
        // Blank leading and trailing lines are dropped by index (one pass), never one
        // `removeFirst` at a time: that is quadratic in the number of blank lines.
        guard let first = lines.firstIndex(where: { indentation($0) != $0.count }),
            let last = lines.lastIndex(where: { indentation($0) != $0.count })
        else { return "" }
        var joined: [UInt8] = []
        joined.reserveCapacity(raw.count)
        for position in first...last {
            if position > first { joined.append(UInt8(ascii: "\n")) }
            joined.append(contentsOf: lines[position])
        }
        return String(decoding: joined, as: UTF8.self)
    }
}
