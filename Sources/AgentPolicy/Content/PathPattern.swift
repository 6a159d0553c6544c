/// A path glob from `PROTECTED_PATHS` or `SECRET_SCAN_ALLOW`, matched against a path in a
/// repository (`.github/workflows/ci.yml`), byte for byte and case-sensitively, as GitHub and git
/// compare paths.
///
/// The glob rules are the branch patterns' (`BranchPattern`): `*` any run of characters except
/// `/`, `**` any run including `/`, `?` one character except `/`, `[a-z]` / `[!a-z]` one character
/// from (not from) a set. So `.github/workflows/**` matches `.github/workflows/ci.yml` and
/// `.github/workflows/a/b.yml`, and `*.pem` matches `key.pem` but not `certs/key.pem` (write
/// `**.pem` or `**/*.pem` for any folder).
public struct PathPattern: Hashable, Sendable, CustomStringConvertible {
    public let source: String
    private let tokens: [GlobToken]
    /// The folders the pattern names literally before its first glob character
    /// (`.github` and `.github/workflows` for `.github/workflows/**`): a file, link or submodule
    /// put at one of them replaces what the pattern protects, so it counts as a protected path.
    public let literalFolders: [String]

    public var description: String { source }

    /// Compiles a pattern.
    /// - Throws: `PathPatternError` naming what is wrong with it.
    public init(_ text: String) throws(PathPatternError) {
        func refuse(_ problem: String) -> PathPatternError { PathPatternError(pattern: text, problem: problem) }
        if text.isEmpty { throw refuse("it is empty") }
        if text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw refuse("it contains control characters") }
        if text.hasPrefix("/") { throw refuse("paths are relative to the repository's root; leave out the leading '/'") }
        if text.hasSuffix("/") { throw refuse("write '\(text)**' for everything in a folder") }
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { throw refuse("it contains '//'") }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { throw refuse("it contains '.' or '..' segments") }
        self.source = text
        self.tokens = try Self.compile(Array(text.utf8), raw: text)
        var folders: [String] = []
        var prefix = ""
        for segment in segments.dropLast() {
            if segment.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { break }
            prefix += prefix.isEmpty ? String(segment) : "/" + segment
            folders.append(prefix)
        }
        self.literalFolders = folders
    }

    /// Whether `path` (bytes, `/`-separated, no leading `/`) matches.
    public func matches(_ path: some Collection<UInt8>) -> Bool {
        GlobMatcher(tokens: tokens).matches(Array(path))
    }

    public func matches(_ path: String) -> Bool {
        matches(path.utf8)
    }

    private static func compile(_ bytes: [UInt8], raw: String) throws(PathPatternError) -> [GlobToken] {
        var tokens: [GlobToken] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "*"):
                var run = 0
                while index < bytes.count, bytes[index] == UInt8(ascii: "*") {
                    run += 1
                    index += 1
                }
                if run > 2 { throw PathPatternError(pattern: raw, problem: "'***' has no meaning; use '*' or '**'") }
                tokens.append(run == 2 ? .anyAcrossSegments : .anyWithinSegment)
                continue
            case UInt8(ascii: "?"):
                tokens.append(.anyCharacter)
            case UInt8(ascii: "["):
                do {
                    let (set, next) = try GlobToken.compileSet(bytes, from: index, raw: raw)
                    tokens.append(set)
                    index = next
                } catch {
                    throw PathPatternError(pattern: raw, problem: error.problem)
                }
                continue
            default:
                tokens.append(.literal(bytes[index]))
            }
            index += 1
        }
        return tokens
    }
}

/// A path pattern that cannot be compiled.
public struct PathPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    public let problem: String

    public init(pattern: String, problem: String) {
        self.pattern = pattern
        self.problem = problem
    }

    public var description: String { "invalid path pattern '\(pattern)': \(problem)" }
}
