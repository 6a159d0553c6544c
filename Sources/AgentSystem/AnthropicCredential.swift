/// The credential for Claude's own API traffic, held by the agent like the GitHub token: an API
/// key (`ANTHROPIC_API_KEY` / `_FILE`) or a Claude Code OAuth token (`CLAUDE_CODE_OAUTH_TOKEN` /
/// `_FILE`, from `claude setup-token`). At most one may be set.
public struct AnthropicCredential: Sendable {
    public enum Kind: String, Sendable {
        case apiKey = "api-key"
        case oauthToken = "oauth-token"

        var source: SecretSource {
            switch self {
            case .apiKey: .anthropicAPIKey
            case .oauthToken: .claudeOAuthToken
            }
        }
    }

    public let kind: Kind
    public let secret: LockedSecret

    /// Loads the credential that is set, or `nil` when none is; every variable that held one is
    /// scrubbed from the environment whatever the outcome.
    /// - Throws: `TokenError.conflicting` naming the keys when more than one is set.
    public static func load() throws(TokenError) -> AnthropicCredential? {
        let kinds: [Kind] = [.apiKey, .oauthToken]
        let names = kinds.flatMap { [$0.source.variable, $0.source.fileVariable] }.filter { TokenLoader.isSet(named: $0) }
        let present = kinds.filter { TokenLoader.isSet($0.source) }
        guard present.count <= 1 else {
            for kind in kinds { TokenLoader.scrubEnvironment(kind.source.variable) }
            throw .conflicting(keys: names)
        }
        guard let kind = present.first, let secret = try TokenLoader.load(kind.source) else { return nil }
        return AnthropicCredential(kind: kind, secret: secret)
    }
}
