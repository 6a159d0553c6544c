import AgentProtocol

/// What `agent-status` says about the token's reach (issue 15).
extension StatusService {
    /// At most this many of the agent's own branches are listed (their number always is).
    static let listedOwnBranches = 100

    func appendReach(_ frame: inout Frame) {
        let reach = configuration.reach
        frame.append("reach.allowed_repos", (reach.allowedRepositories?.patterns ?? []).map(\.description))
        frame.append("reach.allowed_repos_source", reach.allowedRepositoriesSource)
        frame.append("reach.allow_other_repo_reads", String(reach.allowOtherRepositoryReads))
        frame.append("reach.allow_pr_approve", String(reach.allowPullRequestApproval))
        frame.append("reach.pr_base_branches", reach.pullRequestBases.map(\.source))
        frame.append("reach.state_dir", reach.stateDirectory)
        let own = ledger.own.entries
        frame.append("reach.own_branches_count", String(own.count))
        frame.append("reach.own_branches", own.prefix(Self.listedOwnBranches).map { "\($0.repository) \($0.branch)" })
    }

    /// The GitHub App's state instead of a login; `false` when the agent holds a PAT.
    func appendApp(_ frame: inout Frame) -> Bool {
        guard case .app(let tokens) = credential.source else { return false }
        let state = tokens.snapshot
        frame.append("token_kind", "github-app")
        frame.append("app_id", tokens.appID)
        if let installation = state.installationID { frame.append("app_installation", installation) }
        if let account = state.account { frame.append("app_account", account) }
        if let current = state.current { frame.append("app_token_expires", current.expiresAt) }
        if let problem = state.problem { frame.append("app_problem", problem) }
        return true
    }
}
