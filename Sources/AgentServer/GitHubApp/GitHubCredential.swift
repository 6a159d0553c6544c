import AgentSystem

/// The credential the agent sends to GitHub: a personal access token held for the agent's life,
/// or a GitHub App's installation tokens, renewed while it runs. Read at each use, so that a
/// renewal applies to the next request and never to one already under way.
final class GitHubCredential: Sendable {
    enum Source: Sendable {
        case personalToken(LockedSecret)
        case app(InstallationTokens)
    }

    let source: Source

    init(_ source: Source) {
        self.source = source
    }

    /// Gives `body` the token to use now, or `nil` when there is none that is valid.
    func withToken<Result>(_ body: (LockedSecret?) -> Result) -> Result {
        switch source {
        case .personalToken(let secret): body(secret.count > 0 ? secret : nil)
        case .app(let tokens): tokens.withValidToken(body)
        }
    }

    /// Why no token can be sent now, or `nil`.
    var unavailableReason: String? {
        switch source {
        case .personalToken(let secret): secret.count > 0 ? nil : "the agent holds no token"
        case .app(let tokens): tokens.unavailableReason
        }
    }

    /// `token …`, built inside the caller's scope only; `nil` without a valid token.
    func authorizationValue() -> String? {
        withToken { secret in secret.map { $0.withUnsafeBytes { "token " + String(decoding: $0, as: UTF8.self) } } }
    }

    /// Whether the token (the App's current one) is locked in memory.
    var isLocked: Bool {
        withToken { $0?.isLocked ?? true }
    }
}
