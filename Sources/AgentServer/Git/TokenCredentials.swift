import AgentGit
import AgentSystem

/// The locked token, offered to libgit2 for `GITHUB_URL`'s host only.
struct TokenCredentials: GitCredentialSource {
    let host: String
    let secret: LockedSecret

    func withToken<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result {
        secret.withCString(body)
    }
}
