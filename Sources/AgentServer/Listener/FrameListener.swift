import AgentProtocol
import AgentSystem
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Listens on one Unix socket (`git.sock`) and serves `key=value` frames.
///
/// Every connection is checked with `SO_PEERCRED` before any request is served: a uid that is not
/// allowed gets one error frame, an audit line, and is closed. Connections are served concurrently
/// (one child task each, in a discarding task group) up to `limits.maximumConnections`; on
/// graceful shutdown the listener stops accepting, gives in-flight requests `limits.drainTimeout`,
/// then closes what is left and removes the socket file.
public struct FrameListener: Service {
    public struct Limits: Sendable {
        public var maximumConnections = 64
        public var requestTimeout: Duration = .seconds(10)
        public var drainTimeout: Duration = .seconds(5)
        public var maximumFrameSize = FrameDecoder.defaultMaximumFrameSize

        public init() {}
    }

    let path: String
    let socketName: String
    let allowedUIDs: Set<UInt32>
    let handler: any FrameRequestHandling
    let audit: AuditLog
    let redactor: Redactor
    let limits: Limits
    let logger: Logger
    let onReady: @Sendable () -> Void

    public init(
        path: String,
        allowedUIDs: Set<UInt32>,
        handler: any FrameRequestHandling,
        audit: AuditLog,
        redactor: Redactor,
        limits: Limits = Limits(),
        logger: Logger,
        onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.path = path
        self.socketName = String(path.split(separator: "/").last ?? "")
        self.allowedUIDs = allowedUIDs
        self.handler = handler
        self.audit = audit
        self.redactor = redactor
        self.limits = limits
        self.logger = logger
        self.onReady = onReady
    }

    /// An accepted connection, not yet wrapped for async use.
    ///
    /// NIO traps when an `NIOAsyncChannel` is dropped before `executeThenClose`, which can happen
    /// to a connection accepted just as the listener shuts down. So the accept path hands over the
    /// plain channel (reading off, codec installed), and the connection's own task wraps it; one
    /// that is never taken is simply closed.
    private final class AcceptedConnection: Sendable {
        let peer: PeerCredentials
        let channel: any Channel

        init(peer: PeerCredentials, channel: any Channel) {
            self.peer = peer
            self.channel = channel
        }

        /// Wraps the channel and starts reading, in one event-loop step so that no byte is missed.
        func wrap() async throws -> NIOAsyncChannel<Frame, Frame> {
            let channel = self.channel
            return try await channel.eventLoop.submit {
                let wrapped = try NIOAsyncChannel<Frame, Frame>(
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
        let decoder = FrameDecoder(maximumFrameSize: limits.maximumFrameSize)
        let timeout = TimeAmount.nanoseconds(Int64(limits.requestTimeout.components.seconds) * 1_000_000_000)
        let redactor = self.redactor
        let audit = self.audit
        let socketName = self.socketName
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            // A client may shut down its sending side after the request (as `socat` does) and
            // still read the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false) { channel in
                PeerCredentials.load(from: channel).flatMapThrowing { peer in
                    let codec = FrameCodecHandler(decoder: decoder, requestTimeout: timeout, redactor: redactor) { code, message in
                        audit.record(
                            AuditEntry(
                                peer: peer, socket: socketName, operation: "connection", decision: "error",
                                code: code, reason: message, started: .now
                            ))
                    }
                    try channel.pipeline.syncOperations.addHandler(codec)
                    return AcceptedConnection(peer: peer, channel: channel)
                }
            }
        defer { SocketFile.remove(path) }
        try SocketFile.setMode(path, 0o666)  // who may talk is decided by SO_PEERCRED, not file mode
        logger.info("listening on \(path)")
        onReady()

        let registry = ConnectionRegistry()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection, registry: registry) }
                    }
                }
                await registry.drain(within: limits.drainTimeout)
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        logger.info("stopped listening on \(path)")
    }

    private func serve(_ connection: AcceptedConnection, registry: ConnectionRegistry) async {
        let peer = connection.peer
        let count = registry.open(connection.channel)
        defer { registry.close(connection.channel) }
        do {
            try await connection.wrap().executeThenClose { inbound, outbound in
                guard allowedUIDs.contains(peer.uid) else {
                    let message = "uid \(peer.uid) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"
                    audit.record(
                        AuditEntry(
                            peer: peer, socket: socketName, operation: "connection", decision: "deny",
                            code: "peer-refused", reason: message, started: .now
                        ))
                    try await refuse(.error(code: "peer-refused", message: message, status: Wire.Status.denied), inbound, outbound)
                    return
                }
                guard count <= limits.maximumConnections else {
                    let busy = Frame.error(code: "busy", message: "the agent is serving \(limits.maximumConnections) connections; try again")
                    try await refuse(busy, inbound, outbound)
                    return
                }
                for try await request in inbound {
                    let reply = await handler.handle(request, peer: peer) { frame in
                        try? await outbound.write(frame)
                    }
                    try await outbound.write(reply)
                }
            }
        } catch {
            logger.debug("connection from \(peer) ended: \(redactor.redact(String(describing: error)))")
        }
    }
}

extension FrameListener {
    /// Sends a refusal, then shuts our side down and discards (never reads as requests) what the
    /// client still sends until it hangs up: closing with unread input would make the kernel reset
    /// the connection, and the client would lose the refusal. The codec's deadline bounds the wait.
    private func refuse(
        _ reply: Frame,
        _ inbound: NIOAsyncChannelInboundStream<Frame>,
        _ outbound: NIOAsyncChannelOutboundWriter<Frame>
    ) async throws {
        try await outbound.write(reply)
        outbound.finish()
        for try await _ in inbound {}
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
