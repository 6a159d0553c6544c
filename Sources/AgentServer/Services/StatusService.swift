import AgentGit
import AgentPolicy
import AgentProtocol
import AgentSystem

/// Answers `operation=status`: version, uptime, policy summary, whether a token is held and the
/// GitHub login it belongs to. Never the token.
public struct StatusService: Sendable {
    let configuration: AgentConfiguration
    let credential: GitHubCredential
    /// The session's branches, for `reach.own_branches`.
    let ledger: BranchLedger
    /// Which Anthropic credential the agent holds (the kind only), if any.
    let anthropic: AnthropicCredential.Kind?
    let github: GitHubClient
    let startedAt: ContinuousClock.Instant

    init(
        configuration: AgentConfiguration, credential: GitHubCredential, ledger: BranchLedger, anthropic: AnthropicCredential.Kind?,
        github: GitHubClient, startedAt: ContinuousClock.Instant
    ) {
        self.configuration = configuration
        self.credential = credential
        self.ledger = ledger
        self.anthropic = anthropic
        self.github = github
        self.startedAt = startedAt
    }

    func reply(peer: PeerCredentials) async -> Frame {
        let policy = configuration.policy
        var frame = Frame()
        frame.append(Wire.Key.status, Wire.Status.ok)
        frame.append("version", AgentVersion.current)
        frame.append("libgit2", LibGit2.version)
        frame.append("uptime_seconds", String((ContinuousClock.now - startedAt).components.seconds))
        frame.append("token", credential.unavailableReason == nil ? "held" : "missing")
        frame.append("token_locked", credential.isLocked ? "true" : "false")
        if !appendApp(&frame) {
            switch await github.currentLogin() {
            case .login(let login): frame.append("login", login)
            case .failed(let reason): frame.append("login_error", reason)
            }
        }
        frame.append("anthropic_credential", anthropic?.rawValue ?? "none")
        if anthropic != nil { frame.append("anthropic_api_url", configuration.anthropicAPIURL.description) }
        frame.append("github_url", configuration.githubURL.description)
        frame.append("github_api_url", configuration.githubAPIURL.description)
        frame.append("workspace", configuration.workspace)
        frame.append("peer_uid", String(peer.uid))
        frame.append("policy.blocked_branches", policy.blockedBranches.map(\.source))
        frame.append("policy.allowed_branch_patterns", policy.allowedBranchPatterns.map(\.source))
        frame.append("policy.allow_force_push", policy.allowForcePush.rawValue)
        frame.append("policy.allow_branch_delete", policy.allowBranchDelete.rawValue)
        frame.append("policy.allow_tag_updates", String(policy.allowTagUpdates))
        frame.append("policy.allow_pr_merge", String(configuration.api.allowPullRequestMerge))
        frame.append("policy.allowed_api_writes", configuration.api.extraWrites.map(\.description))
        // Content rules (issue 14).
        frame.append("policy.protected_paths", configuration.content.protectedPaths.map(\.source))
        frame.append("policy.secret_scan", configuration.content.secretScan.rawValue)
        frame.append("policy.secret_scan_allow", configuration.content.secretScanAllow.map(\.source))
        appendReach(&frame)
        return frame
    }
}
