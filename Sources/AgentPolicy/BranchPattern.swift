/// A branch name or glob from `BLOCKED_BRANCHES` or `ALLOWED_BRANCH_PATTERNS`.
///
/// Patterns match the branch's short name (`main`, `claude/fix-1`); a leading `refs/heads/` is
/// accepted and dropped. `*` matches any run of characters except `/`, `**` any run including `/`,
/// `?` one character except `/`, `[abc]`, `[a-z]` and `[!a-z]` one character from (or not from) a
/// set. So `release/*` matches `release/1.2` but not `release/1.2/hotfix`; `claude/**` matches both
/// `claude/x` and `claude/x/y`. Everything else is literal and case-sensitive.
public struct BranchPattern: Hashable, Sendable, CustomStringConvertible {
    public let source: String
    private let tokens: [GlobToken]

    public var description: String { source }

    /// Compiles a pattern.
    /// - Throws: `BranchPatternError` naming what is wrong with it.
    public init(_ raw: String) throws(BranchPatternError) {
        let text: String
        text = raw.droppingBytePrefix(RefName.branchPrefix)
        if text.isEmpty { throw BranchPatternError(pattern: raw, problem: "it is empty") }
        if text.hasBytePrefix("refs/") {
            throw BranchPatternError(pattern: raw, problem: "only branches can be listed (refs/heads/… or a short name)")
        }
        self.source = text
        self.tokens = try GlobToken.compile(text, raw: raw)
    }

    /// Whether the branch with this short name matches.
    public func matches(branch shortName: String) -> Bool {
        GlobMatcher(tokens: tokens).matches(Array(shortName.utf8))
    }
}

/// A pattern that cannot be compiled.
public struct BranchPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    public let problem: String
    public var description: String { "invalid branch pattern '\(pattern)': \(problem)" }
}

enum GlobToken: Hashable, Sendable {
    case literal(UInt8)
    case anyCharacter
    case anyWithinSegment
    case anyAcrossSegments
    case set(ranges: [ClosedRange<UInt8>], isNegated: Bool)

    static func compile(_ text: String, raw: String) throws(BranchPatternError) -> [GlobToken] {
        // The literal parts must still make a valid ref name: check with the glob characters
        // replaced by a harmless letter.
        let bytes = Array(text.utf8)
        var tokens: [GlobToken] = []
        var literalShape: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "*"):
                var run = 0
                while index < bytes.count, bytes[index] == UInt8(ascii: "*") { run += 1; index += 1 }
                if run > 2 { throw BranchPatternError(pattern: raw, problem: "'***' has no meaning; use '*' or '**'") }
                tokens.append(run == 2 ? .anyAcrossSegments : .anyWithinSegment)
                literalShape.append(UInt8(ascii: "x"))
                continue
            case UInt8(ascii: "?"):
                tokens.append(.anyCharacter)
                literalShape.append(UInt8(ascii: "x"))
            case UInt8(ascii: "["):
                let (set, next) = try compileSet(bytes, from: index, raw: raw)
                tokens.append(set)
                literalShape.append(UInt8(ascii: "x"))
                index = next
                continue
            default:
                tokens.append(.literal(byte))
                literalShape.append(byte)
            }
            index += 1
        }
        if let rule = RefFormat.violation(in: RefName.branchPrefix + String(decoding: literalShape, as: UTF8.self)) {
            throw BranchPatternError(pattern: raw, problem: "no branch could match: \(rule)")
        }
        return tokens
    }

    static func compileSet(_ bytes: [UInt8], from start: Int, raw: String) throws(BranchPatternError) -> (GlobToken, Int) {
        var index = start + 1
        var isNegated = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "!") || bytes[index] == UInt8(ascii: "^") {
            isNegated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt8>] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "]") || ranges.isEmpty {
            let low = bytes[index]
            if low == UInt8(ascii: "/") { throw BranchPatternError(pattern: raw, problem: "'/' cannot appear inside [...]") }
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-"), bytes[index + 2] != UInt8(ascii: "]") {
                let high = bytes[index + 2]
                guard low <= high else { throw BranchPatternError(pattern: raw, problem: "the range in [...] is reversed") }
                ranges.append(low...high)
                index += 3
            } else {
                ranges.append(low...low)
                index += 1
            }
        }
        guard index < bytes.count else { throw BranchPatternError(pattern: raw, problem: "'[' is not closed") }
        return (.set(ranges: ranges, isNegated: isNegated), index + 1)
    }
}

/// Matches compiled glob tokens against a name in O(tokens × bytes), so that no pattern can make
/// a hostile name expensive.
struct GlobMatcher {
    let tokens: [GlobToken]

    func matches(_ name: [UInt8]) -> Bool {
        // reachable[j]: the tokens consumed so far can match name[0..<j].
        var reachable = [Bool](repeating: false, count: name.count + 1)
        reachable[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: name.count + 1)
            switch token {
            case .anyWithinSegment, .anyAcrossSegments:
                let crossesSlash = token == .anyAcrossSegments
                var carrying = false
                for j in 0...name.count {
                    if reachable[j] { carrying = true }
                    next[j] = carrying
                    if j < name.count, !crossesSlash, name[j] == UInt8(ascii: "/") { carrying = false }
                }
            default:
                for j in 0..<name.count where reachable[j] && Self.accepts(token, name[j]) {
                    next[j + 1] = true
                }
            }
            reachable = next
        }
        return reachable[name.count]
    }

    private static func accepts(_ token: GlobToken, _ byte: UInt8) -> Bool {
        switch token {
        case .literal(let literal): return literal == byte
        case .anyCharacter: return byte != UInt8(ascii: "/")
        case .set(let ranges, let isNegated):
            if byte == UInt8(ascii: "/") { return false }
            return ranges.contains { $0.contains(byte) } != isNegated
        case .anyWithinSegment, .anyAcrossSegments: return true
        }
    }
}
