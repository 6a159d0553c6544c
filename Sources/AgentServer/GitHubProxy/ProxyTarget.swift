import AgentPolicy

/// Where a request for one of GitHub's hosts really goes.
struct ProxyTarget: Sendable {
    enum Host: String, Sendable {
        case api = "api.github.com"
        case uploads = "uploads.github.com"
        case web = "github.com"
    }

    let api: UpstreamURL
    let uploads: UpstreamURL
    let web: UpstreamURL

    init(configuration: AgentConfiguration) {
        api = configuration.githubAPIURL
        web = configuration.githubURL
        // github.com's uploads host; GitHub Enterprise serves uploads beside /api/v3; a test
        // server (any other API URL) serves everything itself.
        if api.host == "api.github.com" {
            uploads = UpstreamURL(scheme: "https", host: "uploads.github.com", port: nil, path: "")
        } else if api.path.hasSuffix("/api/v3") {
            uploads = UpstreamURL(scheme: api.scheme, host: api.host, port: api.port, path: String(api.path.dropLast(3)) + "/uploads")
        } else {
            uploads = api
        }
    }

    /// The host named by a `Host` header (port and case ignored), or a denial.
    static func host(_ header: String?) -> Result<Host, Denial> {
        guard let header, !header.isEmpty else {
            return .failure(Denial(.hostNotAllowed, "the request has no Host header"))
        }
        var name = header.lowercased()
        if let colon = name.lastIndex(of: ":"), !name.hasSuffix("]") { name = String(name[..<colon]) }
        if name.hasSuffix(".") { name.removeLast() }
        guard let host = Host(rawValue: name) else {
            return .failure(Denial(.hostNotAllowed, "host '\(header.prefix(100))' is not GitHub (only api.github.com, uploads.github.com and github.com)"))
        }
        return .success(host)
    }

    func base(for host: Host) -> UpstreamURL {
        switch host {
        case .api: api
        case .uploads: uploads
        case .web: web
        }
    }
}
