import AgentAPIPolicy
import AgentSystem
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// `gh.sock`: an HTTP/1.1 proxy to GitHub's API with the token, under the API policy (see
/// `GitHubProxyHandler`).
///
/// Served on one event loop with channel handlers rather than async streams: a request costs
/// about a third of the agent CPU it did through `NIOAsyncChannel` and AsyncHTTPClient
/// (Benchmarks/run.sh). Peers are
/// checked with `SO_PEERCRED` before anything is served, as on the other sockets; on graceful
/// shutdown the listener stops accepting, gives open connections `drainTimeout`, then closes
/// what is left and removes the socket file.
public struct GitHubProxy: Service {
    /// A request head must arrive this soon after connecting.
    static let headTimeout: TimeAmount = .seconds(30)
    static let drainTimeout: Duration = .seconds(5)

    let path: String
    let shared: GitHubProxyHandler.Shared
    let logger: Logger

    static func make(
        path: String,
        configuration: AgentConfiguration,
        policy: APIPolicy,
        github: GitHubClient,
        audit: AuditLog,
        logger: Logger
    ) -> GitHubProxy {
        let shared = GitHubProxyHandler.Shared(
            policy: policy, target: ProxyTarget(configuration: configuration), github: github,
            pool: UpstreamPool(makeTLS: { try github.makeTLSContext() }), audit: audit, allowedUIDs: configuration.allowedUIDs,
            registry: ConnectionRegistry(), maximumConnections: 256)
        return GitHubProxy(path: path, shared: shared, logger: logger)
    }

    public func run() async throws {
        let shared = self.shared
        let headTimeout = Self.headTimeout
        // One event loop for accepting and serving: a connection is not handed to another thread
        // (a wake-up per request), and its upstream connection lives on the same loop.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let server = try await ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 256)
            // A client may shut down its sending side after the request and still read the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                PeerCredentials.load(from: channel).flatMapThrowing { peer in
                    let sync = channel.pipeline.syncOperations
                    // One request per connection: no pipelining assistance needed.
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try sync.addHandler(HeadDeadlineHandler(timeout: headTimeout))
                    try sync.addHandler(GitHubProxyHandler(shared: shared, peer: peer))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false)
            .get()
        defer { SocketFile.remove(path) }
        try SocketFile.setMode(path, 0o666)  // who may talk is decided by SO_PEERCRED, not file mode
        logger.info("listening on \(path)")
        // Closing the listening socket ends the wait, whether on SIGTERM or when the service
        // group cancels this service (another one failed).
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await server.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            server.close(promise: nil)
        }
        await shared.registry.drain(within: Self.drainTimeout)
        shared.pool.closeIdle()
        logger.info("stopped listening on \(path)")
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
