import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import NIOCore
import NIOHTTP1

/// One connection on `gh.sock`, start to end, on its event loop: check the peer and the host,
/// decide with the API policy (reading the body only when the decision needs it, looking up
/// facts upstream when it must), then forward to GitHub with the token over a kept-alive
/// connection and stream the answer back. gh sends one request per connection, so the
/// connection ends with the response.
///
/// Back-pressure both ways: the client is not read while the upstream cannot take more, and the
/// upstream is not read while the client cannot take more.
final class GitHubProxyHandler: ChannelInboundHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection of the proxy shares.
    struct Shared: Sendable {
        let policy: APIPolicy
        let target: ProxyTarget
        let github: GitHubClient
        let pool: UpstreamPool
        let audit: AuditLog
        let allowedUIDs: Set<UInt32>
        let registry: ConnectionRegistry
        let maximumConnections: Int
    }

    /// Bodies the policy must read are held in memory up to this size; others stream.
    static let maximumInspectedBody = 32 << 20
    /// A refused request's remaining body is read (and dropped) for at most this long, so that
    /// the refusal is not lost to a reset.
    static let drainTimeout: TimeAmount = .seconds(10)

    private enum State {
        case waitingForHead
        case collectingBody(ByteBuffer)
        case deciding
        case connecting
        case forwarding(UpstreamConnection)
        case replied
        case done
    }

    private let shared: Shared
    private let peer: PeerCredentials
    private var state = State.waitingForHead
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    /// The request's path without the query, and where it goes: settled once the head is read.
    private var path = ""
    private var upstreamBase: UpstreamURL?
    private var record: ProxyRecord?
    /// Request parts that arrived before the upstream connection was ready.
    private var pending: [HTTPServerRequestPart] = []
    private var requestEnded = false
    private var requestSent = false
    private var responseStarted = false
    private var upstreamReusable = true
    private var connectionCount = 0

    init(shared: Shared, peer: PeerCredentials) {
        self.shared = shared
        self.peer = peer
    }

    // MARK: - Client side

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionCount = shared.registry.open(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shared.registry.close(context.channel)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            guard case .waitingForHead = state else { return }
            received(head, context: context)
        case .body(var chunk):
            switch state {
            case .collectingBody(var body):
                guard body.readableBytes + chunk.readableBytes <= Self.maximumInspectedBody else {
                    reply(
                        ProxyReply(status: .payloadTooLarge, message: "the request body is too large for the agent to check (32 MiB at most)"),
                        code: "body-too-large")
                    return
                }
                state = .done  // no copy-on-write of the body while it grows
                body.writeBuffer(&chunk)
                state = .collectingBody(body)
            case .deciding, .connecting:
                pending.append(part)
            case .forwarding(let upstream):
                upstream.channel.write(HTTPClientRequestPart.body(.byteBuffer(chunk)), promise: nil)
            case .waitingForHead, .replied, .done:
                break
            }
        case .end:
            requestEnded = true
            switch state {
            case .collectingBody(let body):
                decide(body: body, facts: APIFacts(), round: 0)
            case .deciding, .connecting:
                pending.append(part)
            case .forwarding(let upstream):
                requestSent = true
                upstream.channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            case .replied:
                context.close(promise: nil)
            case .waitingForHead, .done:
                break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding(let upstream) = state { upstream.channel.flush() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .forwarding(let upstream) = state {
            try? upstream.channel.syncOptions?.setOption(.autoRead, value: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(let upstream) = state {
            // The client left mid-exchange: the upstream connection is in an unknown state.
            finishUpstream(upstream, reusable: false)
        }
        // A request decided (and maybe forwarded) but not finished still gets its audit line.
        if var record {
            record.note = responseStarted ? "client closed before the response ended" : "client closed early"
            record.write()
            self.record = nil
        }
        state = .done
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            switch state {
            case .waitingForHead, .replied: context.close(promise: nil)
            default: break  // the reply still goes out on the open half
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func received(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.head = head
        let hostHeader = head.headers["host"].first ?? ""
        record = ProxyRecord(peer: peer, method: head.method.rawValue, host: hostHeader, uri: head.uri, started: .now, audit: shared.audit)

        if !shared.allowedUIDs.contains(peer.uid) {
            let message = "uid \(peer.uid) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"
            shared.audit.record(
                AuditEntry(peer: peer, socket: "gh.sock", operation: "connection", decision: "deny", code: "peer-refused", reason: message, started: .now))
            record = nil
            return reply(ProxyReply(status: .forbidden, message: message), code: "peer-refused")
        }
        if connectionCount > shared.maximumConnections {
            return reply(
                ProxyReply(status: .serviceUnavailable, message: "the agent is serving \(shared.maximumConnections) connections; try again"), code: "busy")
        }
        path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let host: ProxyTarget.Host
        switch ProxyTarget.host(hostHeader) {
        case .success(let value): host = value
        case .failure(let denial): return reply(.denied(denial), code: denial.code.rawValue)
        }
        upstreamBase = shared.target.base(for: host)
        if host == .web, let denial = ProxyRules.webDenial(head.method.rawValue, path) {
            return reply(.denied(denial), code: denial.code.rawValue)
        }
        if shared.policy.needsBody(method: head.method.rawValue, path: path) {
            state = .collectingBody(context.channel.allocator.buffer(capacity: 0))
            continueIfExpected(head, context: context)
        } else {
            decide(body: nil, facts: APIFacts(), round: 0)
        }
    }

    /// curl and others wait for `100 Continue` before sending a large body.
    private func continueIfExpected(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
    }

    // MARK: - Deciding

    private func decide(body: ByteBuffer?, facts: APIFacts, round: Int) {
        guard let head, let context else { return }
        let method = head.method.rawValue
        let request =
            body.map { APIRequest(method: method, path: path, bodyBytes: $0.readableBytesView) } ?? APIRequest(method: method, path: path)
        switch shared.policy.decide(request, facts: facts) {
        case .allow:
            record?.decision = "allow"
            forward(body: body, context: context)
        case .deny(let denial):
            reply(.denied(denial), code: denial.code.rawValue)
        case .needs where round >= 3:
            reply(ProxyReply(status: .forbidden, message: "the agent could not settle what this request changes"), code: "undecided")
        case .needs(let lookups):
            state = .deciding
            setClientReading(false)
            let loop = context.eventLoop
            let handler = NIOLoopBound(self, eventLoop: loop)
            let resolver = UpstreamLookups(github: shared.github, base: shared.target.api)
            Task {
                var learned = facts
                let failure: ProxyFailure?
                do throws(ProxyFailure) {
                    try await resolver.resolve(lookups, into: &learned)
                    failure = nil
                } catch {
                    failure = error
                }
                let settled = learned
                loop.execute {
                    let handler = handler.value
                    guard case .deciding = handler.state else { return }
                    if let failure {
                        handler.reply(failure.reply, code: "lookup-failed")
                    } else {
                        handler.decide(body: body, facts: settled, round: round + 1)
                    }
                }
            }
        }
    }

    // MARK: - Forwarding

    private func forward(body: ByteBuffer?, context: ChannelHandlerContext) {
        guard let head, let base = upstreamBase else { return }
        state = .connecting
        if !requestEnded {
            setClientReading(false)
            if body == nil { continueIfExpected(head, context: context) }
        }
        shared.pool.connection(to: base, on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let upstream): self.connected(upstream, base: base, head: head, body: body)
            case .failure(let error): self.failBeforeResponse(error)
            }
        }
    }

    private func connected(_ upstream: UpstreamConnection, base: UpstreamURL, head: HTTPRequestHead, body: ByteBuffer?) {
        guard case .connecting = state, context != nil else {
            // The client went away meanwhile.
            shared.pool.release(upstream, reusable: true)
            return
        }
        state = .forwarding(upstream)
        upstream.handler.delegate = self

        var headers = HeaderFilter.upstreamRequestHeaders(head.headers)
        let defaultPort = base.isSecure ? 443 : 80
        headers.replaceOrAdd(name: "Host", value: base.port.map { $0 == defaultPort ? base.host : "\(base.host):\($0)" } ?? base.host)
        shared.github.withAuthorization { headers.replaceOrAdd(name: "Authorization", value: $0) }
        if let body {
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        } else if let length = head.headers["content-length"].first {
            headers.replaceOrAdd(name: "Content-Length", value: length)
        } else if head.headers["transfer-encoding"].contains(where: { $0.lowercased().contains("chunked") }) {
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        }
        let upstreamHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: base.path + head.uri, headers: headers)
        let channel = upstream.channel
        try? channel.syncOptions?.setOption(.autoRead, value: true)  // a previous exchange may have paused it
        channel.write(HTTPClientRequestPart.head(upstreamHead), promise: nil)
        if let body, body.readableBytes > 0 {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        }
        for part in pending {
            switch part {
            case .body(let chunk): channel.write(HTTPClientRequestPart.body(.byteBuffer(chunk)), promise: nil)
            case .end: break
            case .head: break
            }
        }
        pending = []
        if requestEnded {
            requestSent = true
            channel.write(HTTPClientRequestPart.end(nil), promise: nil)
        } else {
            setClientReading(channel.isWritable)
        }
        channel.flush()
    }

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context, case .forwarding(let upstream) = state, let head else { return }
        switch part {
        case .head(let response):
            guard response.status.code >= 200 else { return }  // 1xx: the client got its own 100
            responseStarted = true
            record?.status = Int(response.status.code)
            if response.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) || response.version != .http1_1 {
                upstreamReusable = false
            }
            var clientHead = HTTPResponseHead(version: head.version, status: response.status)
            clientHead.headers = HeaderFilter.clientResponseHeaders(response.headers)
            context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        case .body(let chunk):
            // Flushed when the upstream read completes (`upstreamReadComplete`) or at the end.
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        case .end:
            state = .done
            finishUpstream(upstream, reusable: upstreamReusable && requestSent)
            record?.write()
            record = nil
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func upstreamFailed(_ error: any Error) {
        guard case .forwarding(let upstream) = state else { return }
        finishUpstream(upstream, reusable: false)
        if responseStarted {
            state = .done
            record?.note = "upstream closed mid-response"
            record?.write()
            record = nil
            context?.close(promise: nil)
        } else {
            failBeforeResponse(error)
        }
    }

    func upstreamReadComplete() {
        guard let context, case .forwarding(let upstream) = state else { return }
        context.flush()
        if !context.channel.isWritable { try? upstream.channel.syncOptions?.setOption(.autoRead, value: false) }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if case .forwarding = state, !requestEnded { setClientReading(isWritable) }
    }

    private func failBeforeResponse(_ error: any Error) {
        let failure = ProxyFailure.reply(for: error)
        reply(failure, code: failure.status == .gatewayTimeout ? "upstream-timeout" : "upstream-failed")
    }

    private func finishUpstream(_ upstream: UpstreamConnection, reusable: Bool) {
        upstream.handler.delegate = nil
        shared.pool.release(upstream, reusable: reusable)
    }

    private func setClientReading(_ reading: Bool) {
        try? context?.channel.syncOptions?.setOption(.autoRead, value: reading)
    }

    // MARK: - The agent's own replies

    /// Sends a GitHub-shaped reply and ends the exchange. When the client is still sending, the
    /// rest is read and dropped (for a while) so that the reply is not lost to a reset.
    private func reply(_ reply: ProxyReply, code: String) {
        guard let context else { return }
        if case .forwarding(let upstream) = state { finishUpstream(upstream, reusable: false) }
        state = .replied
        pending = []
        if var record {
            record.status = Int(reply.status.code)
            record.decision = reply.status == .forbidden ? "deny" : "error"
            record.code = code
            record.reason = reply.message
            record.write()
            self.record = nil
        }
        let version = head?.version ?? .http1_1
        context.write(wrapOutboundOut(.head(reply.head(version: version))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reply.body)))), promise: nil)
        let requestEnded = self.requestEnded
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if requestEnded {
                context.close(promise: nil)
            } else {
                context.close(mode: .output, promise: nil)
                try? context.channel.syncOptions?.setOption(.autoRead, value: true)
                context.eventLoop.assumeIsolated().scheduleTask(in: Self.drainTimeout) { context.close(promise: nil) }
            }
        }
    }
}

/// Decisions about a request that need no policy state.
enum ProxyRules {
    /// github.com itself: reads only, and never git's smart-HTTP endpoints, which would be a push
    /// with the token that bypasses the git policy.
    static func webDenial(_ method: String, _ path: String) -> Denial? {
        let lowered = path.lowercased()
        if method != "GET" && method != "HEAD" {
            return Denial(.apiWriteNotAllowed, "\(method) \(path) on github.com is not allowed through the agent (only reads)")
        }
        if lowered.contains(".git/") || lowered.contains("/info/refs") || lowered.contains("git-upload-pack") || lowered.contains("git-receive-pack") {
            return Denial(.apiWriteNotAllowed, "git over gh.sock is not allowed; git goes through git.sock")
        }
        return nil
    }
}

/// The audit line of one request: method, host, path, decision, status, duration.
struct ProxyRecord {
    let peer: PeerCredentials
    let method: String
    let host: String
    let uri: String
    let started: ContinuousClock.Instant
    let audit: AuditLog
    var decision = "error"
    var status = 0
    var code: String?
    var reason: String?
    var note: String?

    func write() {
        var details = [("method", method), ("host", host), ("path", String(uri.prefix(512))), ("status", String(status))]
        if let note { details.append(("note", note)) }
        audit.record(
            AuditEntry(
                peer: peer, socket: "gh.sock", operation: "\(method) \(uri.split(separator: "?").first ?? "")".prefix(300).description,
                decision: decision, code: code, reason: reason, details: details, started: started
            ))
    }
}
