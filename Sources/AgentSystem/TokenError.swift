/// Why the token could not be loaded. Descriptions name the setting and never hold token bytes.
public enum TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    case missing
    case bothSet
    case empty(source: String)
    case tooLong(source: String, limit: Int)
    case invalidCharacters(source: String)
    case unreadableFile(path: String, SystemCallError)
    case notARegularFile(path: String)
    case memory(SystemCallError)

    /// The configuration key the problem is about.
    public var key: String {
        switch self {
        case .missing, .bothSet: "GITHUB_TOKEN"
        case .empty(let source), .tooLong(let source, _), .invalidCharacters(let source): source
        case .unreadableFile, .notARegularFile: "GITHUB_TOKEN_FILE"
        case .memory: "GITHUB_TOKEN"
        }
    }

    /// The problem, without the key.
    public var problem: String {
        switch self {
        case .missing: "no token: set GITHUB_TOKEN or GITHUB_TOKEN_FILE"
        case .bothSet: "both GITHUB_TOKEN and GITHUB_TOKEN_FILE are set; keep one"
        case .empty: "the token is empty"
        case .tooLong(_, let limit): "the token is longer than \(limit) bytes"
        case .invalidCharacters: "the token contains spaces, control or non-ASCII characters"
        case .unreadableFile(let path, let error): "cannot read \(path): \(error.reason)"
        case .notARegularFile(let path): "\(path) is not a regular file"
        case .memory(let error): "cannot store the token: \(error)"
        }
    }

    public var description: String { "\(key): \(problem)" }
}
