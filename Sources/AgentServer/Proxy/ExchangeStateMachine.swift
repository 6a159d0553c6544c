import NIOCore

/// One client exchange on a forwarding socket (`gh.sock`, `anthropic.sock`): exactly one request,
/// decided, then forwarded upstream or answered by the agent. Pure: every event returns the one
/// action the channel handler performs; no I/O, no clock.
///
/// What it guarantees, whatever the client sends:
/// - One request per exchange. After the request's end, nothing the client sends is forwarded:
///   a pipelined second request (head or body) is dropped, never written upstream.
/// - Nothing reaches the upstream before the rules allowed the request, and nothing after the
///   request it forwarded has ended. Body bytes are counted against the declared length.
/// - An upstream connection is reusable only after a clean, complete exchange: the whole request
///   sent (exactly its declared length), the whole response read, and no `Connection: close`.
///
/// Modelled on async-http-client's `Transaction.StateMachine`: transitions return actions.
struct ExchangeStateMachine {
    /// How a request frames its body.
    enum Framing: Hashable, Sendable {
        case none
        case length(Int)
        case chunked
    }

    /// A request body held before it can be forwarded.
    struct Held: Equatable {
        var body: ByteBuffer?
        var chunks: [ByteBuffer] = []
        var requestEnded: Bool
    }

    enum State: Equatable {
        case awaitingHead
        /// Reading a body the rules must see before deciding.
        case collecting(Framing, body: ByteBuffer)
        /// The rules decide (perhaps after lookups); the client is not read meanwhile.
        case deciding(Framing, Held)
        /// Allowed; waiting for an upstream connection.
        case connecting(Framing, Held)
        /// The request goes upstream and the response comes back.
        case forwarding(Forwarding)
        /// The agent answers itself; what the client still sends is dropped.
        case answering(requestEnded: Bool, replyWritten: Bool)
        case finished
    }

    struct Forwarding: Equatable {
        var framing: Framing
        /// Body bytes written upstream so far.
        var sent: Int
        var requestEnded: Bool
        var responseStarted = false
        var keepAlive = true
    }

    /// What the handler does next.
    enum Action: Equatable {
        /// Nothing (for instance: bytes after the request, which are dropped).
        case none
        /// Keep reading the client: the rules need the body (answer `100 Continue` when asked).
        case collectBody(sendContinue: Bool)
        /// Stop reading the client and ask the rules about the request (with its body, if read).
        case decide(body: ByteBuffer?)
        /// The rules allowed it: take an upstream connection.
        case connect(sendContinue: Bool)
        /// Write the request head upstream, then what was held; `end` when the request is over
        /// (then stop reading the client for good), otherwise resume reading it.
        case forwardHead(Held)
        case forwardBody(ByteBuffer)
        /// Write the request's end upstream and stop reading the client for good.
        case forwardEnd
        /// Relay the upstream's response head / body part to the client.
        case relayResponseHead
        case relayResponseBody
        /// End the client's response and close it; give the upstream connection back or close it.
        case finishResponse(reuseUpstream: Bool)
        /// Answer with the agent's own reply; close the upstream connection if one was in use.
        case reply(ProxyReply, code: String, releaseUpstream: Bool)
        /// Close the client now without an answer (its response had begun, or it is gone).
        case abort(releaseUpstream: Bool)
        /// Give back an upstream connection nobody needs any more (never used for the request).
        case releaseUnusedUpstream
        /// The reply is out and the request is over: close.
        case close
        /// The reply is out but the client is still sending: shut output, drain for a while.
        case drain
    }

    private(set) var state = State.awaitingHead
    let maximumInspectedBody: Int

    init(maximumInspectedBody: Int) {
        self.maximumInspectedBody = maximumInspectedBody
    }

    // MARK: - Client events

    /// A request head arrived. `inspectBody`: the rules need the body before deciding.
    /// `framing` comes from the head; `refusal` is a reply the rules chose from the head alone.
    mutating func head(framing: Framing, inspectBody: Bool, expectsContinue: Bool, refusal: (ProxyReply, String)?) -> Action {
        guard case .awaitingHead = state else { return .none }  // a pipelined request: never served
        if let (reply, code) = refusal {
            state = .answering(requestEnded: framing == .none, replyWritten: false)
            return .reply(reply, code: code, releaseUpstream: false)
        }
        if inspectBody, framing != .none {
            if case .length(let length) = framing, length > maximumInspectedBody { return tooLarge(requestEnded: false) }
            state = .collecting(framing, body: ByteBuffer())
            return .collectBody(sendContinue: expectsContinue)
        }
        // No body to read first: decide on the head; the request's end (or body) follows.
        state = .deciding(framing, Held(body: nil, requestEnded: false))
        return .decide(body: nil)
    }

    mutating func body(_ chunk: ByteBuffer) -> Action {
        switch state {
        case .collecting(let framing, var body):
            guard body.readableBytes + chunk.readableBytes <= maximumInspectedBody else { return tooLarge(requestEnded: false) }
            state = .finished  // no copy-on-write of the body while it grows
            var chunk = chunk
            body.writeBuffer(&chunk)
            state = .collecting(framing, body: body)
            return .none
        case .deciding(let framing, var held):
            guard !held.requestEnded else { return .none }
            held.chunks.append(chunk)
            state = .deciding(framing, held)
            return .none
        case .connecting(let framing, var held):
            guard !held.requestEnded else { return .none }
            held.chunks.append(chunk)
            state = .connecting(framing, held)
            return .none
        case .forwarding(var forwarding):
            guard !forwarding.requestEnded else { return .none }
            forwarding.sent += chunk.readableBytes
            if case .length(let length) = forwarding.framing, forwarding.sent > length {
                // The decoder frames by length, so this cannot happen; if it ever does, nothing
                // more goes upstream and the connection is not reused.
                state = .finished
                return .abort(releaseUpstream: true)
            }
            state = .forwarding(forwarding)
            return .forwardBody(chunk)
        case .awaitingHead, .answering, .finished:
            return .none
        }
    }

    mutating func end() -> Action {
        switch state {
        case .collecting(let framing, let body):
            state = .deciding(framing, Held(body: body, requestEnded: true))
            return .decide(body: body)
        case .deciding(let framing, var held):
            held.requestEnded = true
            state = .deciding(framing, held)
            return .none
        case .connecting(let framing, var held):
            held.requestEnded = true
            state = .connecting(framing, held)
            return .none
        case .forwarding(var forwarding):
            guard !forwarding.requestEnded else { return .none }
            forwarding.requestEnded = true
            state = .forwarding(forwarding)
            return .forwardEnd
        case .answering(let requestEnded, let replyWritten):
            guard !requestEnded else { return .none }
            state = .answering(requestEnded: true, replyWritten: replyWritten)
            if replyWritten {
                state = .finished
                return .close
            }
            return .none
        case .awaitingHead, .finished:
            return .none
        }
    }

    /// The client closed (or reset) the connection.
    mutating func clientClosed() -> Action {
        let previous = state
        state = .finished
        switch previous {
        case .forwarding: return .abort(releaseUpstream: true)
        case .awaitingHead, .collecting, .deciding, .connecting, .answering, .finished: return .none
        }
    }

    /// A deadline passed: the head, or a body the rules must read, did not arrive in time.
    mutating func deadlinePassed() -> Action {
        switch state {
        case .awaitingHead:
            state = .finished
            return .abort(releaseUpstream: false)
        case .collecting:
            state = .answering(requestEnded: false, replyWritten: false)
            return .reply(
                ProxyReply(status: .requestTimeout, message: "the request body did not arrive in time"), code: "body-timeout", releaseUpstream: false)
        case .forwarding(let forwarding) where !forwarding.requestEnded && !forwarding.responseStarted:
            state = .answering(requestEnded: false, replyWritten: false)
            return .reply(
                ProxyReply(status: .requestTimeout, message: "the request body stopped arriving"), code: "body-timeout", releaseUpstream: true)
        case .forwarding(let forwarding) where !forwarding.requestEnded:
            state = .finished
            return .abort(releaseUpstream: true)
        case .answering:
            state = .finished
            return .close
        case .deciding, .connecting, .forwarding, .finished:
            return .none
        }
    }

    // MARK: - Decisions

    /// The rules allowed the request.
    mutating func allowed(expectsContinue: Bool) -> Action {
        guard case .deciding(let framing, let held) = state else { return .none }
        state = .connecting(framing, held)
        return .connect(sendContinue: expectsContinue && !held.requestEnded && held.body == nil)
    }

    /// The agent answers itself: a denial, or a failure before any response byte.
    mutating func answer(_ reply: ProxyReply, code: String) -> Action {
        switch state {
        case .awaitingHead, .collecting, .deciding, .connecting:
            let ended = state.requestEnded
            state = .answering(requestEnded: ended, replyWritten: false)
            return .reply(reply, code: code, releaseUpstream: false)
        case .forwarding(let forwarding) where !forwarding.responseStarted:
            state = .answering(requestEnded: forwarding.requestEnded, replyWritten: false)
            return .reply(reply, code: code, releaseUpstream: true)
        case .forwarding:
            state = .finished
            return .abort(releaseUpstream: true)
        case .answering, .finished:
            return .none
        }
    }

    /// The agent's reply has been written.
    mutating func replyWritten() -> Action {
        guard case .answering(let requestEnded, _) = state else { return .none }
        if requestEnded {
            state = .finished
            return .close
        }
        state = .answering(requestEnded: false, replyWritten: true)
        return .drain
    }

    // MARK: - Upstream events

    mutating func upstreamConnected() -> Action {
        guard case .connecting(let framing, let held) = state else { return .releaseUnusedUpstream }
        let sent = (held.body?.readableBytes ?? 0) + held.chunks.reduce(0) { $0 + $1.readableBytes }
        state = .forwarding(Forwarding(framing: framing, sent: sent, requestEnded: held.requestEnded))
        return .forwardHead(held)
    }

    /// `status` of a response head; `keepAlive` false for `Connection: close` or HTTP/1.0.
    mutating func responseHead(status: Int, keepAlive: Bool) -> Action {
        guard case .forwarding(var forwarding) = state, !forwarding.responseStarted else { return .none }
        if status == 101 {  // no protocol switch through the agent
            state = .finished
            return .abort(releaseUpstream: true)
        }
        if status < 200 { return .none }  // 100 and early hints: the client got its own 100
        forwarding.responseStarted = true
        forwarding.keepAlive = keepAlive
        state = .forwarding(forwarding)
        return .relayResponseHead
    }

    mutating func responseBody() -> Action {
        guard case .forwarding(let forwarding) = state, forwarding.responseStarted else { return .none }
        return .relayResponseBody
    }

    mutating func responseEnd() -> Action {
        guard case .forwarding(let forwarding) = state, forwarding.responseStarted else { return .none }
        state = .finished
        return .finishResponse(reuseUpstream: forwarding.keepAlive && forwarding.requestEnded && forwarding.hasSentWholeBody)
    }

    /// The upstream connection failed or closed.
    mutating func upstreamFailed(_ reply: ProxyReply, code: String) -> Action {
        switch state {
        case .connecting, .forwarding: return answer(reply, code: code)
        default: return .none
        }
    }

    private mutating func tooLarge(requestEnded: Bool) -> Action {
        state = .answering(requestEnded: requestEnded, replyWritten: false)
        let megabytes = maximumInspectedBody >> 20
        return .reply(
            ProxyReply(status: .payloadTooLarge, message: "the request body is too large for the agent to check (\(megabytes) MiB at most)"),
            code: "body-too-large", releaseUpstream: false)
    }
}

extension ExchangeStateMachine.State {
    /// Whether the client's request has ended (as far as this state knows).
    var requestEnded: Bool {
        switch self {
        case .awaitingHead, .collecting: false
        case .deciding(_, let held), .connecting(_, let held): held.requestEnded
        case .forwarding(let forwarding): forwarding.requestEnded
        case .answering(let ended, _): ended
        case .finished: true
        }
    }
}

extension ExchangeStateMachine.Forwarding {
    /// Exactly the declared length went upstream (any length for chunked or no body).
    var hasSentWholeBody: Bool {
        switch framing {
        case .none: sent == 0
        case .length(let length): sent == length
        case .chunked: true
        }
    }
}
