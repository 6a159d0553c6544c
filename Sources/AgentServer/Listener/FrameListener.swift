import AgentProtocol
import AgentSystem
import Logging
import NIOCore

/// `git.sock`: a `SocketListener` that speaks `key=value` frames (see `FrameCodecHandler`).
public enum FrameListener {
    public struct Limits: Sendable {
        public var maximumConnections = 64
        public var requestTimeout: Duration = .seconds(10)
        /// Time one connection may spend waiting for requests, in all.
        public var idleBudget: Duration = .seconds(30)
        /// Requests one connection may carry (git-remote-agent sends one per connection).
        public var maximumRequests = 100
        public var maximumFrameSize = FrameDecoder.defaultMaximumFrameSize

        public init() {}
    }

    public static func make(
        path: String,
        allowedUIDs: Set<UInt32>,
        handler: any FrameRequestHandling,
        audit: AuditLog,
        redactor: Redactor,
        limits: Limits = Limits(),
        logger: Logger
    ) -> SocketListener<Frame, Frame> {
        let decoder = FrameDecoder(maximumFrameSize: limits.maximumFrameSize)
        let codecLimits = FrameCodecHandler.Limits(
            requestTimeout: .nanoseconds(Int64(limits.requestTimeout.components.seconds) * 1_000_000_000),
            idleBudget: .nanoseconds(Int64(limits.idleBudget.components.seconds) * 1_000_000_000),
            maximumRequests: limits.maximumRequests)
        let socketName = String(path.split(separator: "/").last ?? "")
        return SocketListener(
            path: path, allowedUIDs: allowedUIDs, audit: audit, redactor: redactor,
            limits: .init(maximumConnections: limits.maximumConnections), logger: logger,
            configure: { channel, peer in
                let codec = FrameCodecHandler(decoder: decoder, limits: codecLimits, redactor: redactor) { code, message in
                    audit.record(
                        AuditEntry(
                            peer: peer, socket: socketName, operation: "connection", decision: "error", code: code, reason: message, started: .now
                        ))
                }
                try channel.pipeline.syncOperations.addHandler(codec)
            },
            serve: { peer, inbound, outbound in
                for try await request in inbound {
                    let reply = await handler.handle(request, peer: peer) { frame in try? await outbound.write(frame) }
                    try await outbound.write(reply)
                }
            },
            refuse: { refusal, inbound, outbound in
                let status = if case .peer = refusal { Wire.Status.denied } else { Wire.Status.error }
                try await outbound.write(.error(code: refusal.code, message: refusal.message, status: status))
                // Shut our side, then discard (never serve) what the client still sends until it
                // hangs up: closing with unread input would make the kernel reset the connection
                // and the client would lose the refusal. The codec's deadline bounds the wait.
                outbound.finish()
                for try await _ in inbound {}
            }
        )
    }
}
