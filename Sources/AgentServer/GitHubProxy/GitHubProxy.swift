import AgentAPIPolicy
import AgentSystem
import Logging
import NIOCore
import NIOHTTP1

/// `gh.sock`: a `SocketListener` that speaks HTTP/1.1 and forwards to GitHub's API with the token,
/// under the API policy (see `ProxyExchange`).
public enum GitHubProxy {
    /// A request head must arrive this soon after connecting.
    static let headTimeout: TimeAmount = .seconds(30)

    static func make(
        path: String,
        configuration: AgentConfiguration,
        policy: APIPolicy,
        github: GitHubClient,
        audit: AuditLog,
        redactor: Redactor,
        logger: Logger
    ) -> SocketListener<HTTPServerRequestPart, HTTPServerResponsePart> {
        let exchange = ProxyExchange(policy: policy, target: ProxyTarget(configuration: configuration), github: github, audit: audit)
        return SocketListener(
            path: path, allowedUIDs: configuration.allowedUIDs, audit: audit, redactor: redactor,
            limits: .init(maximumConnections: 256), logger: logger,
            configure: { channel, _ in
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(HeadDeadlineHandler(timeout: headTimeout))
            },
            serve: { peer, inbound, outbound in
                try await exchange.serve(peer: peer, inbound: inbound, outbound: outbound)
            },
            refuse: { refusal, inbound, outbound in
                let reply = ProxyReply(status: refusal.code == "busy" ? .serviceUnavailable : .forbidden, message: refusal.message)
                try await outbound.write(.head(reply.head(version: .http1_1)))
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.body))))
                try await outbound.write(.end(nil))
                outbound.finish()
                for try await _ in inbound {}
            }
        )
    }
}

/// Closes a connection whose request head has not arrived within `timeout`; once it has, the
/// transfer may take as long as it takes.
final class HeadDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var hasHead = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            if !self.hasHead { context.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !hasHead, case .head = unwrapInboundIn(data) {
            hasHead = true
            deadline?.cancel()
        }
        context.fireChannelRead(data)
    }
}
