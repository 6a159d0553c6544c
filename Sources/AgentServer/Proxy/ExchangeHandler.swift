import AgentSystem
import NIOCore
import NIOHTTP1

/// Runs one client exchange on a forwarding socket: feeds what happens to the pure
/// `ExchangeStateMachine` and performs the actions it returns, with the socket's
/// `ForwardingRules` deciding. One connection, one request; the connection ends with the response.
///
/// Back-pressure both ways: the client is not read while the upstream cannot take more, and the
/// upstream is not read while the client cannot take more. Deadlines (`ExchangeLimits`): for the
/// head, for a body the rules read, and for pauses of a streamed body.
///
/// The state shared with `ExchangeHandler+Upstream.swift` (the machine, the contexts, the record)
/// is internal for that extension only.
final class ExchangeHandler<Rules: ForwardingRules>: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection of one socket shares.
    struct Shared: Sendable {
        let rules: Rules
        let pool: UpstreamPool
        let audit: AuditLog
        let bodies: BodyBudget
        var limits = ExchangeLimits()
    }

    let shared: Shared
    private let peer: PeerCredentials
    private let slot: ConnectionSlot
    private let gate: InputGate
    var machine: ExchangeStateMachine
    var context: ChannelHandlerContext?
    var clientHead: HTTPRequestHead?
    private var request: ScreenedRequest?
    var upstream: UpstreamConnection?
    var record: ExchangeRecord?
    private var deadline: Scheduled<Void>?
    /// Whether this exchange holds part of `BodyBudget` (while it reads a body for the rules).
    private var holdsBudget = false
    private var decisionRound = 0
    /// What the rules want to see of the response (`ForwardingVerdict.allowObserving`).
    var observation: ResponseObservation?

    init(shared: Shared, peer: PeerCredentials, slot: ConnectionSlot, gate: InputGate) {
        self.shared = shared
        self.peer = peer
        self.slot = slot
        self.gate = gate
        self.machine = ExchangeStateMachine(maximumInspectedBody: shared.limits.maximumInspectedBody)
    }

    // MARK: - Client side

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(shared.limits.headTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        releaseBudget()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            received(head)
        case .body(let chunk):
            if case .collecting = machine.state {
                guard shared.bodies.reserve(chunk.readableBytes, for: context.channel) else {
                    return perform(
                        machine.answer(
                            ProxyReply(status: .serviceUnavailable, message: "the agent is holding too many request bodies; try again"),
                            code: "busy"))
                }
                holdsBudget = true
            } else if case .forwarding = machine.state {
                arm(shared.limits.streamPauseTimeout)  // a streamed body may pause, not stall
            }
            perform(machine.body(chunk))
        case .end:
            perform(machine.end())
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.channel.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let upstream, case .forwarding = machine.state {
            upstream.channel.setAutoRead(context.channel.isWritable)
            // A client that does not read its response is the one holding the slot.
            if context.channel.isWritable { slot.working() } else { slot.waitingForClient() }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if var record {
            record.note = record.status == 0 ? "client closed early" : "client closed before the response ended"
            record.write()
            self.record = nil
        }
        perform(machine.clientClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, case .awaitingHead = machine.state {
            return perform(machine.answer(ProxyReply(status: .badRequest, message: "the request is not valid HTTP/1.1"), code: "bad-request"))
        }
        // Anything else (a reset, bytes that do not parse after the request): the exchange ends.
        perform(machine.clientClosed())
        context.close(promise: nil)
    }

    private func received(_ head: HTTPRequestHead) {
        guard case .awaitingHead = machine.state else { return perform(.none) }  // pipelined: dropped
        clientHead = head
        record = ExchangeRecord(
            peer: peer, socket: shared.rules.socketName, method: head.method.rawValue, host: head.headers["host"].first ?? "",
            uri: head.uri, started: .now, audit: shared.audit)
        let framing: ExchangeStateMachine.Framing
        switch RequestFraming.framing(of: head) {
        case .success(let value): framing = value
        case .failure(let reply): return perform(machine.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: (reply, "bad-request")))
        }
        let expects = RequestFraming.expectsContinue(head)
        if head.headers["expect"].contains(where: { $0.lowercased() != "100-continue" }) {
            let reply = ProxyReply(status: .expectationFailed, message: "the agent only understands Expect: 100-continue")
            return perform(machine.head(framing: framing, inspectBody: false, expectsContinue: false, refusal: (reply, "bad-request")))
        }
        switch shared.rules.screen(head, peer: peer) {
        case .refuse(let reply, let code):
            perform(machine.head(framing: framing, inspectBody: false, expectsContinue: false, refusal: (reply, code)))
        case .accept(let screened):
            request = screened
            let action = machine.head(framing: framing, inspectBody: screened.inspectsBody, expectsContinue: expects, refusal: nil)
            if case .collectBody = action { arm(shared.limits.inspectedBodyTimeout) } else { deadline?.cancel() }
            perform(action)
        }
    }

    // MARK: - Actions

    func perform(_ action: ExchangeStateMachine.Action) {
        if case .releaseUnusedUpstream = action { return releaseUpstream(reusable: true) }  // also once the client is gone
        guard let context else { return }
        switch action {
        case .none:
            break
        case .collectBody(let sendContinue):
            if sendContinue { sendContinueResponse() }
        case .decide(let body):
            deadline?.cancel()
            if machine.state.requestEnded { gate.close() }
            context.channel.setAutoRead(false)
            slot.working()
            decide(body: body)
        case .connect(let sendContinue):
            if sendContinue { sendContinueResponse() }
            releaseBudget()
            connect()
        case .forwardHead(let held):
            forwardHead(held)
        case .forwardBody(let chunk):
            record?.requestBytes += chunk.readableBytes
            upstream?.channel.write(HTTPClientRequestPart.body(.byteBuffer(chunk)), promise: nil)
        case .forwardEnd:
            slot.working()
            deadline?.cancel()
            gate.close()
            upstream?.channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        case .relayResponseHead, .relayResponseBody:
            break  // `upstreamReceived` writes the part it was given
        case .finishResponse(let reuse):
            finish(reuseUpstream: reuse)
        case .reply(let reply, let code, let release):
            if release { releaseUpstream(reusable: false) }
            answer(reply, code: code)
        case .abort(let release):
            if release { releaseUpstream(reusable: false) }
            context.close(promise: nil)
        case .releaseUnusedUpstream:
            releaseUpstream(reusable: true)
        case .close:
            context.close(promise: nil)
        case .drain:
            // The client is still sending the refused request: read and drop it (the decoder must
            // see its end), so that closing does not reset the connection and lose the reply.
            slot.waitingForClient()
            context.close(mode: .output, promise: nil)
            context.channel.setAutoRead(true)
            arm(shared.limits.drainTimeout)
        }
    }

    private func sendContinueResponse() {
        guard let context, let head = clientHead else { return }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
    }

    private func decide(body: ByteBuffer?) {
        guard let request else { return }
        decisionRound += 1
        record?.details = shared.rules.auditDetails(for: request, body: body)
        apply(shared.rules.decide(request, body: body))
    }

    private func apply(_ verdict: ForwardingVerdict) {
        switch verdict {
        case .allow:
            record?.decision = "allow"
            perform(machine.allowed(expectsContinue: clientHead.map(RequestFraming.expectsContinue) ?? false))
        case .allowObserving(let observe):
            observation = ResponseObservation(observe: observe)
            apply(.allow)
        case .refuse(let reply, let code):
            perform(machine.answer(reply, code: code))
        case .lookUp(let work):
            guard let loop = context?.eventLoop else { return }
            let handler = NIOLoopBound(self, eventLoop: loop)
            Task {
                let verdict = await work()
                loop.execute { handler.value.apply(verdict) }
            }
        }
    }

    private func connect() {
        guard let context, let request else { return }
        shared.pool.connection(to: request.upstream, on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let upstream):
                self.upstream = upstream
                upstream.handler.delegate = self
                self.perform(self.machine.upstreamConnected())
            case .failure(let error):
                let reply = ProxyReply.upstreamFailure(error, upstream: self.shared.rules.upstreamName)
                self.perform(self.machine.upstreamFailed(reply, code: reply.status == .gatewayTimeout ? "upstream-timeout" : "upstream-failed"))
            }
        }
    }

    private func forwardHead(_ held: ExchangeStateMachine.Held) {
        guard let context, let upstream, let request, let clientHead else { return }
        var head = shared.rules.upstreamHead(for: request, clientHead: clientHead)
        switch machine.state {
        case .forwarding(let forwarding):
            switch forwarding.framing {
            case .none: head.headers.remove(name: "Transfer-Encoding")
            case .length(let length): head.headers.replaceOrAdd(name: "Content-Length", value: String(length))
            case .chunked: head.headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            }
        default:
            return
        }
        let channel = upstream.channel
        channel.setAutoRead(true)  // a previous exchange may have paused it
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body = held.body, body.readableBytes > 0 {
            record?.requestBytes += body.readableBytes
            channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        }
        for chunk in held.chunks {
            record?.requestBytes += chunk.readableBytes
            channel.write(HTTPClientRequestPart.body(.byteBuffer(chunk)), promise: nil)
        }
        if held.requestEnded {
            gate.close()
            channel.write(HTTPClientRequestPart.end(nil), promise: nil)
        } else {
            // Until the client has sent the rest, the agent waits for it: the slot may be taken
            // from a client that streams a body too slowly when all slots are full.
            slot.waitingForClient()
            arm(shared.limits.streamPauseTimeout)
            context.channel.setAutoRead(channel.isWritable)
        }
        channel.flush()
    }

    // MARK: - Ending

    func finish(reuseUpstream: Bool) {
        guard let context else { return }
        releaseUpstream(reusable: reuseUpstream)
        record?.write()
        record = nil
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func releaseUpstream(reusable: Bool) {
        guard let upstream else { return }
        self.upstream = nil
        upstream.handler.delegate = nil
        shared.pool.release(upstream, reusable: reusable)
    }

    private func releaseBudget() {
        if holdsBudget, let context { shared.bodies.release(context.channel) }
        holdsBudget = false
    }

    /// Sends the agent's own GitHub-shaped reply; when it is out, the machine says what next.
    private func answer(_ reply: ProxyReply, code: String) {
        guard let context else { return }
        deadline?.cancel()
        releaseBudget()
        if var record {
            record.status = Int(reply.status.code)
            record.decision = reply.status == .forbidden ? "deny" : "error"
            record.code = code
            record.reason = reply.message
            record.write()
            self.record = nil
        }
        let version = clientHead?.version ?? .http1_1
        let body = shared.rules.body(of: reply)
        context.write(wrapOutboundOut(.head(reply.head(version: version, body: body))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            self.perform(self.machine.replyWritten())
        }
    }

    private func arm(_ timeout: TimeAmount) {
        deadline?.cancel()
        guard let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.perform(self.machine.deadlinePassed())
        }
    }
}
