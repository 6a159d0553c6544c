import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import Logging

/// Start-up of the token's reach (issue 15): a GitHub App instead of a PAT, the default
/// `ALLOWED_REPOS`, the state directory with the session's branches.
enum ReachStartup {
    static let appVariable = "GITHUB_APP_ID"

    /// The PAT, unless a GitHub App is configured (then `nil`; both at once are refused).
    static func loadToken(tokenFile: String?) throws(TokenError) -> LockedSecret? {
        guard TokenLoader.isSet(named: appVariable) else { return try TokenLoader.load(tokenFile: tokenFile) }
        if TokenLoader.isSet(.githubToken) || tokenFile != nil {
            TokenLoader.scrubEnvironment(SecretSource.githubToken.variable)
            throw .conflicting(keys: ["GITHUB_TOKEN", appVariable])
        }
        return nil
    }

    /// The App's private key, when one is configured.
    static func loadPrivateKey(_ configuration: AgentConfiguration) throws(AgentRuntime.StartupError) -> LockedSecret? {
        guard let app = configuration.reach.app else { return nil }
        do {
            return try PrivateKeyLoader.load(fromFile: app.privateKeyFile, key: "GITHUB_APP_PRIVATE_KEY_FILE")
        } catch {
            throw .init(description: error.description)
        }
    }

    /// Without `ALLOWED_REPOS`, the list stored at the first start (`StoredRepositoryList`), or
    /// at the first start the workspace's GitHub remotes, then stored; an explicit
    /// `ALLOWED_REPOS` replaces the stored list. Says which in the log and the audit log (and,
    /// when the list is empty, that every write is refused until it is set).
    static func settleRepositories(_ configuration: inout AgentConfiguration, audit: AuditLog, logger: Logger) throws(AgentRuntime.StartupError) {
        var reach = configuration.reach
        let stored: StoredRepositoryList
        do {
            stored = StoredRepositoryList(directory: try BranchStateFile.open(reach.stateDirectory, workspace: configuration.workspace))
        } catch {
            throw .init(description: error.description)
        }
        if let explicit = reach.allowedRepositories {
            // Failing to store it leaves the earlier list for a start without ALLOWED_REPOS: not wider than what the person chose.
            do { try stored.write(explicit) } catch { logger.warning("ALLOWED_REPOS: \(error.description)") }
        } else {
            do {
                if let first = try stored.read() {
                    reach.allowedRepositories = first
                    reach.allowedRepositoriesSource = "the GitHub remotes of the workspace's repositories at the first start, kept in AGENT_STATE_DIR"
                } else {
                    let found = RepositoryAllowlist(
                        WorkspaceRemotes.repositories(in: configuration.workspace).compactMap { try? RepositoryPattern($0.description) })
                    // Stored before it is used: a start that forgot it would take the remotes the session added since.
                    try stored.write(found)
                    reach.allowedRepositories = found
                    reach.allowedRepositoriesSource = "the GitHub remotes of the workspace's repositories at start"
                }
            } catch {
                throw .init(description: "\(error.description); set ALLOWED_REPOS or fix AGENT_STATE_DIR")
            }
        }
        configuration.reach = reach
        let list = reach.allowedRepositories ?? RepositoryAllowlist([])
        if list.isEmpty {
            logger.warning("ALLOWED_REPOS: no GitHub remote in the workspace, so every write is refused until ALLOWED_REPOS is set")
        } else {
            logger.info("allowed repositories (\(reach.allowedRepositoriesSource)): \(list)")
        }
        audit.record(
            AuditEntry(
                peer: nil, socket: "agent", operation: "start", decision: "allow",
                reason: "ALLOWED_REPOS (\(reach.allowedRepositoriesSource)): \(list)", started: .now))
    }

    /// The session's branches, from the state directory.
    static func ledger(_ configuration: AgentConfiguration) throws(AgentRuntime.StartupError) -> BranchLedger {
        do {
            let file = try BranchStateFile.open(configuration.reach.stateDirectory, workspace: configuration.workspace)
            return try BranchLedger.load(settings: configuration.policy, file: file)
        } catch {
            throw .init(description: error.description)
        }
    }

    /// The credential: the PAT, or a GitHub App's installation tokens.
    static func credential(token: LockedSecret?, configuration: AgentConfiguration, rotating: RotatingSecrets) throws(AgentRuntime.StartupError)
        -> GitHubCredential
    {
        if let app = configuration.reach.app {
            return GitHubCredential(.app(InstallationTokens(appID: app.appID, installationID: app.installationID, rotating: rotating)))
        }
        guard let token else { throw .init(description: "GITHUB_TOKEN: no token and no GitHub App (GITHUB_APP_ID)") }
        return GitHubCredential(.personalToken(token))
    }

    /// For a GitHub App, the service that keeps its token current; its first token is minted
    /// now, so that the first request finds one (a failure is reported and retried, the agent
    /// still starts and says why in `agent-status`).
    static func appService(
        credential: GitHubCredential, privateKey: LockedSecret?, configuration: AgentConfiguration, github: GitHubClient, audit: AuditLog, logger: Logger
    ) async -> AppTokenService? {
        guard case .app(let tokens) = credential.source, let app = configuration.reach.app, let privateKey else { return nil }
        let minter = AppTokenMinter(
            http: github.http, apiURL: configuration.githubAPIURL, app: app, privateKey: privateKey,
            allowlist: configuration.reach.allowedRepositories ?? RepositoryAllowlist([]))
        let service = AppTokenService(minter: minter, tokens: tokens, audit: audit, logger: logger)
        await service.prime()
        return service
    }
}
