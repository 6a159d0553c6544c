import AgentSystem
import Logging
import NIOCore

/// A protocol served by async code over `NIOAsyncChannel` (`git.sock`'s frames, `egress.sock`'s
/// tunnels), on a `Listener`.
///
/// NIO traps when an `NIOAsyncChannel` is dropped before `executeThenClose`, which could happen
/// to a connection accepted just as the listener shuts down. So the accept path only installs the
/// protocol's handlers (reading off), and the connection's own task wraps the channel and starts
/// reading; a connection whose task never runs is simply closed by the listener's drain.
struct AsyncConnectionServing<Inbound: Sendable, Outbound: Sendable>: ConnectionServing {
    typealias Serve =
        @Sendable (
            PeerCredentials, ConnectionSlot, NIOAsyncChannelInboundStream<Inbound>, NIOAsyncChannelOutboundWriter<Outbound>
        ) async throws -> Void

    let socketName: String
    let redactor: Redactor
    let logger: Logger
    /// Adds the protocol's handlers (a decoder, say) before any read.
    let addHandlers: @Sendable (any Channel, PeerCredentials, ConnectionSlot) throws -> Void
    let serve: Serve
    let refusalBytes: @Sendable (ListenerRefusal, ByteBufferAllocator) -> ByteBuffer

    func configure(_ channel: any Channel, peer: PeerCredentials, slot: ConnectionSlot) throws -> ConnectionJob? {
        try channel.syncOptions?.setOption(.autoRead, value: false)
        try addHandlers(channel, peer, slot)
        let serve = self.serve
        let logger = self.logger
        let redactor = self.redactor
        return ConnectionJob {
            do {
                // Wrapped and started in one event-loop step, so that no byte is missed.
                let wrapped = try await channel.eventLoop.submit {
                    let wrapped = try NIOAsyncChannel<Inbound, Outbound>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    try channel.syncOptions?.setOption(.autoRead, value: true)
                    return wrapped
                }.get()
                try await wrapped.executeThenClose { inbound, outbound in
                    try await serve(peer, slot, inbound, outbound)
                }
            } catch {
                logger.debug("connection from \(peer) ended: \(redactor.redact(String(describing: error)))")
            }
        }
    }

    func refusal(_ refusal: ListenerRefusal, allocator: ByteBufferAllocator) -> ByteBuffer {
        refusalBytes(refusal, allocator)
    }
}
