import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOHTTP1
import Synchronization

/// Asks GitHub for an installation token: signs a JWT (`AppJWT`), finds the installation (given,
/// or the one on the first repository of `ALLOWED_REPOS`), and mints a token limited to the
/// listed repositories of the installation's account and to `contents`, `pull_requests`,
/// `issues` (and `workflows` only with `GITHUB_APP_WORKFLOWS=true`).
struct AppTokenMinter: Sendable {
    let http: HTTPClient
    let apiURL: UpstreamURL
    let app: GitHubAppConfiguration
    let privateKey: LockedSecret
    let allowlist: RepositoryAllowlist

    /// One clear line about what went wrong, for `agent-status` and the audit log.
    struct Failure: Error, CustomStringConvertible {
        let code: String
        let description: String
    }

    struct Minted {
        let current: InstallationTokens.Current
        let installationID: String
        let account: String
        /// The repositories the token was limited to (`nil`: all of the installation's).
        let repositories: [String]?
    }

    var permissions: [String: String] {
        var permissions = ["contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"]
        if app.allowsWorkflows { permissions["workflows"] = "write" }
        return permissions
    }

    func mint(installation known: String?) async throws(Failure) -> Minted {
        let installation: String
        if let known { installation = known } else { installation = try await findInstallation() }
        let (status, _, body) = try await send("GET", "/app/installations/\(installation)", body: nil)
        guard status == 200, let json = JSONValue.parse(body), let account = json["account"]?["login"]?.string else {
            throw problem(status, body, about: "installation \(installation)")
        }
        if let suspended = json["suspended_at"], suspended != .null {
            throw Failure(code: "app-installation-suspended", description: "the GitHub App installation \(installation) is suspended")
        }
        let repositories = try limitedRepositories(account: account)
        let granted = permissions.sorted { $0.key < $1.key }.map { "\(JSONLine.quoted($0.key)):\(JSONLine.quoted($0.value))" }
        var request = "{\"permissions\":{\(granted.joined(separator: ","))}"
        if let repositories { request += ",\"repositories\":[\(repositories.map(JSONLine.quoted).joined(separator: ","))]" }
        request += "}"
        let (mintStatus, headers, answer) = try await send("POST", "/app/installations/\(installation)/access_tokens", body: request)
        guard mintStatus == 201 else { throw problem(mintStatus, answer, about: "installation \(installation)", headers: headers) }
        var bytes = answer
        guard let secret = AppTokenAnswers.takeToken(from: &bytes), let parsed = JSONValue.parse(bytes),
            let expiresAt = parsed["expires_at"]?.string, let expiry = AppTokenAnswers.seconds(iso8601: expiresAt)
        else {
            throw Failure(code: "app-token-unreadable", description: "GitHub's answer to the installation token request cannot be read")
        }
        // The lifetime on GitHub's clock (its Date header), counted from now on ours: a skewed
        // clock here does not make the agent keep an expired token.
        let serverNow = headers.first(name: "date").flatMap(AppTokenAnswers.seconds(httpDate:)) ?? Self.now()
        // Used until shortly before: GitHub's Date has whole seconds, and a request takes time.
        let lifetime = max(0, expiry - serverNow)
        let usable = max(0, lifetime - 1 - min(60, lifetime / 10))
        let current = InstallationTokens.Current(secret: secret, validUntil: .now + .seconds(usable), expiresAt: expiresAt)
        return Minted(current: current, installationID: installation, account: account, repositories: repositories)
    }

    /// `repositories` for the token: the listed names of the installation's account; `nil` when
    /// the list names the whole account (`owner/*`).
    private func limitedRepositories(account: String) throws(Failure) -> [String]? {
        let mine = allowlist.patterns.filter { $0.owner == account.lowercased() }
        if mine.contains(where: { $0.name == nil }) { return nil }
        let names = mine.compactMap(\.name)
        guard !names.isEmpty else {
            throw Failure(
                code: "app-no-repositories",
                description: "no repository of ALLOWED_REPOS (\(allowlist.listed)) belongs to the App installation's account '\(account)'")
        }
        return names
    }

    private func findInstallation() async throws(Failure) -> String {
        guard let first = allowlist.patterns.first else {
            throw Failure(code: "app-no-installation", description: "GITHUB_APP_INSTALLATION_ID is not set and ALLOWED_REPOS is empty")
        }
        let paths =
            first.name.map { ["/repos/\(first.owner)/\($0)/installation"] } ?? ["/orgs/\(first.owner)/installation", "/users/\(first.owner)/installation"]
        var last = Failure(code: "app-no-installation", description: "the GitHub App is not installed on \(first)")
        for path in paths {
            let (status, _, body) = try await send("GET", path, body: nil)
            if status == 200, let id = JSONValue.parse(body)?["id"]?.integer { return String(id) }
            if status != 404 { last = problem(status, body, about: "\(first)") }
        }
        if last.code == "app-no-installation" {
            last = Failure(
                code: "app-no-installation",
                description: "the GitHub App is not installed on \(first) (the first of ALLOWED_REPOS); install it or set GITHUB_APP_INSTALLATION_ID")
        }
        throw last
    }

    /// The one line for a refusal: a skewed clock, a revoked installation, a wrong key.
    private func problem(_ status: Int, _ body: [UInt8], about subject: String, headers: HTTPHeaders = [:]) -> Failure {
        let message = AppTokenAnswers.message(body)
        switch status {
        case 401:
            if let skew = lastSkew.withLock({ $0 }), abs(skew) > 30 {
                return Failure(
                    code: "app-clock-skew",
                    description:
                        "this machine's clock is \(Self.amount(ofSkew: skew)) \(skew > 0 ? "ahead of" : "behind") GitHub's, so GitHub refuses the App's JWT; set the clock (NTP)"
                )
            }
            return Failure(
                code: "app-jwt-refused", description: "GitHub refused the App's JWT (401 \(message)); check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY_FILE")
        case 404:
            return Failure(
                code: "app-installation-revoked",
                description: "GitHub does not know the App's \(subject) (404): the App was uninstalled or its installation revoked")
        case 403 where message.lowercased().contains("suspend"):
            return Failure(code: "app-installation-suspended", description: "the GitHub App's \(subject) is suspended (403)")
        default:
            return Failure(code: "app-token-refused", description: "GitHub answered \(status) about the App's \(subject): \(message)")
        }
    }

    private let lastSkew = SkewBox()

    /// The skew as a person reads it: GitHub's Date header has whole seconds and the answer takes
    /// time to arrive, so past two minutes only whole minutes are meaningful.
    static func amount(ofSkew skew: Int64) -> String {
        let seconds = abs(skew)
        return seconds < 120 ? "about \(seconds) s" : "about \((seconds + 30) / 60) minutes"
    }

    private func send(_ method: String, _ path: String, body: String?) async throws(Failure) -> (Int, HTTPHeaders, [UInt8]) {
        let jwt: String
        do {
            jwt = try AppJWT.make(appID: app.appID, privateKey: privateKey, now: Self.now())
        } catch {
            throw Failure(code: "app-key-unusable", description: error.description)
        }
        var request = HTTPClientRequest(url: apiURL.description + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "User-Agent", value: "command-agent/\(AgentVersion.current)")
        request.headers.add(name: "Authorization", value: "Bearer \(jwt)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            let collected = try await response.body.collect(upTo: 1 << 20)
            if let date = response.headers.first(name: "date").flatMap(AppTokenAnswers.seconds(httpDate:)) {
                lastSkew.withLock { $0 = Self.now() - date }
            }
            return (Int(response.status.code), response.headers, Array(collected.readableBytesView))
        } catch {
            throw Failure(code: "app-upstream-failed", description: "cannot reach \(apiURL) for the App's token: \(error)")
        }
    }

    static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }
}

/// The last difference between this machine's clock and GitHub's `Date`, in seconds.
final class SkewBox: Sendable {
    private let value = Mutex<Int64?>(nil)
    func withLock<Result: Sendable>(_ body: (inout Int64?) -> Result) -> Result { value.withLock { body(&$0) } }
}
