import AgentAPIPolicy
import AgentSystem
import Logging

/// `gh.sock`: an HTTP/1.1 proxy to GitHub's API with the token, under the API policy
/// (`GitHubRules`), served by `ExchangeHandler` on a `Listener`.
///
/// Served on one event loop with channel handlers rather than async streams: a request costs
/// about a third of the agent CPU it did through `NIOAsyncChannel` and AsyncHTTPClient
/// (Benchmarks/run.sh), and its upstream connection lives on the same loop.
enum GitHubProxy {
    static let maximumConnections = 256
    /// Request bodies the policy reads, held by all connections together.
    static let bodyBudget = 64 << 20

    static func make(
        path: String,
        configuration: AgentConfiguration,
        policy: APIPolicy,
        github: GitHubClient,
        ledger: BranchLedger? = nil,
        pool: UpstreamPool,
        audit: AuditLog,
        redactor: Redactor,
        logger: Logger
    ) -> Listener {
        let rules = GitHubRules(policy: policy, target: ProxyTarget(configuration: configuration), github: github, ledger: ledger)
        let shared = ExchangeHandler<GitHubRules>.Shared(rules: rules, pool: pool, audit: audit, bodies: BodyBudget(total: bodyBudget))
        return Listener(
            settings: .init(path: path, allowedUIDs: configuration.allowedUIDs, maximumConnections: maximumConnections, servesOnOneLoop: true),
            serving: ForwardingServing(shared: shared), audit: audit, redactor: redactor, logger: logger)
    }
}
