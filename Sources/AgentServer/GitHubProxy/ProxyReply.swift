import AgentPolicy
import NIOCore
import NIOHTTP1

/// The proxy's own answers, shaped like GitHub's errors (`{"message": …}`) so that gh prints them.
struct ProxyReply: Sendable {
    let status: HTTPResponseStatus
    let message: String

    static func denied(_ denial: Denial) -> ProxyReply { ProxyReply(status: .forbidden, message: denial.message) }

    var body: String {
        "{\"message\":\(JSONLine.quoted(message))}\n"
    }

    func head(version: HTTPVersion) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        return HTTPResponseHead(version: version, status: status, headers: headers)
    }
}
