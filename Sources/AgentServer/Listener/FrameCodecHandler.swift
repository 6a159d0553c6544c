import AgentProtocol
import AgentSystem
import NIOCore

/// Turns bytes into request frames and reply frames into bytes, for one `git.sock` connection.
///
/// It owns the connection's protocol rules, so that no client can hold the agent up:
/// - a request must be complete within `limits.requestTimeout` of the previous reply (or of
///   connecting); blank lines (keep-alives) do not extend it; while the agent works on a request,
///   the client may stay silent for as long as it takes;
/// - a connection may spend at most `limits.idleBudget` waiting for requests in all, and carry at
///   most `limits.maximumRequests` requests: then it is closed (after the last reply), so that a
///   client sending a request now and then cannot keep its slot for ever;
/// - every reply and progress frame must be taken by the client within `limits.writeTimeout`
///   (of being written, or of the client taking the one before): a client that does not read is
///   disconnected, and while what is written to it does not drain its slot counts as waiting for
///   it (`ConnectionSlot.writesBlocked`), so that it gives way to a new connection;
/// - bytes are scanned once, however they are split (`FrameScanner`);
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

    /// The per-connection bounds.
    struct Limits {
        var requestTimeout: TimeAmount
        /// Time spent waiting for requests, summed over the connection.
        var idleBudget: TimeAmount
        var maximumRequests: Int
        /// Time the client has to take what is written to it.
        var writeTimeout: TimeAmount = .seconds(30)
    }

    private let decoder: FrameDecoder
    private let limits: Limits
    private let redactor: Redactor
    private let reportViolation: ViolationReporter
    private let slot: ConnectionSlot?
    private var scanner: FrameScanner
    private var buffered: [UInt8] = []
    private(set) var isAwaitingRequest = true
    private var isClosing = false
    private var deadline: Scheduled<Void>?
    private var idleSince: NIODeadline?
    private var idleSpent: TimeAmount = .zero
    private var requestsReceived = 0
    /// Writes not yet taken by the client, and the deadline for the client to take them.
    private var pendingWrites = 0
    private var writeDeadline: Scheduled<Void>?

    init(
        decoder: FrameDecoder,
        limits: Limits,
        redactor: Redactor,
        slot: ConnectionSlot? = nil,
        reportViolation: @escaping ViolationReporter
    ) {
        self.decoder = decoder
        self.limits = limits
        self.redactor = redactor
        self.slot = slot
        self.reportViolation = reportViolation
        self.scanner = FrameScanner(decoder: decoder)
    }

    convenience init(decoder: FrameDecoder, requestTimeout: TimeAmount, redactor: Redactor, reportViolation: @escaping ViolationReporter) {
        self.init(
            decoder: decoder, limits: Limits(requestTimeout: requestTimeout, idleBudget: .seconds(30), maximumRequests: 100), redactor: redactor,
            reportViolation: reportViolation)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        writeDeadline?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        writeDeadline?.cancel()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { slot?.writesFlowing() } else { slot?.writesBlocked() }
        context.fireChannelWritabilityChanged()
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
        guard !frame.isProgress, !isClosing, requestsReceived >= limits.maximumRequests else {
            context.write(wrapOutboundOut(encode(frame, allocator: context.channel.allocator)), promise: tracked(promise, context: context))
            if !frame.isProgress, !isClosing { awaitNextRequest(context: context) }
            return
        }
        // The last request this connection may carry has its reply: close once it is out.
        isClosing = true
        deadline?.cancel()
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            context.close(promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(encode(frame, allocator: context.channel.allocator)), promise: tracked(written, context: context))
    }

    /// A promise for one write, counted until the client has taken it: while any is pending,
    /// the client must take one within `writeTimeout`, or the connection is closed.
    private func tracked(_ promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) -> EventLoopPromise<Void> {
        let written = context.eventLoop.makePromise(of: Void.self)
        pendingWrites += 1
        if writeDeadline == nil { armWriteDeadline(context: context) }
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            self.pendingWrites -= 1
            self.writeDeadline?.cancel()
            self.writeDeadline = nil
            // The client took something: the next write has its full time.
            if self.pendingWrites > 0 { self.armWriteDeadline(context: context) }
            promise?.completeWith(result)
        }
        return written
    }

    private func armWriteDeadline(context: ChannelHandlerContext) {
        let seconds = limits.writeTimeout.nanoseconds / 1_000_000_000
        writeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.writeTimeout) { [self] in
            guard self.pendingWrites > 0 else { return }
            if !self.isClosing {
                self.reportViolation("timeout", "the client did not read the agent's reply within \(seconds) s; closing the connection")
            }
            self.isClosing = true
            self.deadline?.cancel()
            context.close(promise: nil)
        }
    }

    private func awaitNextRequest(context: ChannelHandlerContext) {
        isAwaitingRequest = true
        armDeadline(context: context)
        decodeIfAwaiting(context: context)
        // A request that was already buffered (pipelined) is delivered now, outside any socket
        // read: the async side hands reads on at "read complete", so say it.
        if !isAwaitingRequest { context.fireChannelReadComplete() }
    }

    private func decodeIfAwaiting(context: ChannelHandlerContext) {
        guard isAwaitingRequest, !isClosing else { return }
        do {
            switch try scanner.scan(buffered) {
            case .needMoreData(let skippable):
                if skippable > 0 { buffered.removeFirst(skippable) }
            case .frame(let frame, let consumed):
                buffered.removeFirst(consumed)
                isAwaitingRequest = false
                requestsReceived += 1
                deadline?.cancel()
                if let idleSince { idleSpent = idleSpent + (context.eventLoop.now - idleSince) }
                idleSince = nil
                context.fireChannelRead(wrapInboundOut(frame))
            }
        } catch {
            refuse(context: context, error)
        }
    }

    /// Waits for the next request: at most `requestTimeout`, and at most what is left of the
    /// connection's idle budget.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        idleSince = context.eventLoop.now
        let remaining = limits.idleBudget - idleSpent
        let isBudgetShorter = remaining < limits.requestTimeout
        let wait = isBudgetShorter ? max(remaining, .zero) : limits.requestTimeout
        let seconds = limits.requestTimeout.nanoseconds / 1_000_000_000
        let budget = limits.idleBudget.nanoseconds / 1_000_000_000
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: wait) { [self] in
            guard self.isAwaitingRequest, !self.isClosing else { return }
            let message =
                isBudgetShorter
                ? "this connection has waited \(budget) s for requests in all; closing it (open a new one)"
                : "no complete request within \(seconds) s; closing the connection"
            self.close(context: context, Frame.error(code: "timeout", message: message))
        }
    }

    private func refuse(context: ChannelHandlerContext, _ error: ProtocolError) {
        close(context: context, Frame.error(code: error.code, message: error.description))
    }

    private func close(context: ChannelHandlerContext, _ reply: Frame) {
        isClosing = true
        deadline?.cancel()
        reportViolation(reply[Wire.Key.code] ?? "error", reply[Wire.Key.message] ?? "")
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(encode(reply, allocator: context.channel.allocator)), promise: tracked(written, context: context))
    }

    private func encode(_ frame: Frame, allocator: ByteBufferAllocator) -> ByteBuffer {
        let safe = Frame(frame.fields.map { Frame.Field($0.key, redactor.redact($0.value)) })
        return allocator.buffer(bytes: safe.encoded())
    }
}
