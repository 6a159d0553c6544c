import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Kept-alive HTTP/1.1 connections to GitHub's hosts for the proxy's forwarding path.
///
/// A connection is made on the event loop of the client connection it serves, so a whole
/// exchange (client, policy, upstream) runs on one thread without hops. After a complete
/// exchange the connection goes back to the pool; one that is closing, failed, or was told
/// `Connection: close` is closed instead. Idle connections close after `idleTimeout`.
final class UpstreamPool: Sendable {
    struct Key: Hashable, Sendable {
        let eventLoop: ObjectIdentifier
        let scheme: String
        let host: String
        let port: Int
    }

    private let makeTLS: @Sendable () throws -> NIOSSLContext
    /// Made on the first https connection: loading the trust roots costs memory an agent that
    /// never talks to GitHub over TLS (tests, idle) should not pay.
    private let tls = Mutex<NIOSSLContext?>(nil)
    private let idle = Mutex<[Key: [UpstreamConnection]]>([:])
    static let connectTimeout: TimeAmount = .seconds(10)
    static let readTimeout: TimeAmount = .seconds(60)
    static let idleTimeout: TimeAmount = .seconds(50)
    static let maximumIdlePerKey = 64

    /// - Parameter makeTLS: makes the client TLS context for https upstreams (verification on).
    init(makeTLS: @escaping @Sendable () throws -> NIOSSLContext) {
        self.makeTLS = makeTLS
    }

    private func tlsContext() throws -> NIOSSLContext {
        try tls.withLock { cached in
            if let cached { return cached }
            let made = try makeTLS()
            cached = made
            return made
        }
    }

    /// An idle connection to `target` on `eventLoop`, or a new one.
    func connection(to target: UpstreamURL, on eventLoop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        let key = Key(
            eventLoop: ObjectIdentifier(eventLoop), scheme: target.scheme, host: target.host, port: target.port ?? (target.isSecure ? 443 : 80))
        while let pooled = idle.withLock({ $0[key]?.popLast() }) {
            if pooled.channel.isActive {
                pooled.leaveIdle()
                return eventLoop.makeSucceededFuture(pooled)
            }
        }
        return connect(key, eventLoop: eventLoop)
    }

    private func connect(_ key: Key, eventLoop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        let tls: NIOSSLContext?
        do {
            tls = key.scheme == "https" ? try tlsContext() : nil
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)  // IPPROTO_TCP; .socketOption would be SOL_SOCKET (SO_DEBUG)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: key.host.isIPAddress ? nil : key.host))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(IdleStateHandler(readTimeout: Self.readTimeout))
                    try sync.addHandler(UpstreamResponseHandler())
                }
            }
            .connect(host: key.host, port: key.port)
            .flatMapThrowing { [self] channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamResponseHandler.self)
                let connection = UpstreamConnection(channel: channel, key: key, handler: handler)
                channel.closeFuture.whenComplete { [self] _ in forget(connection) }
                return connection
            }
    }

    /// Returns a connection after a complete exchange; anything else closes it.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        guard reusable, connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        let kept = idle.withLock { idle -> Bool in
            guard idle[connection.key, default: []].count < Self.maximumIdlePerKey else { return false }
            idle[connection.key, default: []].append(connection)
            return true
        }
        guard kept else {
            connection.channel.close(promise: nil)
            return
        }
        connection.enterIdle(timeout: Self.idleTimeout)
    }

    private func forget(_ connection: UpstreamConnection) {
        idle.withLock { idle in idle[connection.key]?.removeAll { $0 === connection } }
    }

    /// Closes every idle connection (at shutdown).
    func closeIdle() {
        let all = idle.withLock { idle -> [UpstreamConnection] in
            defer { idle.removeAll() }
            return idle.values.flatMap { $0 }
        }
        for connection in all { connection.channel.close(promise: nil) }
    }
}

enum UpstreamError: Error, CustomStringConvertible {
    case closedEarly
    case readTimeout

    var description: String {
        switch self {
        case .closedEarly: "GitHub closed the connection before the response ended"
        case .readTimeout: "GitHub did not answer in time"
        }
    }
}

/// One kept-alive connection. Used on its channel's event loop only.
final class UpstreamConnection: @unchecked Sendable {
    let channel: any Channel
    let key: UpstreamPool.Key
    let handler: UpstreamResponseHandler
    private var idleTimer: Scheduled<Void>?

    init(channel: any Channel, key: UpstreamPool.Key, handler: UpstreamResponseHandler) {
        self.channel = channel
        self.key = key
        self.handler = handler
    }

    func enterIdle(timeout: TimeAmount) {
        channel.eventLoop.assertInEventLoop()
        handler.delegate = nil
        idleTimer = channel.eventLoop.scheduleTask(in: timeout) { [channel] in channel.close(promise: nil) }
    }

    func leaveIdle() {
        idleTimer?.cancel()
        idleTimer = nil
    }
}

/// What an exchange hears from its upstream connection.
protocol UpstreamDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamFailed(_ error: any Error)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
}

/// Hands response parts to the exchange that owns the connection now.
final class UpstreamResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var delegate: (any UpstreamDelegate)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let delegate else {
            // Bytes on a connection no exchange owns (idle in the pool, or after its response
            // ended): it is out of step with the agent, so it is never used again.
            context.close(promise: nil)
            return
        }
        delegate.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        delegate?.upstreamFailed(UpstreamError.closedEarly)
        delegate = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        delegate?.upstreamFailed(error)
        delegate = nil
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if let delegate {
                delegate.upstreamFailed(UpstreamError.readTimeout)
                self.delegate = nil
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }
}

extension String {
    /// An IPv4 or IPv6 literal (no SNI is sent for those).
    var isIPAddress: Bool {
        contains(":") || (split(separator: ".").count == 4 && allSatisfy { $0.isNumber || $0 == "." })
    }
}
