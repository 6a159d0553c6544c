import Foundation
import Synchronization
import _CryptoExtras

/// A GitHub App as GitHub's API plays it, for the fixture server: it verifies the agent's JWTs
/// with the App's public key (`Fixtures/github-app/`), answers the installation endpoints, mints
/// installation tokens that expire, and, once it is on, demands a valid token on every other
/// request, counting any that comes with an expired or unknown one.
public final class FixtureGitHubApp: Sendable {
    public struct Settings: Sendable {
        public var appID = "12345"
        public var installationID = "678"
        public var account = "o"
        /// Seconds a token lives (GitHub: 3600).
        public var tokenLifetime = 3600
        /// This fixture's clock minus the real one (a skewed machine, seen from GitHub).
        public var clockOffset = 0
        /// The installation was removed: its endpoints answer 404.
        public var isRevoked = false

        public init() {}
    }

    /// One token request that was granted.
    public struct Mint: Sendable {
        public let token: String
        /// Seconds since 1970 on the fixture's clock.
        public let expiresAt: Int
        /// The request's JSON body (`repositories`, `permissions`).
        public let request: [String: any Sendable]
    }

    struct State {
        var mints: [Mint] = []
        var expiredUses: [String] = []
        var unknownUses: [String] = []
        var refusedJWTs: [String] = []
    }

    public let settings: Settings
    /// Where minted tokens are written (`TOKEN EXPIRY` lines, real clock) for the fixture git server.
    public let tokenFile: String
    private let publicKey: _RSA.Signing.PublicKey
    private let state = Mutex(State())

    public init(settings: Settings = Settings(), tokenFile: String) throws {
        self.settings = settings
        self.tokenFile = tokenFile
        publicKey = try _RSA.Signing.PublicKey(pemRepresentation: String(contentsOf: FixturePaths.url("github-app/app-public-key.pem"), encoding: .utf8))
        try "".write(toFile: tokenFile, atomically: true, encoding: .utf8)
    }

    public static var privateKeyFile: String { FixturePaths.url("github-app/app-private-key.pem").path }
    public static var otherPrivateKeyFile: String { FixturePaths.url("github-app/other-private-key.pem").path }

    public var mints: [Mint] { state.withLock { $0.mints } }
    /// Requests that came with an installation token after it had expired.
    public var expiredTokenUses: [String] { state.withLock { $0.expiredUses } }
    /// Requests with a token this App never minted (a PAT, a placeholder, nothing).
    public var unknownTokenUses: [String] { state.withLock { $0.unknownUses } }
    /// Why JWTs were refused.
    public var refusedJWTs: [String] { state.withLock { $0.refusedJWTs } }

    /// Seconds since 1970 on this fixture's clock.
    public var now: Int { Int(Date().timeIntervalSince1970) + settings.clockOffset }

    /// An HTTP `Date` for now on this fixture's clock.
    var dateHeader: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(now)))
    }

    /// The answer to an App endpoint, or `nil` when `path` is none.
    func answer(method: String, path: String, authorization: String?, body: Data) -> (Int, String)? {
        let installation = "/app/installations/\(settings.installationID)"
        let isAppRoute = path.hasPrefix("/app/") || path.hasSuffix("/installation")
        guard isAppRoute else { return nil }
        if let refusal = checkJWT(authorization) { return (401, #"{"message":"\#(refusal)"}"#) }
        if settings.isRevoked, path.hasPrefix(installation) || path.hasSuffix("/installation") { return (404, #"{"message":"Not Found"}"#) }
        switch (method, path) {
        case ("GET", installation):
            return (200, #"{"id":\#(settings.installationID),"account":{"login":"\#(settings.account)"},"suspended_at":null}"#)
        case ("GET", "/repos/\(settings.account)/app/installation"), ("GET", "/orgs/\(settings.account)/installation"):
            return (200, #"{"id":\#(settings.installationID)}"#)
        case ("POST", installation + "/access_tokens"):
            return mint(body)
        default:
            return (404, #"{"message":"Not Found"}"#)
        }
    }

    private func mint(_ body: Data) -> (Int, String) {
        let request = (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let token = "ghs_" + String((0..<36).map { _ in alphabet.randomElement() ?? "x" })
        let expiresAt = now + settings.tokenLifetime
        var sendable: [String: any Sendable] = [:]
        if let repositories = request["repositories"] as? [String] { sendable["repositories"] = repositories }
        if let permissions = request["permissions"] as? [String: String] { sendable["permissions"] = permissions }
        let mints = state.withLock { state in
            state.mints.append(Mint(token: token, expiresAt: expiresAt, request: sendable))
            return state.mints
        }
        // For the git server: expiry on the real clock.
        let lines = mints.map { "\($0.token) \($0.expiresAt - settings.clockOffset)\n" }.joined()
        try? lines.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(expiresAt)))
        return (201, #"{"token":"\#(token)","expires_at":"\#(stamp)","permissions":{}}"#)
    }

    /// Whether a request to any other route carries a valid installation token.
    func accepts(authorization: String?, request: String) -> Bool {
        let token = authorization.map { $0.replacingOccurrences(of: "token ", with: "").replacingOccurrences(of: "Bearer ", with: "") } ?? ""
        let now = self.now
        return state.withLock { state in
            guard let mint = state.mints.first(where: { $0.token == token }) else {
                state.unknownUses.append(request)
                return false
            }
            guard now < mint.expiresAt else {
                state.expiredUses.append(request)
                return false
            }
            return true
        }
    }

    /// `nil` when `authorization` is `Bearer` + a JWT this App signed that is valid now; else why not.
    private func checkJWT(_ authorization: String?) -> String? {
        let refusal: String? = {
            guard let authorization, authorization.hasPrefix("Bearer ") else { return "A JSON web token could not be decoded" }
            let parts = authorization.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let header = Self.decode(parts[0]), let payload = Self.decode(parts[1]), let signature = Self.decode(parts[2]),
                let headerJSON = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
                let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
            else { return "A JSON web token could not be decoded" }
            guard headerJSON["alg"] as? String == "RS256" else { return "'alg' must be RS256" }
            guard
                publicKey.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: signature), for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5)
            else { return "A JSON web token could not be decoded (signature)" }
            guard claims["iss"] as? String == settings.appID || (claims["iss"] as? Int).map(String.init) == settings.appID else {
                return "'Issuer' claim ('iss') must be the App id"
            }
            guard let issued = claims["iat"] as? Int, let expires = claims["exp"] as? Int else { return "'iat' and 'exp' must be integers" }
            if issued > now { return "'Issued at' claim ('iat') must be an Integer representing a time in the past" }
            if expires <= now { return "'Expiration time' claim ('exp') is too far in the past" }
            if expires - issued > 600 { return "'Expiration time' claim ('exp') is too far in the future" }
            return nil
        }()
        if let refusal { state.withLock { $0.refusedJWTs.append(refusal) } }
        return refusal
    }

    private static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
