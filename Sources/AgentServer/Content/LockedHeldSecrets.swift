import AgentPolicy
import AgentSystem

/// The secrets the agent holds, lent to the content scanner in every form it looks for.
///
/// The exact form is read in place from the secret's own locked buffer; the base64 forms, which
/// are as secret, are written once into locked buffers of their own (`LockedSecret`: `mlock`ed,
/// `MADV_DONTDUMP`, zeroed by `wipe` and on release). No `String` or heap copy is made.
public final class LockedHeldSecrets: HeldSecretSource, @unchecked Sendable {
    // Written once in init; read only afterwards (wipe at shutdown, after every reader stopped).
    private struct Entry {
        let secret: LockedSecret
        let kind: String
        let encoded: LockedSecret?
        let encodedForms: [Range<Int>]
    }

    private let entries: [Entry]

    /// - Parameter secrets: each secret with what a finding calls it (`the agent's GitHub token`).
    public init(_ secrets: [(secret: LockedSecret, kind: String)]) {
        entries = secrets.filter { $0.secret.count > 0 }.map { secret, kind in
            var forms: [Range<Int>] = []
            let encoded: LockedSecret?
            if HeldSecretForms.capacity(forSecretOf: secret.count) <= LockedSecret.capacity {
                encoded = try? LockedSecret { (buffer: UnsafeMutableRawBufferPointer) throws(TokenError) -> Int in
                    let ranges = secret.withUnsafeBytes { HeldSecretForms.write($0, into: buffer) }
                    forms = Array(ranges.dropFirst())
                    // The exact form is read from the secret itself: leave only the encodings here.
                    let exact = ranges.first?.count ?? 0
                    for index in 0..<exact { buffer[index] = 0 }
                    return ranges.last?.upperBound ?? 0
                }
            } else {
                encoded = nil  // over ~450 bytes: only the exact form is searched for
            }
            return Entry(secret: secret, kind: kind, encoded: encoded, encodedForms: encoded == nil ? [] : forms)
        }
    }

    /// The GitHub token, and the Anthropic credential when the agent holds one.
    public convenience init(token: LockedSecret, anthropic: AnthropicCredential?) {
        var secrets: [(LockedSecret, String)] = [(token, "the agent's GitHub token")]
        if let anthropic {
            secrets.append((anthropic.secret, anthropic.kind == .apiKey ? "the agent's Anthropic API key" : "the agent's Anthropic OAuth token"))
        }
        self.init(secrets)
    }

    public func withPatterns<Result>(_ body: (HeldSecretPatterns) -> Result) -> Result {
        lend(from: 0, forms: [], body)
    }

    private func lend<Result>(from index: Int, forms: [HeldSecretPatterns.Form], _ body: (HeldSecretPatterns) -> Result) -> Result {
        guard index < entries.count else { return body(HeldSecretPatterns(forms: forms)) }
        let entry = entries[index]
        return entry.secret.withUnsafeBytes { exact in
            let withExact = forms + [HeldSecretPatterns.Form(bytes: exact, kind: entry.kind)]
            guard let encoded = entry.encoded else { return lend(from: index + 1, forms: withExact, body) }
            return encoded.withUnsafeBytes { buffer in
                let encodings = entry.encodedForms.map {
                    HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: buffer[$0]), kind: entry.kind + ", base64-encoded")
                }
                return lend(from: index + 1, forms: withExact + encodings, body)
            }
        }
    }

    /// Zeroes the encoded forms (at shutdown, with the secrets themselves).
    public func wipe() {
        for entry in entries { entry.encoded?.wipe() }
    }
}
