/// Where a secret comes from: an environment variable holding it, or one naming a file with it.
public struct SecretSource: Hashable, Sendable {
    public let variable: String
    public let fileVariable: String

    public init(variable: String, fileVariable: String) {
        self.variable = variable
        self.fileVariable = fileVariable
    }

    /// The GitHub token (a PAT).
    public static let githubToken = SecretSource(variable: "GITHUB_TOKEN", fileVariable: "GITHUB_TOKEN_FILE")
    /// An Anthropic API key.
    public static let anthropicAPIKey = SecretSource(variable: "ANTHROPIC_API_KEY", fileVariable: "ANTHROPIC_API_KEY_FILE")
    /// A Claude Code OAuth token (`claude setup-token`).
    public static let claudeOAuthToken = SecretSource(variable: "CLAUDE_CODE_OAUTH_TOKEN", fileVariable: "CLAUDE_CODE_OAUTH_TOKEN_FILE")
}

/// Why a secret could not be loaded. Descriptions name the setting and never hold secret bytes.
public enum TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    case missing(SecretSource)
    case bothSet(SecretSource)
    /// More than one of several alternative secrets is set (the Anthropic key and OAuth token).
    case conflicting(keys: [String])
    case empty(source: String)
    case tooLong(source: String, limit: Int)
    case invalidCharacters(source: String)
    case unreadableFile(key: String, path: String, SystemCallError)
    case notARegularFile(key: String, path: String)
    case memory(source: String, SystemCallError)

    /// The configuration key the problem is about.
    public var key: String {
        switch self {
        case .missing(let source), .bothSet(let source): source.variable
        case .conflicting(let keys): keys.joined(separator: ", ")
        case .empty(let source), .tooLong(let source, _), .invalidCharacters(let source), .memory(let source, _): source
        case .unreadableFile(let key, _, _), .notARegularFile(let key, _): key
        }
    }

    /// The problem, without the key.
    public var problem: String {
        switch self {
        case .missing(let source): "no token: set \(source.variable) or \(source.fileVariable)"
        case .bothSet(let source): "both \(source.variable) and \(source.fileVariable) are set; keep one"
        case .conflicting(let keys) where keys.contains("GITHUB_APP_ID"): "a token and a GitHub App are both set; keep one"
        case .conflicting: "only one Anthropic credential may be set; keep one"
        case .empty: "the token is empty"
        case .tooLong(_, let limit): "the token is longer than \(limit) bytes"
        case .invalidCharacters: "the token contains spaces, control or non-ASCII characters"
        case .unreadableFile(_, let path, let error): "cannot read \(path): \(error.reason)"
        case .notARegularFile(_, let path): "\(path) is not a regular file"
        case .memory(_, let error): "cannot store the secret: \(error)"
        }
    }

    public var description: String { "\(key): \(problem)" }
}
