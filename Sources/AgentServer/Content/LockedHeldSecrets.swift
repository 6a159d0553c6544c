import AgentPolicy
import AgentSystem
import Synchronization

/// The secrets the agent holds, lent to the content scanner in every form it looks for: the
/// personal access token or the GitHub App's installation tokens (renewed while the agent runs),
/// the App's private key, the Anthropic credential.
///
/// The exact form is read in place from the secret's own locked buffer; the base64 forms, which
/// are as secret, are written into locked buffers of their own (`LockedSecret`: `mlock`ed,
/// `MADV_DONTDUMP`, zeroed by `wipe` and on release). No `String` or heap copy is made.
public final class LockedHeldSecrets: HeldSecretSource {
    /// One secret and its encodings.
    private struct Entry: Sendable {
        let secret: LockedSecret
        /// The secret without surrounding white space (a key file's last newline), as it would
        /// appear inside other content.
        let exact: Range<Int>
        let kind: String
        let encoded: LockedSecret?
        let encodedForms: [Range<Int>]

        init(_ secret: LockedSecret, kind: String) {
            self.secret = secret
            self.kind = kind
            let trimmed = secret.withUnsafeBytes { bytes in
                let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
                let start = bytes.firstIndex { !isSpace($0) } ?? 0
                let end = (bytes.lastIndex { !isSpace($0) }).map { $0 + 1 } ?? 0
                return start < end ? start..<end : 0..<bytes.count
            }
            exact = trimmed
            var forms: [Range<Int>] = []
            if HeldSecretForms.capacity(forSecretOf: trimmed.count) <= LockedSecret.capacity {
                encoded = try? LockedSecret { (buffer: UnsafeMutableRawBufferPointer) throws(TokenError) -> Int in
                    let ranges = secret.withUnsafeBytes { HeldSecretForms.write(UnsafeRawBufferPointer(rebasing: $0[trimmed]), into: buffer) }
                    forms = Array(ranges.dropFirst())
                    // The exact form is read from the secret itself: leave only the encodings here.
                    let exact = ranges.first?.count ?? 0
                    for index in 0..<exact { buffer[index] = 0 }
                    return ranges.last?.upperBound ?? 0
                }
            } else {
                encoded = nil  // over ~450 bytes (a private key): only the exact form is searched for
            }
            encodedForms = encoded == nil ? [] : forms
        }
    }

    static let tokenKind = "the agent's GitHub token"

    private let fixed: [Entry]
    private let rotating: RotatingSecrets?
    /// The installation tokens' entries, rebuilt when the kept tokens change (renewals are rare:
    /// about one an hour). Entries hold their secret, so identifiers stay unique while cached.
    private let rotatingEntries = Mutex<[(id: ObjectIdentifier, entry: Entry)]>([])

    /// - Parameters:
    ///   - secrets: each secret held for the agent's life, with what a finding calls it.
    ///   - rotating: the GitHub App's installation tokens, read at each scan.
    public init(_ secrets: [(secret: LockedSecret, kind: String)], rotating: RotatingSecrets? = nil) {
        fixed = secrets.filter { $0.secret.count > 0 }.map { Entry($0.secret, kind: $0.kind) }
        self.rotating = rotating
    }

    /// Everything the agent holds: the token (or the App's tokens and private key), and the
    /// Anthropic credential when there is one.
    public convenience init(token: LockedSecret?, privateKey: LockedSecret?, rotating: RotatingSecrets?, anthropic: AnthropicCredential?) {
        var secrets: [(LockedSecret, String)] = []
        if let token { secrets.append((token, Self.tokenKind)) }
        if let privateKey { secrets.append((privateKey, "the GitHub App's private key")) }
        if let anthropic {
            secrets.append((anthropic.secret, anthropic.kind == .apiKey ? "the agent's Anthropic API key" : "the agent's Anthropic OAuth token"))
        }
        self.init(secrets, rotating: rotating)
    }

    public func withPatterns<Result>(_ body: (HeldSecretPatterns) -> Result) -> Result {
        lend(fixed + currentRotatingEntries(), from: 0, forms: [], body)
    }

    private func currentRotatingEntries() -> [Entry] {
        guard let rotating else { return [] }
        let current = rotating.all.filter { $0.count > 0 }
        return rotatingEntries.withLock { cached in
            let ids = current.map(ObjectIdentifier.init)
            if cached.map(\.id) != ids {
                cached = zip(ids, current).map { id, secret in
                    (id, cached.first { $0.id == id }?.entry ?? Entry(secret, kind: Self.tokenKind))
                }
            }
            return cached.map(\.entry)
        }
    }

    private func lend<Result>(_ entries: [Entry], from index: Int, forms: [HeldSecretPatterns.Form], _ body: (HeldSecretPatterns) -> Result) -> Result {
        guard index < entries.count else { return body(HeldSecretPatterns(forms: forms)) }
        let entry = entries[index]
        return entry.secret.withUnsafeBytes { bytes in
            let exact = UnsafeRawBufferPointer(rebasing: bytes[entry.exact])
            let withExact = forms + [HeldSecretPatterns.Form(bytes: exact, kind: entry.kind)]
            guard let encoded = entry.encoded else { return lend(entries, from: index + 1, forms: withExact, body) }
            return encoded.withUnsafeBytes { buffer in
                let encodings = entry.encodedForms.map {
                    HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: buffer[$0]), kind: entry.kind + ", base64-encoded")
                }
                return lend(entries, from: index + 1, forms: withExact + encodings, body)
            }
        }
    }

    /// Zeroes the encoded forms (at shutdown, with the secrets themselves, after every reader
    /// stopped).
    public func wipe() {
        for entry in fixed { entry.encoded?.wipe() }
        rotatingEntries.withLock { cached in
            for item in cached { item.entry.encoded?.wipe() }
            cached = []
        }
    }
}
