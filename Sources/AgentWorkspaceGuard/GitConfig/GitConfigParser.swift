/// Reads git's configuration format exactly as git 2.39 does (`config.c`: `git_parse_source`,
/// `get_base_var`, `get_extended_base_var`, `get_value`, `parse_value`), so that the guard
/// decides on the keys git will really see, not on what a simpler reader would guess.
///
/// What git does, and so this reader:
/// - `\r\n` reads as `\n`; a lone `\r` is an ordinary byte (whitespace outside quotes).
///   "Whitespace" is git's own: space, tab, `\n`, `\r` only (not `\v` or `\f`).
/// - A UTF-8 byte order mark is skipped at the start; a partial one is an error.
/// - `#` and `;` start a comment outside quotes, in values too.
/// - `[section]`, `[section "subsection"]` (the subsection kept exactly, `\x` read as `x`, no
///   newline), and the old `[section.subsection]` (all lowercased). A key may follow the `]` on
///   the same line. Section and key names are lowercased; keys start with a letter and hold
///   letters, digits and `-`.
/// - `key` alone is an implicit `true` (value `nil`); otherwise `key = value` where leading and
///   trailing whitespace are dropped, inner whitespace runs become that many spaces, `"…"`
///   quotes (not across lines), escapes `\\ \" \n \t \b`, and `\` at the end of a line continues
///   the value on the next one. Any other escape is an error.
///
/// One deliberate difference: a NUL byte anywhere makes the file malformed (git would silently
/// cut a value at it); the guard then treats the whole file as unreadable, which fails closed.
public enum GitConfigParser {
    /// Parses `bytes` into entries with their byte ranges, or says on which line git would stop.
    public static func parse(_ bytes: [UInt8]) -> Result<GitConfigDocument, GitConfigParseError> {
        if bytes.contains(0) {
            return .failure(GitConfigParseError(line: 1 + bytes.prefix { $0 != 0 }.count { $0 == ASCII.newline }, problem: "a NUL byte"))
        }
        var reader = ConfigByteReader(bytes)
        var entries: [GitConfigEntry] = []
        var base: [UInt8] = []
        var isInComment = false
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        var byteOrderMarkMatched = 0
        var isCheckingByteOrderMark = true
        while true {
            let start = reader.position
            let character = reader.next()
            if isCheckingByteOrderMark {
                if character == byteOrderMark[byteOrderMarkMatched] {
                    byteOrderMarkMatched += 1
                    isCheckingByteOrderMark = byteOrderMarkMatched < byteOrderMark.count
                    continue
                }
                if byteOrderMarkMatched != 0 { return .failure(reader.error("an incomplete byte order mark")) }
                isCheckingByteOrderMark = false
            }
            if character == ASCII.newline {
                if reader.isAtEnd { return .success(GitConfigDocument(bytes: bytes, entries: entries)) }
                isInComment = false
                continue
            }
            if isInComment || ASCII.isSpace(character) { continue }
            if character == ASCII.hash || character == ASCII.semicolon {
                isInComment = true
                continue
            }
            if character == ASCII.openBracket {
                base = []
                guard readSectionName(&reader, into: &base), !base.isEmpty else {
                    return .failure(reader.error("a malformed section header"))
                }
                base.append(ASCII.dot)
                continue
            }
            guard ASCII.isLetter(character) else { return .failure(reader.error("a line that is neither a section nor a key")) }
            let line = reader.line
            var name = base
            name.append(ASCII.lowercased(character))
            guard let value = readEntry(&reader, name: &name) else { return .failure(reader.error("a malformed key or value")) }
            let range = lineStart(of: start, in: bytes)..<reader.position
            entries.append(GitConfigEntry(name: name, value: value, range: range, line: line))
        }
    }

    /// Where the text that only belongs to the entry starting at `keyStart` begins: the start of
    /// its line when only spaces and tabs precede the key there, else the key itself (a section
    /// header on the same line stays).
    private static func lineStart(of keyStart: Int, in bytes: [UInt8]) -> Int {
        var index = keyStart
        while index > 0, bytes[index - 1] == ASCII.space || bytes[index - 1] == ASCII.tab { index -= 1 }
        if index == 0 || bytes[index - 1] == ASCII.newline { return index }
        return keyStart
    }

    /// `get_base_var`: the section name up to `]`, or the extended form after whitespace.
    private static func readSectionName(_ reader: inout ConfigByteReader, into name: inout [UInt8]) -> Bool {
        while true {
            let character = reader.next()
            if reader.isAtEnd { return false }
            if character == ASCII.closeBracket { return true }
            if ASCII.isSpace(character) { return readSubsection(&reader, after: character, into: &name) }
            guard ASCII.isKeyCharacter(character) || character == ASCII.dot else { return false }
            name.append(ASCII.lowercased(character))
        }
    }

    /// `get_extended_base_var`: `"subsection"]` after whitespace on the same line.
    private static func readSubsection(_ reader: inout ConfigByteReader, after first: UInt8, into name: inout [UInt8]) -> Bool {
        var character = first
        repeat {
            if character == ASCII.newline { return false }
            character = reader.next()
        } while ASCII.isSpace(character)
        guard character == ASCII.quote else { return false }
        name.append(ASCII.dot)
        while true {
            var next = reader.next()
            if next == ASCII.newline { return false }
            if next == ASCII.quote { break }
            if next == ASCII.backslash {
                next = reader.next()
                if next == ASCII.newline { return false }
            }
            name.append(next)
        }
        return reader.next() == ASCII.closeBracket
    }

    /// `get_value`: the rest of the key name, then `= value` or nothing (implicit true).
    /// Returns `.some(nil)` for an implicit true, `nil` on a syntax error.
    private static func readEntry(_ reader: inout ConfigByteReader, name: inout [UInt8]) -> [UInt8]?? {
        var character: UInt8
        while true {
            character = reader.next()
            if reader.isAtEnd || !ASCII.isKeyCharacter(character) { break }
            name.append(ASCII.lowercased(character))
        }
        while character == ASCII.space || character == ASCII.tab { character = reader.next() }
        if character == ASCII.newline { return .some(nil) }
        guard character == ASCII.equals, let value = readValue(&reader) else { return nil }
        return .some(value)
    }

    /// `parse_value`: quotes, escapes, comments, continuation lines and whitespace folding.
    private static func readValue(_ reader: inout ConfigByteReader) -> [UInt8]? {
        var value: [UInt8] = []
        var isQuoted = false
        var isInComment = false
        var pendingSpaces = 0
        while true {
            var character = reader.next()
            if character == ASCII.newline { return isQuoted ? nil : value }
            if isInComment { continue }
            if ASCII.isSpace(character) && !isQuoted {
                if !value.isEmpty { pendingSpaces += 1 }
                continue
            }
            if !isQuoted && (character == ASCII.semicolon || character == ASCII.hash) {
                isInComment = true
                continue
            }
            value.append(contentsOf: repeatElement(ASCII.space, count: pendingSpaces))
            pendingSpaces = 0
            if character == ASCII.backslash {
                character = reader.next()
                switch character {
                case ASCII.newline: continue
                case UInt8(ascii: "t"): value.append(ASCII.tab)
                case UInt8(ascii: "b"): value.append(0x08)
                case UInt8(ascii: "n"): value.append(ASCII.newline)
                case ASCII.backslash, ASCII.quote: value.append(character)
                default: return nil
                }
                continue
            }
            if character == ASCII.quote {
                isQuoted.toggle()
                continue
            }
            value.append(character)
        }
    }
}

/// Why git would refuse a configuration file ("bad config line N").
public struct GitConfigParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let problem: String
    public var description: String { "line \(line): \(problem)" }
}

/// git's `get_next_char`: `\r\n` folded to `\n`, the end read as `\n` with `isAtEnd` set.
struct ConfigByteReader {
    private let bytes: [UInt8]
    private(set) var position = 0
    private(set) var isAtEnd = false
    private(set) var line = 1

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> UInt8 {
        guard position < bytes.count else {
            isAtEnd = true
            return ASCII.newline
        }
        var character = bytes[position]
        position += 1
        if character == ASCII.carriageReturn, position < bytes.count, bytes[position] == ASCII.newline {
            character = ASCII.newline
            position += 1
        }
        if character == ASCII.newline { line += 1 }
        return character
    }

    func error(_ problem: String) -> GitConfigParseError {
        GitConfigParseError(line: line, problem: problem)
    }
}
