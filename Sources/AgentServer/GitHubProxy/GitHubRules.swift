import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import NIOCore
import NIOHTTP1

/// `gh.sock`'s rules: the request must be one GitHub reads exactly as the agent does (an
/// origin-form target, one known host, a known method, no body on a read, a JSON body where
/// the policy reads it), then the API policy decides on everything GitHub may read: method,
/// path, query string and body. Allowed requests go to `GITHUB_API_URL` (or the uploads or web
/// host) with the token.
struct GitHubRules: ForwardingRules {
    let policy: APIPolicy
    let target: ProxyTarget
    let github: GitHubClient
    /// The session's branches: API deletions and creations are recorded (`GitHubRules+Reach.swift`).
    var ledger: BranchLedger?

    var socketName: String { "gh.sock" }
    var upstreamName: String { "GitHub" }

    /// Methods GitHub's API uses; anything else (`OPTIONS`, `TRACE`, `CONNECT`, WebDAV…) is refused.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    /// More lookup rounds than any request needs (a repository id, a pull request, then its
    /// branch, then a deleted branch's tip or a re-created one's history; then what the content
    /// rules ask once the route is settled: a ref's target, then GitHub's compare).
    static let maximumLookupRounds = 6

    func screen(_ head: HTTPRequestHead, peer: PeerCredentials) -> Screening {
        func refuse(_ status: HTTPResponseStatus, _ message: String, _ code: String = "bad-request") -> Screening {
            .refuse(ProxyReply(status: status, message: message), code: code)
        }
        let origin: (path: String, query: String?)
        switch RequestFraming.target(of: head, methods: Self.methods, upstreamName: upstreamName) {
        case .success(let value): origin = value
        case .failure(let refusal): return .refuse(refusal.reply, code: refusal.code)
        }
        let hosts = head.headers["host"]
        guard hosts.count <= 1 else { return refuse(.badRequest, "the request has more than one Host header") }
        let host: ProxyTarget.Host
        switch ProxyTarget.host(hosts.first) {
        case .success(let value): host = value
        case .failure(let denial): return .refuse(.denied(denial), code: denial.code.rawValue)
        }
        let method = head.method.rawValue
        let hasBody = (try? RequestFraming.framing(of: head).get()).map { $0 != .none } ?? true
        if (head.method == .GET || head.method == .HEAD) && hasBody {
            return refuse(.badRequest, "a \(method) request cannot carry a body through the agent")
        }
        if host == .web, let denial = ProxyRules.webDenial(method, origin.path) ?? policy.webReadDenial(path: origin.path) {
            return .refuse(.denied(denial), code: denial.code.rawValue)
        }
        let inspects = policy.needsBody(method: method, path: origin.path)
        if inspects, let problem = Self.bodyEncodingProblem(head.headers) {
            return refuse(.unsupportedMediaType, "\(method) \(origin.path) needs a JSON body the agent can read: \(problem)", "unreadable-body")
        }
        return .accept(
            ScreenedRequest(
                method: head.method, path: origin.path, query: origin.query, upstream: target.base(for: host), inspectsBody: inspects,
                host: hosts.first ?? ""))
    }

    /// Why a body the policy must read cannot be read the way GitHub will: it is compressed, or
    /// not declared as JSON (GitHub would parse a form body into other parameters).
    static func bodyEncodingProblem(_ headers: HTTPHeaders) -> String? {
        if headers["content-encoding"].contains(where: { !["", "identity"].contains(Substring($0).trimmed().lowercased()) }) {
            return "it is sent with a Content-Encoding"
        }
        let types = headers["content-type"]
        guard let type = types.first else { return nil }
        // Rack reads the media type up to the first ';' or ','; one header, no list.
        guard types.count == 1, !type.contains(",") else { return "it has more than one Content-Type" }
        let media = type.split(separator: ";").first.map { $0.trimmed().lowercased() } ?? ""
        if media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json")) { return nil }
        return "its Content-Type is '\(media.prefix(64))', not application/json"
    }

    func decide(_ request: ScreenedRequest, body: ByteBuffer?) -> ForwardingVerdict {
        if let reason = github.credential.unavailableReason {
            return .refuse(ProxyReply(status: .serviceUnavailable, message: reason), code: "no-token")
        }
        return decide(request, body: body, facts: APIFacts(), round: 0)
    }

    func decide(_ request: ScreenedRequest, body: ByteBuffer?, facts: APIFacts, round: Int) -> ForwardingVerdict {
        let method = request.method.rawValue
        let apiRequest =
            body.map { APIRequest(method: method, path: request.path, query: request.query, bodyBytes: $0.readableBytesView) }
            ?? APIRequest(method: method, path: request.path, query: request.query)
        switch policy.decide(apiRequest, facts: facts) {
        case .allow:
            return branchChanges(request, body: body, apiRequest: apiRequest, facts: facts, round: round)
        case .deny(let denial):
            return .refuse(.denied(denial), code: denial.code.rawValue)
        case .needs where round >= Self.maximumLookupRounds:
            return .refuse(ProxyReply(status: .forbidden, message: "the agent could not settle what this request changes"), code: "undecided")
        case .needs(let lookups):
            let resolver = UpstreamLookups(github: github, base: target.api)
            return .lookUp {
                var learned = facts
                do throws(ProxyFailure) {
                    try await resolver.resolve(lookups, into: &learned)
                } catch {
                    return .refuse(error.reply, code: "lookup-failed")
                }
                return decide(request, body: body, facts: learned, round: round + 1)
            }
        }
    }

    func upstreamHead(for request: ScreenedRequest, clientHead: HTTPRequestHead) -> HTTPRequestHead {
        let base = request.upstream
        var headers = HeaderFilter.upstreamRequestHeaders(clientHead.headers)
        let defaultPort = base.isSecure ? 443 : 80
        headers.replaceOrAdd(name: "Host", value: base.port.map { $0 == defaultPort ? base.host : "\(base.host):\($0)" } ?? base.host)
        github.withAuthorization { headers.replaceOrAdd(name: "Authorization", value: $0) }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: base.path + request.target, headers: headers)
    }
}

/// Decisions about a request that need no policy state.
enum ProxyRules {
    /// github.com itself: reads only, and never git's smart-HTTP endpoints, which would be a push
    /// with the token that bypasses the git policy.
    static func webDenial(_ method: String, _ path: String) -> Denial? {
        let lowered = (APIPathText.decodedOnce(path) ?? path).lowercased()
        if method != "GET" && method != "HEAD" {
            return Denial(.apiWriteNotAllowed, "\(method) \(path) on github.com is not allowed through the agent (only reads)")
        }
        if lowered.contains(".git/") || lowered.contains("/info/refs") || lowered.contains("git-upload-pack") || lowered.contains("git-receive-pack")
            || lowered.hasSuffix(".git")
        {
            return Denial(.apiWriteNotAllowed, "git over gh.sock is not allowed; git goes through git.sock")
        }
        return nil
    }
}
