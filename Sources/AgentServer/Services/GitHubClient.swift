import AgentSystem
import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The agent's HTTP client for GitHub's API: TLS verified (plus `AGENT_CA_FILE`), no redirects
/// (a redirect could carry the token elsewhere), no proxy from the environment.
public final class GitHubClient: Sendable {
    public let apiURL: UpstreamURL
    let http: HTTPClient
    /// The token sent, read at each use (a GitHub App's is renewed while the agent runs).
    let credential: GitHubCredential
    private let cachedLogin = Mutex<(at: ContinuousClock.Instant, lookup: LoginLookup)?>(nil)

    private let tls: TLSConfiguration

    public convenience init(apiURL: UpstreamURL, caFile: String?, secret: LockedSecret) {
        self.init(apiURL: apiURL, caFile: caFile, credential: GitHubCredential(.personalToken(secret)))
    }

    init(apiURL: UpstreamURL, caFile: String?, credential: GitHubCredential) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.additionalTrustRoots = [.file(caFile)] }
        self.tls = tls
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60))
        )
        configuration.decompression = .disabled
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.apiURL = apiURL
        self.credential = credential
    }

    /// The same TLS settings for the proxy's own upstream connections.
    func makeTLSContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: tls)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The `Authorization` header value, built inside the caller's scope only; `body` is not
    /// called when there is no valid token (an expired App token is never sent).
    @discardableResult
    func withAuthorization<Result>(_ body: (String) throws -> Result) rethrows -> Result? {
        guard let value = credential.authorizationValue() else { return nil }
        return try body(value)
    }

    /// What `GET /user` said about the token.
    public enum LoginLookup: Sendable, Equatable {
        case login(String)
        case failed(String)
    }

    /// The login the token belongs to; answers are cached (10 minutes, failures 30 seconds).
    public func currentLogin() async -> LoginLookup {
        if let cached = cachedLogin.withLock({ $0 }) {
            let age = ContinuousClock.now - cached.at
            if case .login = cached.lookup, age < .seconds(600) { return cached.lookup }
            if case .failed = cached.lookup, age < .seconds(30) { return cached.lookup }
        }
        let lookup = await fetchLogin()
        cachedLogin.withLock { $0 = (.now, lookup) }
        return lookup
    }

    private func fetchLogin() async -> LoginLookup {
        var request = HTTPClientRequest(url: apiURL.description + "/user")
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "User-Agent", value: "command-agent/\(AgentVersion.current)")
        withAuthorization { request.headers.add(name: "Authorization", value: $0) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(2))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            return .failed("cannot reach GitHub: \(apiURL.host) did not answer GET /user (\(error))")
        }
        switch response.status {
        case .ok: break
        case .unauthorized:
            return .failed("GitHub rejected the token (\(apiURL.host) answered 401 to GET /user): renew it, or check GITHUB_TOKEN")
        default:
            return .failed("\(apiURL.host) answered \(response.status.code) to GET /user")
        }
        struct User: Decodable { let login: String }
        guard let user = try? JSONDecoder().decode(User.self, from: Data(buffer: body)) else {
            return .failed("\(apiURL.host) answered GET /user without a login")
        }
        return .login(user.login)
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
