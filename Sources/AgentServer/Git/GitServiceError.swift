import AgentProtocol

/// A git request that cannot be served: the reply's `code` and `message`.
enum GitServiceError: Error, Sendable {
    /// The request itself is wrong (missing or malformed keys).
    case badRequest(String)
    /// Refused before any connection (URL, workspace, repository).
    case refused(String, code: String)
    /// The upstream or libgit2 failed.
    case failed(String, code: String)

    var code: String {
        switch self {
        case .badRequest: "bad-request"
        case .refused(_, let code), .failed(_, let code): code
        }
    }

    var message: String {
        switch self {
        case .badRequest(let message), .refused(let message, _), .failed(let message, _): message
        }
    }

    var reply: Frame {
        .error(
            code: code, message: message,
            status: {
                if case .refused = self { return Wire.Status.denied }
                return Wire.Status.error
            }())
    }
}
