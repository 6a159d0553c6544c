import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import AsyncAlgorithms
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One request on `gh.sock`, start to end: check the host, decide with the API policy (reading
/// the body only when the decision needs it, and looking up facts upstream when it must), then
/// forward to GitHub with the token and stream the answer back. gh sends one request per
/// connection, so the connection ends with the response.
struct ProxyExchange: Sendable {
    let policy: APIPolicy
    let target: ProxyTarget
    let github: GitHubClient
    let audit: AuditLog

    /// Bodies the policy must read are held in memory up to this size; others stream.
    static let maximumInspectedBody = 32 << 20

    typealias Inbound = NIOAsyncChannelInboundStream<HTTPServerRequestPart>
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    func serve(peer: PeerCredentials, inbound: Inbound, outbound: Outbound) async throws {
        var parts = inbound.makeAsyncIterator()
        guard case .head(let head) = try await parts.next() else { return }
        let started = ContinuousClock.now
        let hostHeader = head.headers["host"].first ?? ""
        var record = Record(peer: peer, method: head.method.rawValue, host: hostHeader, uri: head.uri, started: started, audit: audit)

        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let host: ProxyTarget.Host
        switch ProxyTarget.host(hostHeader) {
        case .success(let value): host = value
        case .failure(let denial): return try await reply(.denied(denial), head, outbound, &record, code: denial.code.rawValue)
        }
        if host == .web, let denial = Self.webDenial(head.method.rawValue, path) {
            return try await reply(.denied(denial), head, outbound, &record, code: denial.code.rawValue)
        }

        var buffered: ByteBuffer?
        var request = APIRequest(method: head.method.rawValue, path: path)
        if policy.needsBody(method: head.method.rawValue, path: path) {
            do {
                buffered = try await Self.collectBody(&parts)
            } catch {
                return try await reply(
                    ProxyReply(status: .payloadTooLarge, message: "the request body is too large for the agent to check (32 MiB at most)"), head, outbound,
                    &record, code: "body-too-large")
            }
            request = APIRequest(method: head.method.rawValue, path: path, bodyBytes: buffered?.readableBytesView ?? ByteBuffer().readableBytesView)
        }

        var facts = APIFacts()
        var decision = policy.decide(request, facts: facts)
        var rounds = 0
        while case .needs(let lookups) = decision, rounds < 3 {
            rounds += 1
            do {
                try await UpstreamLookups(github: github, base: target.api).resolve(lookups, into: &facts)
            } catch {
                return try await reply(error.reply, head, outbound, &record, code: "lookup-failed")
            }
            decision = policy.decide(request, facts: facts)
        }
        switch decision {
        case .allow: break
        case .deny(let denial): return try await reply(.denied(denial), head, outbound, &record, code: denial.code.rawValue)
        case .needs:
            return try await reply(
                ProxyReply(status: .forbidden, message: "the agent could not settle what this request changes"), head, outbound, &record, code: "undecided")
        }
        record.decision = "allow"
        try await forward(head, to: target.base(for: host), body: buffered, parts: &parts, outbound: outbound, record: &record)
    }

    // MARK: - Forwarding

    private func forward(
        _ head: HTTPRequestHead,
        to base: UpstreamURL,
        body: ByteBuffer?,
        parts: inout Inbound.AsyncIterator,
        outbound: Outbound,
        record: inout Record
    ) async throws {
        var request = HTTPClientRequest(url: base.description + head.uri)
        request.method = head.method
        request.headers = HeaderFilter.upstreamRequestHeaders(head.headers)
        github.withAuthorization { request.headers.replaceOrAdd(name: "Authorization", value: $0) }
        let streamedBody: AsyncChannel<ByteBuffer>?
        if let body {
            request.body = .bytes(body)
            streamedBody = nil
        } else if Self.hasBody(head) {
            let channel = AsyncChannel<ByteBuffer>()
            let length = head.headers["content-length"].first.flatMap(Int64.init)
            request.body = .stream(channel, length: length.map { .known($0) } ?? .unknown)
            streamedBody = channel
        } else {
            streamedBody = nil
        }

        let http = github.http
        let upstreamRequest = request
        let response: HTTPClientResponse
        do {
            response = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
                group.addTask {
                    defer { streamedBody?.finish() }
                    return try await http.execute(upstreamRequest, timeout: .seconds(600))
                }
                // The client's body flows to the upstream as the upstream takes it (`send` waits).
                if let streamedBody {
                    pump: while let part = try await parts.next() {
                        switch part {
                        case .body(let chunk): await streamedBody.send(chunk)
                        case .end, .head: break pump
                        }
                    }
                    streamedBody.finish()
                }
                guard let response = try await group.next() else { throw HTTPClientError.cancelled }
                return response
            }
        } catch {
            let failure = ProxyFailure.reply(for: error)
            return try await reply(failure, head, outbound, &record, code: failure.status == .gatewayTimeout ? "upstream-timeout" : "upstream-failed")
        }
        record.status = Int(response.status.code)
        var responseHead = HTTPResponseHead(version: head.version, status: response.status)
        responseHead.headers = HeaderFilter.clientResponseHeaders(response.headers)
        do {
            try await outbound.write(.head(responseHead))
            if head.method != .HEAD {
                for try await chunk in response.body { try await outbound.write(.body(.byteBuffer(chunk))) }
            }
            try await outbound.write(.end(nil))
        } catch {
            // A client that hangs up early (gh does after a 204's headers) is not an error.
            record.note = "client closed early"
        }
        record.write()
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if let length = head.headers["content-length"].first.flatMap(Int.init) { return length > 0 }
        return head.headers["transfer-encoding"].contains { $0.lowercased().contains("chunked") }
    }

    private static func collectBody(_ parts: inout Inbound.AsyncIterator) async throws -> ByteBuffer {
        var body = ByteBuffer()
        while let part = try await parts.next() {
            switch part {
            case .body(var chunk):
                guard body.readableBytes + chunk.readableBytes <= maximumInspectedBody else { throw BodyTooLarge() }
                body.writeBuffer(&chunk)
            case .end, .head:
                return body
            }
        }
        return body
    }

    struct BodyTooLarge: Error {}

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

    // MARK: - Replies and audit

    private func reply(_ reply: ProxyReply, _ head: HTTPRequestHead, _ outbound: Outbound, _ record: inout Record, code: String) async throws {
        record.status = Int(reply.status.code)
        record.decision = reply.status == .forbidden ? "deny" : "error"
        record.code = code
        record.reason = reply.message
        record.write()
        try await outbound.write(.head(reply.head(version: head.version)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: reply.body))))
        try await outbound.write(.end(nil))
    }

    /// The audit line of one request: method, host, path, decision, status, duration.
    struct Record {
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
}
