/// A GitHub repository named by a remote URL, after strict validation.
///
/// Only `https://github.com/OWNER/REPO` (optionally `.git`, optionally a trailing `/`) is
/// accepted: any other host, a port other than 443, user info, another scheme, `..`, `%`-escapes,
/// a query, extra path segments, or an OWNER/REPO that GitHub would not accept is refused before
/// any connection is made. Host and scheme compare case-insensitively, as URLs do.
public struct GitHubRepository: Hashable, Sendable, CustomStringConvertible {
    public let owner: String
    public let name: String

    public var description: String { "\(owner)/\(name)" }

    /// The path under a GitHub base URL: `/OWNER/REPO.git`.
    public var gitPath: String { "/\(owner)/\(name).git" }

    public init?(owner: String, name: String) {
        guard Self.isValidOwner(owner), Self.isValidName(name) else { return nil }
        self.owner = owner
        self.name = name
    }

    /// Parses a remote URL as git hands it to the helper.
    public static func parse(remoteURL url: String) -> Result<GitHubRepository, GitHubURLProblem> {
        let lowered = url.lowercased()
        guard lowered.hasBytePrefix("https://") else {
            return .failure(.init(url: url, problem: "only https://github.com/OWNER/REPO remotes go through the agent"))
        }
        let rest = String(decoding: url.utf8.dropFirst("https://".utf8.count), as: UTF8.self)
        guard let slash = rest.firstIndex(of: "/") else { return .failure(.init(url: url, problem: "there is no OWNER/REPO path")) }
        let authority = rest[..<slash].lowercased()
        if authority.contains("@") { return .failure(.init(url: url, problem: "user info in the URL is not allowed")) }
        guard authority == "github.com" || authority == "github.com:443" else {
            return .failure(.init(url: url, problem: "the host must be github.com"))
        }
        var path = String(rest[rest.index(after: slash)...])
        if path.utf8.contains(where: {
            $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "\\") || $0 < 0x21 || $0 > 0x7E
        }) {
            return .failure(.init(url: url, problem: "escapes, queries, spaces and non-ASCII characters are not allowed"))
        }
        if path.hasSuffix("/") { path.removeLast() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count == 2 else { return .failure(.init(url: url, problem: "the path must be exactly /OWNER/REPO")) }
        var name = segments[1]
        if name.hasSuffix(".git") { name.removeLast(4) }
        guard isValidOwner(segments[0]) else { return .failure(.init(url: url, problem: "'\(segments[0].quotedInRefusal)' is not a valid GitHub owner")) }
        guard isValidName(name) else { return .failure(.init(url: url, problem: "'\(name.quotedInRefusal)' is not a valid GitHub repository name")) }
        return .success(GitHubRepository(validOwner: segments[0], validName: name))
    }

    private init(validOwner: String, validName: String) {
        owner = validOwner
        name = validName
    }

    /// GitHub logins and organisations: 1 to 39 of `A-Z a-z 0-9 -`, not starting or ending with `-`.
    static func isValidOwner(_ owner: String) -> Bool {
        let bytes = Array(owner.utf8)
        guard (1...39).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// Repository names: 1 to 100 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`.
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), name != ".", name != ".." else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// Why a remote URL is refused.
public struct GitHubURLProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public let url: String
    public let problem: String
    public var description: String { "the remote URL '\(url.quotedInRefusal)' is refused: \(problem)" }
}
