import AgentProtocol
import AgentSystem
import Logging
import NIOCore

/// `git.sock`: a `Listener` that speaks `key=value` frames (see `FrameCodecHandler`).
public enum FrameListener {
    public struct Limits: Sendable {
        public var maximumConnections = 64
        public var requestTimeout: Duration = .seconds(10)
        /// Time one connection may spend waiting for requests, in all.
        public var idleBudget: Duration = .seconds(30)
        /// Requests one connection may carry (git-remote-agent sends one per connection).
        public var maximumRequests = 100
        /// Time the client has to take each reply (or progress frame) written to it; a client
        /// that does not read is disconnected then.
        public var writeTimeout: Duration = .seconds(30)
        public var maximumFrameSize = FrameDecoder.defaultMaximumFrameSize

        public init() {}
    }

    static func make(
        path: String,
        allowedUIDs: Set<UInt32>,
        handler: any FrameRequestHandling,
        audit: AuditLog,
        redactor: Redactor,
        limits: Limits = Limits(),
        logger: Logger
    ) -> Listener {
        let decoder = FrameDecoder(maximumFrameSize: limits.maximumFrameSize)
        let codecLimits = FrameCodecHandler.Limits(
            requestTimeout: .nanoseconds(Int64(limits.requestTimeout.components.seconds) * 1_000_000_000),
            idleBudget: .nanoseconds(Int64(limits.idleBudget.components.seconds) * 1_000_000_000),
            maximumRequests: limits.maximumRequests,
            writeTimeout: .nanoseconds(Int64(limits.writeTimeout.components.seconds) * 1_000_000_000))
        let socketName = String(path.split(separator: "/").last ?? "")
        let serving = AsyncConnectionServing<Frame, Frame>(
            socketName: socketName, redactor: redactor, logger: logger,
            addHandlers: { channel, peer, slot in
                let codec = FrameCodecHandler(decoder: decoder, limits: codecLimits, redactor: redactor, slot: slot) { code, message in
                    audit.record(
                        AuditEntry(
                            peer: peer, socket: socketName, operation: "connection", decision: "error", code: code, reason: message, started: .now
                        ))
                }
                try channel.pipeline.syncOperations.addHandler(codec)
            },
            serve: { peer, slot, inbound, outbound in
                for try await request in inbound {
                    // While the agent works on a request this connection keeps its slot; waiting
                    // for the next one, it is the first to give way when the slots are full. So it
                    // is while the client does not take what is written to it (the codec marks
                    // that), and a write suspended then fails when the connection is closed.
                    slot.working()
                    let reply = await handler.handle(request, peer: peer) { frame in try? await outbound.write(frame) }
                    try await outbound.write(reply)
                    slot.waitingForClient()
                }
            },
            refusalBytes: { refusal, allocator in
                let status = if case .peer = refusal { Wire.Status.denied } else { Wire.Status.error }
                return allocator.buffer(bytes: Frame.error(code: refusal.code, message: refusal.message, status: status).encoded())
            }
        )
        return Listener(
            settings: .init(path: path, allowedUIDs: allowedUIDs, maximumConnections: limits.maximumConnections),
            serving: serving, audit: audit, redactor: redactor, logger: logger)
    }
}
