/// Removes the token from text before it leaves the agent (replies, logs, errors).
///
/// It compares bytes in place: no `String` copy of the token is ever made.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"
    private let secret: LockedSecret?

    /// - Parameter secret: the token; `nil` makes a redactor that changes nothing.
    public init(secret: LockedSecret?) {
        self.secret = secret
    }

    /// `text` with every occurrence of the token replaced by `[REDACTED]`.
    public func redact(_ text: String) -> String {
        guard let secret, secret.count > 0 else { return text }
        let bytes = Array(text.utf8)
        guard bytes.count >= secret.count else { return text }
        return secret.withUnsafeBytes { token in
            var output: [UInt8] = []
            var index = 0
            var changed = false
            output.reserveCapacity(bytes.count)
            while index < bytes.count {
                if bytes[index] == token[0], index + token.count <= bytes.count,
                    bytes[index..<(index + token.count)].elementsEqual(token)
                {
                    output.append(contentsOf: Redactor.replacement.utf8)
                    index += token.count
                    changed = true
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            return changed ? String(decoding: output, as: UTF8.self) : text
        }
    }
}
