/// Removes the token from text before it leaves the agent (replies, logs, errors).
///
/// It compares bytes in place: no `String` copy of the token is ever made.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"
    private let secrets: [LockedSecret]
    /// Secrets that change while the agent runs (installation tokens), read at each use.
    private let rotating: RotatingSecrets?

    /// - Parameter secret: the token; `nil` makes a redactor that changes nothing.
    public init(secret: LockedSecret?) {
        self.secrets = secret.map { [$0] } ?? []
        self.rotating = nil
    }

    /// A redactor for every secret the agent holds.
    public init(secrets: [LockedSecret], rotating: RotatingSecrets? = nil) {
        self.secrets = secrets
        self.rotating = rotating
    }

    /// `text` with every occurrence of a secret replaced by `[REDACTED]`.
    public func redact(_ text: String) -> String {
        (secrets + (rotating?.all ?? [])).reduce(text) { redact($0, removing: $1) }
    }

    private func redact(_ text: String, removing secret: LockedSecret) -> String {
        guard secret.count > 0 else { return text }
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
