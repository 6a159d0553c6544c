import AgentProtocol
import AgentSystem
import NIOCore

/// Turns bytes into request frames and reply frames into bytes, for one `git.sock` connection.
///
/// It owns the connection's protocol rules, so that no client can hold the agent up:
/// - a request must be complete within `requestTimeout` of the previous reply (or of connecting);
///   while the agent works on a request, the client may stay silent for as long as it takes;
/// - a frame larger than the decoder's limit, or malformed, gets an error frame and the connection
///   is closed;
/// - every outgoing value passes the redactor: this is the single exit of `git.sock`.
final class FrameCodecHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Frame
    typealias OutboundIn = Frame
    typealias OutboundOut = ByteBuffer

    /// Called (on the event loop) when a connection is closed for breaking the protocol.
    typealias ViolationReporter = @Sendable (_ code: String, _ message: String) -> Void

    private let decoder: FrameDecoder
    private let requestTimeout: TimeAmount
    private let redactor: Redactor
    private let reportViolation: ViolationReporter
    private var buffered: [UInt8] = []
    private var isAwaitingRequest = true
    private var isClosing = false
    private var deadline: Scheduled<Void>?

    init(decoder: FrameDecoder, requestTimeout: TimeAmount, redactor: Redactor, reportViolation: @escaping ViolationReporter) {
        self.decoder = decoder
        self.requestTimeout = requestTimeout
        self.redactor = redactor
        self.reportViolation = reportViolation
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        let bytes = unwrapInboundIn(data)
        buffered.append(contentsOf: bytes.readableBytesView)
        if buffered.count > decoder.maximumFrameSize * 2 {
            // A client that keeps sending while its request is being served.
            refuse(context: context, ProtocolError.frameTooLarge(limit: decoder.maximumFrameSize))
            return
        }
        decodeIfAwaiting(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(encode(frame, allocator: context.channel.allocator)), promise: promise)
        if !frame.isProgress, !isClosing {
            isAwaitingRequest = true
            armDeadline(context: context)
            decodeIfAwaiting(context: context)
        }
    }

    private func decodeIfAwaiting(context: ChannelHandlerContext) {
        guard isAwaitingRequest, !isClosing else { return }
        do {
            switch try decoder.scan(buffered) {
            case .needMoreData(let skippable):
                if skippable > 0 { buffered.removeFirst(skippable) }
            case .frame(let frame, let consumed):
                buffered.removeFirst(consumed)
                isAwaitingRequest = false
                deadline?.cancel()
                context.fireChannelRead(wrapInboundOut(frame))
            }
        } catch {
            refuse(context: context, error)
        }
    }

    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let seconds = requestTimeout.nanoseconds / 1_000_000_000
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) { [self] in
            guard self.isAwaitingRequest, !self.isClosing else { return }
            self.close(
                context: context,
                Frame.error(code: "timeout", message: "no complete request within \(seconds) s; closing the connection")
            )
        }
    }

    private func refuse(context: ChannelHandlerContext, _ error: ProtocolError) {
        close(context: context, Frame.error(code: error.code, message: error.description))
    }

    private func close(context: ChannelHandlerContext, _ reply: Frame) {
        isClosing = true
        deadline?.cancel()
        reportViolation(reply[Wire.Key.code] ?? "error", reply[Wire.Key.message] ?? "")
        context.writeAndFlush(wrapOutboundOut(encode(reply, allocator: context.channel.allocator))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func encode(_ frame: Frame, allocator: ByteBufferAllocator) -> ByteBuffer {
        let safe = Frame(frame.fields.map { Frame.Field($0.key, redactor.redact($0.value)) })
        return allocator.buffer(bytes: safe.encoded())
    }
}
