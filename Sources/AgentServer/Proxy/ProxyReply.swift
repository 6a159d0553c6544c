import AgentPolicy
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The proxy's own answers, shaped like GitHub's errors (`{"message": …}`) so that gh prints them.
struct ProxyReply: Error, Hashable, Sendable {
    let status: HTTPResponseStatus
    let message: String

    static func denied(_ denial: Denial) -> ProxyReply { ProxyReply(status: .forbidden, message: denial.message) }

    /// GitHub's error shape.
    var body: String {
        "{\"message\":\(JSONLine.quoted(message))}\n"
    }

    /// Anthropic's error shape (`{"type":"error","error":{"type":…,"message":…}}`), which Claude
    /// Code prints.
    var anthropicBody: String {
        let kind =
            switch status.code {
            case 400, 413, 415, 417: "invalid_request_error"
            case 401: "authentication_error"
            case 403: "permission_error"
            case 408, 504: "timeout_error"
            default: "api_error"
            }
        return "{\"type\":\"error\",\"error\":{\"type\":\"\(kind)\",\"message\":\(JSONLine.quoted(message))}}\n"
    }

    func head(version: HTTPVersion, body: String? = nil) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String((body ?? self.body).utf8.count))
        headers.add(name: "Connection", value: "close")
        return HTTPResponseHead(version: version, status: status, headers: headers)
    }
}

extension ProxyReply {
    /// The reply when the upstream cannot be reached or does not answer: 504 for a timeout,
    /// 502 otherwise.
    static func upstreamFailure(_ error: any Error, upstream: String) -> ProxyReply {
        let timedOut: Bool
        switch error {
        case let error as HTTPClientError:
            timedOut = error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout || error == .writeTimeout
        case let error as ChannelError:
            if case .connectTimeout = error { timedOut = true } else { timedOut = false }
        case UpstreamError.readTimeout:
            timedOut = true
        default:
            timedOut = false
        }
        if timedOut {
            return ProxyReply(status: .gatewayTimeout, message: "\(upstream) did not answer the command agent in time")
        }
        return ProxyReply(status: .badGateway, message: "the command agent could not reach \(upstream): \(error)")
    }
}
