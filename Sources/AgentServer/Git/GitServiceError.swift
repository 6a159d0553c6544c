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

    /// Longer messages are cut: they may quote what a client sent or libgit2's wording of it,
    /// and a refusal must not echo a whole request back into the reply and the audit log.
    static let maximumMessageLength = 2_000

    var message: String {
        let message =
            switch self {
            case .badRequest(let message), .refused(let message, _), .failed(let message, _): message
            }
        return message.count > Self.maximumMessageLength ? String(message.prefix(Self.maximumMessageLength)) + "…" : message
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
