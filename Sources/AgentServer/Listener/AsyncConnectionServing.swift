import AgentSystem
import Logging
import NIOCore

/// A protocol served by async code over `NIOAsyncChannel` (`git.sock`'s frames, `egress.sock`'s
/// tunnels), on a `Listener`.
///
/// NIO traps when an `NIOAsyncChannel` is dropped before `executeThenClose`, which could happen
/// to a connection accepted just as the listener shuts down. So the accept path only installs the
/// protocol's handlers (reading off), and the connection's own task wraps the channel and starts
/// reading; a connection whose task never runs is simply closed by the listener's drain. NIO
/// still reads when the client shuts its side early (to see the end of input), so a `ReadHold`
/// at the front keeps what arrives until the wrapper is there to take it.
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
        let readHold = ReadHold()
        try channel.pipeline.syncOperations.addHandler(readHold)
        let hold = NIOLoopBound(readHold, eventLoop: channel.eventLoop)
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
                    hold.value.release(from: channel)
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

/// Holds what a connection receives (bytes and the end of input) until `release`, then passes
/// it on in order and leaves the pipeline.
final class ReadHold: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum Held {
        case read(NIOAny)
        case event(Any)
    }

    private var held: [Held] = []
    private var context: ChannelHandlerContext?
    private var isReleased = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if isReleased { return context.fireChannelRead(data) }
        held.append(.read(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if isReleased { return context.fireUserInboundEventTriggered(event) }
        held.append(.event(event))
    }

    /// Replays what was held and removes this handler. Call on the channel's event loop.
    func release(from channel: any Channel) {
        guard let context, !isReleased else { return }
        isReleased = true
        for item in held {
            switch item {
            case .read(let data): context.fireChannelRead(data)
            case .event(let event): context.fireUserInboundEventTriggered(event)
            }
        }
        held = []
        context.fireChannelReadComplete()
        channel.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
