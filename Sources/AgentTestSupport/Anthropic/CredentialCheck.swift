import Foundation

/// Checks what credential requests carried to the fixture Messages API: each must carry the
/// credential the agent holds, in the header that belongs to its kind, and nothing may carry
/// the claude container's placeholder anywhere (head or body).
public struct CredentialCheck: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `x-api-key: KEY`, no `Authorization`.
        case apiKey = "api-key"
        /// `Authorization: Bearer TOKEN`, no `x-api-key`.
        case oauthToken = "oauth-token"
    }

    public let kind: Kind
    public let credential: String
    public let placeholder: String

    public init(kind: Kind, credential: String, placeholder: String) {
        self.kind = kind
        self.credential = credential
        self.placeholder = placeholder
    }

    /// One line per problem; empty when every request is as it should be. Problems name the
    /// request and the header, never a header's value (the value may be the real credential).
    public func problems(in requests: [RecordedHTTPRequest]) -> [String] {
        guard !requests.isEmpty else { return ["no request reached the fixture Messages API"] }
        var problems: [String] = []
        for (number, request) in requests.enumerated() {
            let name = "request \(number + 1) (\(request.method) \(request.path))"
            let apiKeys = request.headerValues("x-api-key")
            let authorizations = request.headerValues("authorization")
            switch kind {
            case .apiKey:
                if apiKeys != [credential] { problems.append("\(name): x-api-key is not the agent's key (\(apiKeys.count) value(s))") }
                if !authorizations.isEmpty { problems.append("\(name): carries an Authorization header") }
            case .oauthToken:
                if authorizations != ["Bearer \(credential)"] { problems.append("\(name): Authorization is not the agent's token") }
                if !apiKeys.isEmpty { problems.append("\(name): carries an x-api-key header") }
            }
            let head = request.headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
            if head.contains(placeholder) || String(decoding: request.body, as: UTF8.self).contains(placeholder) {
                problems.append("\(name): carries the placeholder credential")
            }
        }
        return problems
    }
}
