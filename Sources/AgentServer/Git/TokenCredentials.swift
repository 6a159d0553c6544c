import AgentGit
import AgentSystem

/// The locked token, offered to libgit2 for `GITHUB_URL`'s host only; read at each use, so that
/// a GitHub App's renewed token serves the next connection.
struct TokenCredentials: GitCredentialSource {
    let host: String
    let credential: GitHubCredential

    func withToken<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result {
        credential.withToken { secret in
            guard let secret else { return body("") }
            return secret.withCString(body)
        }
    }

    var unavailableReason: String? { credential.unavailableReason }
}
