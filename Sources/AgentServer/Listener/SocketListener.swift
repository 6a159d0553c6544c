import AgentProtocol
import AgentSystem
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Listens on one Unix socket and serves each connection with a protocol of its own (`git.sock`
/// speaks frames, `gh.sock` HTTP/1.1).
///
/// Every connection is checked with `SO_PEERCRED` before anything it sends is served: a uid that
/// is not allowed gets the protocol's refusal, an audit line, and is closed. Connections are served
/// concurrently (a discarding task group) up to `limits.maximumConnections`; on graceful shutdown
/// the listener stops accepting, gives in-flight connections `limits.drainTimeout`, then closes
/// what is left and removes the socket file.
public struct SocketListener<Inbound: Sendable, Outbound: Sendable>: Service {
    public struct Limits: Sendable {
        public var maximumConnections = 64
        public var drainTimeout: Duration = .seconds(5)

        public init(maximumConnections: Int = 64, drainTimeout: Duration = .seconds(5)) {
            self.maximumConnections = maximumConnections
            self.drainTimeout = drainTimeout
        }
    }

    /// Why a connection is turned away before it is served.
    public enum Refusal: Sendable {
        case peer(uid: UInt32)
        case busy(limit: Int)

        public var code: String {
            switch self {
            case .peer: "peer-refused"
            case .busy: "busy"
            }
        }

        public var message: String {
            switch self {
            case .peer(let uid): "uid \(uid) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"
            case .busy(let limit): "the agent is serving \(limit) connections; try again"
            }
        }
    }

    public typealias Serve =
        @Sendable (
            PeerCredentials, NIOAsyncChannelInboundStream<Inbound>, NIOAsyncChannelOutboundWriter<Outbound>
        ) async throws -> Void
    public typealias Refuse =
        @Sendable (
            Refusal, NIOAsyncChannelInboundStream<Inbound>, NIOAsyncChannelOutboundWriter<Outbound>
        ) async throws -> Void

    let path: String
    let socketName: String
    let allowedUIDs: Set<UInt32>
    let audit: AuditLog
    let redactor: Redactor
    let limits: Limits
    let logger: Logger
    /// Adds the protocol's handlers to a new connection (on its event loop, before any read).
    let configure: @Sendable (any Channel, PeerCredentials) throws -> Void
    let serve: Serve
    let refuse: Refuse

    public init(
        path: String,
        allowedUIDs: Set<UInt32>,
        audit: AuditLog,
        redactor: Redactor,
        limits: Limits = Limits(),
        logger: Logger,
        configure: @escaping @Sendable (any Channel, PeerCredentials) throws -> Void,
        serve: @escaping Serve,
        refuse: @escaping Refuse
    ) {
        self.path = path
        self.socketName = String(path.split(separator: "/").last ?? "")
        self.allowedUIDs = allowedUIDs
        self.audit = audit
        self.redactor = redactor
        self.limits = limits
        self.logger = logger
        self.configure = configure
        self.serve = serve
        self.refuse = refuse
    }

    /// An accepted connection, not yet wrapped for async use.
    ///
    /// NIO traps when an `NIOAsyncChannel` is dropped before `executeThenClose`, which can happen
    /// to a connection accepted just as the listener shuts down. So the accept path hands over the
    /// plain channel (reading off, handlers installed), and the connection's own task wraps it; one
    /// that is never taken is simply closed.
    final class AcceptedConnection: Sendable {
        let peer: PeerCredentials
        let channel: any Channel

        init(peer: PeerCredentials, channel: any Channel) {
            self.peer = peer
            self.channel = channel
        }

        /// Wraps the channel and starts reading, in one event-loop step so that no byte is missed.
        func wrap() async throws -> NIOAsyncChannel<Inbound, Outbound> {
            let channel = self.channel
            return try await channel.eventLoop.submit {
                let wrapped = try NIOAsyncChannel<Inbound, Outbound>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true)
                )
                try channel.syncOptions?.setOption(.autoRead, value: true)
                return wrapped
            }.get()
        }

        deinit {
            channel.close(promise: nil)
        }
    }

    public func run() async throws {
        let configure = self.configure
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            // A client may shut down its sending side after the request (as `socat` does) and
            // still read the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false) { channel in
                PeerCredentials.load(from: channel).flatMapThrowing { peer in
                    try configure(channel, peer)
                    return AcceptedConnection(peer: peer, channel: channel)
                }
            }
        defer { SocketFile.remove(path) }
        try SocketFile.setMode(path, 0o666)  // who may talk is decided by SO_PEERCRED, not file mode
        logger.info("listening on \(path)")

        let registry = ConnectionRegistry()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.handle(connection, registry: registry) }
                    }
                }
                await registry.drain(within: limits.drainTimeout)
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        logger.info("stopped listening on \(path)")
    }

    private func handle(_ connection: AcceptedConnection, registry: ConnectionRegistry) async {
        let peer = connection.peer
        let count = registry.open(connection.channel)
        defer { registry.close(connection.channel) }
        do {
            try await connection.wrap().executeThenClose { inbound, outbound in
                if !allowedUIDs.contains(peer.uid) {
                    let refusal = Refusal.peer(uid: peer.uid)
                    audit.record(
                        AuditEntry(
                            peer: peer, socket: socketName, operation: "connection", decision: "deny",
                            code: refusal.code, reason: refusal.message, started: .now
                        ))
                    try await refuse(refusal, inbound, outbound)
                } else if count > limits.maximumConnections {
                    try await refuse(.busy(limit: limits.maximumConnections), inbound, outbound)
                } else {
                    try await serve(peer, inbound, outbound)
                }
            }
        } catch {
            logger.debug("connection from \(peer) ended: \(redactor.redact(String(describing: error)))")
        }
    }
}

/// The open connections, so that shutdown can wait for them and then close the stragglers.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Registers a channel; returns how many are open now.
    func open(_ channel: any Channel) -> Int {
        channels.withLock {
            $0[ObjectIdentifier(channel)] = channel
            return $0.count
        }
    }

    func close(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Waits until every connection has finished or `timeout` has passed, then closes the rest.
    func drain(within timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while channels.withLock({ !$0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for channel in channels.withLock({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }
}
