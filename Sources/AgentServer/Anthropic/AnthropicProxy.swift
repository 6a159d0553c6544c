import AgentSystem
import Logging

/// `anthropic.sock`: Claude Code's API traffic, with the Anthropic credential the agent holds
/// (`AnthropicRules`), served by `ExchangeHandler` on a `Listener` like `gh.sock`: one request per
/// exchange, nothing after a request's end reaches the upstream, the same deadlines and budgets.
enum AnthropicProxy {
    static let maximumConnections = 256
    static let bodyBudget = 128 << 20

    static func make(
        configuration: AgentConfiguration,
        credential: AnthropicCredential,
        pool: UpstreamPool,
        audit: AuditLog,
        redactor: Redactor,
        logger: Logger
    ) -> Listener {
        let rules = AnthropicRules(upstream: configuration.anthropicAPIURL, credential: credential)
        // A streamed answer may pause while the model thinks; the upstream read deadline covers
        // that, and the request body is read before anything is forwarded.
        let shared = ExchangeHandler<AnthropicRules>.Shared(rules: rules, pool: pool, audit: audit, bodies: BodyBudget(total: bodyBudget))
        return Listener(
            settings: .init(
                path: configuration.anthropicSocketPath, allowedUIDs: configuration.allowedUIDs, maximumConnections: maximumConnections,
                servesOnOneLoop: true),
            serving: ForwardingServing(shared: shared), audit: audit, redactor: redactor, logger: logger)
    }
}
