import AgentAPIPolicy
import AgentPolicy

/// The token's reach (issue 15) as configured: which repositories, reads of others, approvals,
/// pull request bases, where the session's branches are kept, and a GitHub App instead of a PAT.
public struct ReachConfiguration: Sendable {
    /// `ALLOWED_REPOS`, when set; `nil` means "the workspace's GitHub remotes at start"
    /// (`WorkspaceRemotes`), which the runtime fills in before serving.
    public var allowedRepositories: RepositoryAllowlist?
    /// Where the list came from, for `agent-status` and the audit log.
    public var allowedRepositoriesSource = "ALLOWED_REPOS"
    /// `ALLOW_OTHER_REPO_READS` (default true).
    public var allowOtherRepositoryReads = true
    /// `ALLOW_PR_APPROVE` (default false).
    public var allowPullRequestApproval = false
    /// `PR_BASE_BRANCHES` (default: any base).
    public var pullRequestBases: [BranchPattern] = []
    /// `AGENT_STATE_DIR`: the session's branches across restarts (default `/var/lib/command-agent`).
    public var stateDirectory = "/var/lib/command-agent"
    /// `GITHUB_APP_ID` and friends: mint installation tokens instead of holding a PAT.
    public var app: GitHubAppConfiguration?

    public init() {}

    /// The API policy's view (the list must have been settled by then).
    public var settings: ReachSettings {
        ReachSettings(
            allowedRepositories: allowedRepositories ?? RepositoryAllowlist([]), allowOtherRepositoryReads: allowOtherRepositoryReads,
            allowPullRequestApproval: allowPullRequestApproval, pullRequestBases: pullRequestBases)
    }
}

/// `GITHUB_APP_ID`, `GITHUB_APP_PRIVATE_KEY_FILE`, `GITHUB_APP_INSTALLATION_ID`, `GITHUB_APP_WORKFLOWS`.
public struct GitHubAppConfiguration: Sendable, Hashable {
    public var appID: String
    public var privateKeyFile: String
    /// `nil`: found from the first allowed repository (`GET /repos/O/R/installation`).
    public var installationID: String?
    /// `GITHUB_APP_WORKFLOWS`: also ask for `workflows: write` (default false).
    public var allowsWorkflows: Bool
}

extension ConfigurationParser {
    /// The keys of `ReachConfiguration`.
    func reach() throws(ConfigurationError) -> ReachConfiguration {
        var reach = ReachConfiguration()
        if let text = value("ALLOWED_REPOS") {
            var patterns: [RepositoryPattern] = []
            for entry in try ListValue.parse(text, key: "ALLOWED_REPOS") {
                do { patterns.append(try RepositoryPattern(entry)) } catch { throw ConfigurationError(key: "ALLOWED_REPOS", problem: error.description) }
            }
            reach.allowedRepositories = RepositoryAllowlist(patterns)
        }
        reach.allowOtherRepositoryReads = try flag("ALLOW_OTHER_REPO_READS", default: true)
        reach.allowPullRequestApproval = try flag("ALLOW_PR_APPROVE", default: false)
        reach.pullRequestBases = try patterns("PR_BASE_BRANCHES") ?? []
        reach.stateDirectory = try absolutePath("AGENT_STATE_DIR", nil, default: reach.stateDirectory)
        reach.app = try app()
        return reach
    }

    /// `ALLOW_FORCE_PUSH` / `ALLOW_BRANCH_DELETE`: `true`, `false` or `own` (the default).
    func rewrite(_ key: String) throws(ConfigurationError) -> BranchRewrite {
        guard let text = value(key) else { return .ownBranches }
        guard let scope = BranchRewrite(setting: text) else {
            throw ConfigurationError(key: key, problem: "expected true, false or own, not '\(text)'")
        }
        return scope
    }

    private func app() throws(ConfigurationError) -> GitHubAppConfiguration? {
        // Without an App id the other GITHUB_APP_* keys mean nothing (compose always passes the
        // key file's place in the container); run.sh reports them as a mistake on the host.
        guard let appID = value("GITHUB_APP_ID") else { return nil }
        guard Self.isNumber(appID) else { throw ConfigurationError(key: "GITHUB_APP_ID", problem: "'\(appID)' is not an App id (a number)") }
        guard let keyFile = try optionalPath("GITHUB_APP_PRIVATE_KEY_FILE", nil) else {
            throw ConfigurationError(key: "GITHUB_APP_PRIVATE_KEY_FILE", problem: "GITHUB_APP_ID needs the App's private key file (PEM)")
        }
        let installation = value("GITHUB_APP_INSTALLATION_ID")
        if let installation, !Self.isNumber(installation) {
            throw ConfigurationError(key: "GITHUB_APP_INSTALLATION_ID", problem: "'\(installation)' is not an installation id (a number)")
        }
        return GitHubAppConfiguration(
            appID: appID, privateKeyFile: keyFile, installationID: installation, allowsWorkflows: try flag("GITHUB_APP_WORKFLOWS", default: false))
    }

    static func isNumber(_ text: String) -> Bool {
        (1...20).contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
