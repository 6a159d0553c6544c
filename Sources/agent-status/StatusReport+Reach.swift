/// The token's reach in `agent-status` (issue 15).
extension StatusReport {
    /// Keys that are lists in `--json`.
    static let reachLists: Set<String> = ["reach_allowed_repos", "reach_pr_base_branches", "reach_own_branches"]

    /// `GitHub App 12345, installation 678 (octo), token expires …`, or the one line about why
    /// there is no token.
    func app() -> String {
        var text = "GitHub App \(reply["app_id"] ?? "?")"
        if let installation = reply["app_installation"] { text += ", installation \(installation)" }
        if let account = reply["app_account"] { text += " (\(account))" }
        if let expires = reply["app_token_expires"] { text += ", token expires \(expires)" }
        if let problem = reply["app_problem"] { text += "; PROBLEM: \(problem)" }
        return text
    }

    func reach() -> String {
        let repositories = reply.values(for: "reach.allowed_repos")
        let own = reply.values(for: "reach.own_branches")
        let count = Int(reply["reach.own_branches_count"] ?? "") ?? own.count
        let bases = reply.values(for: "reach.pr_base_branches")
        let listedOwn = own.isEmpty ? "" : " (" + own.joined(separator: ", ") + (count > own.count ? ", …" : "") + ")"
        let listed = repositories.isEmpty ? "NONE (every write is refused until ALLOWED_REPOS is set)" : repositories.joined(separator: ", ")
        let others = reply["reach.allow_other_repo_reads"] == "true" ? "read only" : "neither read nor written"
        let approving = reply["reach.allow_pr_approve"] == "true" ? "allowed" : "denied"
        return [
            "  repositories: \(listed) (\(reply["reach.allowed_repos_source"] ?? "?")); other repositories: \(others)",
            "  the agent's own branches: \(count)\(listedOwn), kept in \(reply["reach.state_dir"] ?? "?")",
            "  approving pull requests: \(approving); pull request bases: \(bases.isEmpty ? "any" : bases.joined(separator: ", "))",
        ].joined(separator: "\n")
    }
}
