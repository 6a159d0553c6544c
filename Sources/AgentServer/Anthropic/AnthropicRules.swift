import AgentAPIPolicy
import AgentSystem
import NIOCore
import NIOHTTP1

/// `anthropic.sock`'s rules: Claude Code's own API requests, forwarded to `ANTHROPIC_API_URL`
/// with the credential the agent holds in place of whatever the client sent (the claude
/// container only has a placeholder). Only paths under `/v1/` are forwarded; responses (server-sent
/// events included) stream back as they arrive.
struct AnthropicRules: ForwardingRules {
    let upstream: UpstreamURL
    let credential: AnthropicCredential

    var socketName: String { "anthropic.sock" }
    var upstreamName: String { "Anthropic's API" }

    static let methods: Set<String> = ["GET", "HEAD", "POST", "DELETE"]
    /// With an OAuth token the API wants this beta flag; the client may not send it, since it
    /// believes it holds an API key.
    static let oauthBeta = "oauth-2025-04-20"
    /// Client headers that are never forwarded: credentials (the agent adds its own) and the
    /// rest of `HeaderFilter`'s list.
    static let droppedHeaders: Set<String> = ["x-api-key"]

    func screen(_ head: HTTPRequestHead, peer: PeerCredentials) -> Screening {
        func refuse(_ status: HTTPResponseStatus, _ message: String, _ code: String) -> Screening {
            .refuse(ProxyReply(status: status, message: message), code: code)
        }
        let origin: (path: String, query: String?)
        switch RequestFraming.target(of: head, methods: Self.methods, upstreamName: upstreamName) {
        case .success(let value): origin = value
        case .failure(let refusal): return .refuse(refusal.reply, code: refusal.code)
        }
        // Decoded once, '..' and double encoding refused: the prefix check holds for the path the
        // upstream will route.
        guard case .success(let segments) = APIPathText.segments(origin.path), segments.first == "v1", segments.count >= 2 else {
            return refuse(.forbidden, "only Anthropic API paths under /v1/ are forwarded by the agent, not \(origin.path.prefix(200))", "path-not-allowed")
        }
        let hasBody = (try? RequestFraming.framing(of: head).get()).map { $0 != .none } ?? true
        if (head.method == .GET || head.method == .HEAD) && hasBody {
            return refuse(.badRequest, "a \(head.method.rawValue) request cannot carry a body through the agent", "bad-request")
        }
        // The model is read from the body for the audit line; the body is held (up to the API's
        // own 32 MB limit) while the upstream connection is made.
        let inspects = head.method == .POST && segments.count >= 2 && segments[1] == "messages"
        return .accept(
            ScreenedRequest(
                method: head.method, path: origin.path, query: origin.query, upstream: upstream, inspectsBody: inspects,
                host: head.headers["host"].first ?? ""))
    }

    func decide(_ request: ScreenedRequest, body: ByteBuffer?) -> ForwardingVerdict {
        .allow
    }

    func upstreamHead(for request: ScreenedRequest, clientHead: HTTPRequestHead) -> HTTPRequestHead {
        var headers = HeaderFilter.upstreamRequestHeaders(clientHead.headers)
        for name in Self.droppedHeaders { headers.remove(name: name) }
        let defaultPort = upstream.isSecure ? 443 : 80
        headers.replaceOrAdd(name: "Host", value: upstream.port.map { $0 == defaultPort ? upstream.host : "\(upstream.host):\($0)" } ?? upstream.host)
        credential.secret.withUnsafeBytes { bytes in
            let value = String(decoding: bytes, as: UTF8.self)
            switch credential.kind {
            case .apiKey: headers.replaceOrAdd(name: "x-api-key", value: value)
            case .oauthToken: headers.replaceOrAdd(name: "Authorization", value: "Bearer " + value)
            }
        }
        if credential.kind == .oauthToken {
            let betas = headers["anthropic-beta"].flatMap { $0.split(separator: ",") }.map { Substring($0).trimmed() }
            if !betas.contains(Self.oauthBeta) {
                headers.replaceOrAdd(name: "anthropic-beta", value: (betas + [Self.oauthBeta]).joined(separator: ","))
            }
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: upstream.path + request.target, headers: headers)
    }

    func body(of reply: ProxyReply) -> String {
        reply.anthropicBody
    }

    func auditDetails(for request: ScreenedRequest, body: ByteBuffer?) -> [(String, String)] {
        guard let body, let model = Self.model(in: body.readableBytesView) else { return [] }
        return [("model", model)]
    }

    /// The top-level `"model"` of a Messages request, found without parsing the whole body: the
    /// first `"model"` key followed by a plain string (at most 128 characters, no escapes). For
    /// the audit line only; nothing is decided on it.
    static func model(in bytes: some Collection<UInt8>) -> String? {
        let key = Array("\"model\"".utf8)
        let data = Array(bytes.prefix(1 << 20))
        guard let start = data.firstRange(of: key)?.upperBound else { return nil }
        var index = start
        func skipSpace() { while index < data.count, [0x20, 0x09, 0x0A, 0x0D].contains(data[index]) { index += 1 } }
        skipSpace()
        guard index < data.count, data[index] == UInt8(ascii: ":") else { return nil }
        index += 1
        skipSpace()
        guard index < data.count, data[index] == UInt8(ascii: "\"") else { return nil }
        let valueStart = index + 1
        guard let end = data[valueStart...].prefix(129).firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let value = data[valueStart..<end]
        guard value.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }
}
