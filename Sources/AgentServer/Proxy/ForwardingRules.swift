import AgentSystem
import NIOCore
import NIOHTTP1

/// What one forwarding socket (`gh.sock`, `anthropic.sock`) decides, and where and how it sends
/// what it allows. The exchange itself (framing, deadlines, back-pressure, reuse of upstream
/// connections) is `ExchangeHandler`'s and the same for every socket.
protocol ForwardingRules: Sendable {
    /// For audit lines: `gh.sock`.
    var socketName: String { get }
    /// Who is upstream, for the agent's own replies: `GitHub`.
    var upstreamName: String { get }
    /// Settled from the head alone: refuse, or accept (and whether the body must be read first).
    func screen(_ head: HTTPRequestHead, peer: PeerCredentials) -> Screening
    /// Decides an accepted request; `body` is there when `ScreenedRequest.inspectsBody` asked for it.
    func decide(_ request: ScreenedRequest, body: ByteBuffer?) -> ForwardingVerdict
    /// The head to send upstream: the client's head filtered, the credential added.
    func upstreamHead(for request: ScreenedRequest, clientHead: HTTPRequestHead) -> HTTPRequestHead
    /// The body of the agent's own reply, shaped as the upstream shapes its errors (so that the
    /// client prints it).
    func body(of reply: ProxyReply) -> String
    /// Fields for the request's audit line beyond method, host, path and status.
    func auditDetails(for request: ScreenedRequest, body: ByteBuffer?) -> [(String, String)]
}

extension ForwardingRules {
    func auditDetails(for request: ScreenedRequest, body: ByteBuffer?) -> [(String, String)] { [] }

    /// The body of the agent's own reply, shaped as the upstream shapes its errors.
    func body(of reply: ProxyReply) -> String { reply.body }
}

/// A request head the rules accepted for a decision.
struct ScreenedRequest: Sendable {
    /// The method, as it will be sent.
    let method: HTTPMethod
    /// The origin-form path, without the query.
    let path: String
    /// The text after `?`, when there is one.
    let query: String?
    /// Where it goes if allowed.
    let upstream: UpstreamURL
    /// The rules decide on the body, so it is read (bounded) before anything is forwarded.
    let inspectsBody: Bool
    /// The host the client named, for audit lines.
    let host: String

    /// `path?query`, as the upstream gets it (after its base path).
    var target: String { query.map { path + "?" + $0 } ?? path }
}

enum Screening: Sendable {
    case refuse(ProxyReply, code: String)
    case accept(ScreenedRequest)
}

/// The rules' answer about a request.
enum ForwardingVerdict: Sendable {
    case allow
    /// Allowed; once the response has ended, `observe` gets its status and the start of its body
    /// (`ResponseObservation.maximumBody` bytes), to record what the request did (a branch it created).
    case allowObserving(observe: @Sendable (_ status: Int, _ bodyPrefix: [UInt8]) -> Void)
    case refuse(ProxyReply, code: String)
    /// Facts must be looked up first; the closure does so and decides again.
    case lookUp(@Sendable () async -> ForwardingVerdict)
}

/// The parts of request framing every forwarding socket checks the same way.
enum RequestFraming {
    /// How the head frames its body, or why it is refused. One `Content-Length` (a valid number,
    /// repeated copies only if equal) or `Transfer-Encoding: chunked` alone, never both.
    static func framing(of head: HTTPRequestHead) -> Result<ExchangeStateMachine.Framing, ProxyReply> {
        let lengths = head.headers["content-length"]
        let encodings = head.headers["transfer-encoding"]
        if !encodings.isEmpty {
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmed().lowercased() }
            guard codings == ["chunked"], lengths.isEmpty else {
                return .failure(ProxyReply(status: .badRequest, message: "the agent accepts Transfer-Encoding: chunked alone, without Content-Length"))
            }
            return .success(.chunked)
        }
        guard let first = lengths.first else { return .success(.none) }
        guard lengths.allSatisfy({ $0 == first }), first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), first.utf8.count <= 12,
            let length = Int(first)
        else {
            return .failure(ProxyReply(status: .badRequest, message: "the request's Content-Length is not one number"))
        }
        return .success(length == 0 ? .none : .length(length))
    }

    /// Only origin-form targets (`/path?query`) are served: absolute-form
    /// (`http://evil.example/x`), authority-form (`CONNECT host:port`) and asterisk-form
    /// (`OPTIONS *`) are refused, and so are fragments and bytes a URL cannot hold.
    static func originForm(_ uri: String) -> Result<(path: String, query: String?), ProxyReply> {
        guard uri.hasPrefix("/"), !uri.hasPrefix("//") else {
            return .failure(ProxyReply(status: .badRequest, message: "the request target must be a path starting with '/' (no absolute URLs)"))
        }
        guard uri.utf8.count <= 8192, uri.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            return .failure(ProxyReply(status: .badRequest, message: "the request target is too long or holds characters a URL path cannot"))
        }
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return .success((String(parts[0]), parts.count > 1 ? String(parts[1]) : nil))
    }

    /// The origin-form target of a head whose method is one of `methods`, or the refusal.
    static func target(of head: HTTPRequestHead, methods: Set<String>, upstreamName: String) -> Result<(path: String, query: String?), Refusal> {
        let origin: (path: String, query: String?)
        switch originForm(head.uri) {
        case .success(let value): origin = value
        case .failure(let reply): return .failure(Refusal(reply: reply, code: "bad-request"))
        }
        guard methods.contains(head.method.rawValue) else {
            return .failure(
                Refusal(
                    reply: ProxyReply(status: .methodNotAllowed, message: "\(head.method.rawValue) is not a method the agent forwards to \(upstreamName)"),
                    code: "method-not-allowed"))
        }
        return .success(origin)
    }

    /// A reply the rules chose, and its audit code.
    struct Refusal: Error {
        let reply: ProxyReply
        let code: String
    }

    /// `Expect: 100-continue` (any other expectation is refused by the caller).
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }
}
