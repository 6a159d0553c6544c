import NIOHTTP1

/// Which client headers may go upstream, and which upstream headers may come back.
enum HeaderFilter {
    /// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the proxy sets itself.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// The client's headers without `Authorization`, `Proxy-*`, `Host`, `Content-Length` (the
    /// client library sets those) and hop-by-hop headers, including any named in `Connection`.
    static func upstreamRequestHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        let connectionValues = headers["connection"]
        let named = connectionValues.isEmpty ? [] : Set(connectionValues.flatMap { $0.split(separator: ",") }.map { $0.trimmed().lowercased() })
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lowered = name.lowercased()
            // Servers behind Rack read `X_HTTP_Method_Override` as `X-HTTP-Method-Override`:
            // names with '_' are dropped (as nginx does by default).
            if lowered.contains("_") || hopByHop.contains(lowered) || droppedRequestHeaders.contains(lowered) || lowered.hasPrefix("proxy-")
                || lowered.hasPrefix("x-forwarded-")
            {
                continue
            }
            if !named.isEmpty, named.contains(lowered) { continue }
            result.add(name: name, value: value)
        }
        return result
    }

    /// Set by the proxy itself (`Host`, `Content-Length`, the token) or never forwarded: cookies,
    /// `Expect` (the agent answers `100 Continue` itself), headers that make a server treat the
    /// request as another method (`X-HTTP-Method-Override` and kin) or as coming from elsewhere
    /// (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`), and URL overrides some servers honour.
    static let droppedRequestHeaders: Set<String> = [
        "authorization", "host", "content-length", "cookie", "expect", "x-http-method-override", "x-http-method",
        "x-method-override", "forwarded", "x-real-ip", "x-client-ip", "x-original-url", "x-rewrite-url", "true-client-ip", "via",
    ]

    /// The upstream's response headers without hop-by-hop ones; the proxy adds `Connection: close`.
    static func clientResponseHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        var result = HTTPHeaders()
        for (name, value) in headers where !hopByHop.contains(name.lowercased()) && name.lowercased() != "set-cookie" {
            result.add(name: name, value: value)
        }
        result.add(name: "Connection", value: "close")
        return result
    }
}

extension Substring {
    func trimmed() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
