import NIOCore

/// The first handler of a forwarding connection: once the exchange's request has ended, every
/// further byte from the client is dropped before the HTTP decoder sees it, so that no second
/// (pipelined) request is even parsed. Reading goes on, so that a client hanging up is noticed;
/// a client that keeps sending more than `maximumDropped` bytes is disconnected.
final class InputGate: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let maximumDropped = 1 << 20

    private var isClosed = false
    private var dropped = 0

    /// From now on nothing the client sends is passed on.
    func close() {
        isClosed = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isClosed else { return context.fireChannelRead(data) }
        dropped += unwrapInboundIn(data).readableBytes
        if dropped > Self.maximumDropped { context.close(promise: nil) }
    }
}
