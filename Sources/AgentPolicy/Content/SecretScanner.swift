/// A secret found in content: what kind, and on which line. Never the secret itself.
public struct SecretFinding: Hashable, Sendable {
    /// `GitHub token`, `private key`, `the agent's GitHub token`, …
    public let kind: String
    /// 1-based line of the secret's first byte.
    public let line: Int
    /// One of the secrets the agent holds (always refused, whatever `SECRET_SCAN` says).
    public let isHeld: Bool

    public init(kind: String, line: Int, isHeld: Bool) {
        self.kind = kind
        self.line = line
        self.isHeld = isHeld
    }
}

/// Searches bytes for the held secrets' forms and, when asked, the well-known formats
/// (`SecretFormat`), in one pass.
///
/// Held forms are compared with `%XX` escapes read as the bytes they stand for, so a secret
/// `%`-encoded in full or in part is found too.
///
/// - Complexity: O(n) for n bytes, with a constant bounded by the longest form (every match is
///   attempted only where a byte that can start one is).
public struct SecretScanner {
    public let scansFormats: Bool
    public let held: HeldSecretPatterns
    /// Bit 0: a format can start with this byte; bit 1: a held form can (or `%`).
    private let starts: [UInt8]

    public init(scansFormats: Bool, held: HeldSecretPatterns) {
        self.scansFormats = scansFormats
        self.held = held
        var starts = [UInt8](repeating: 0, count: 256)
        if scansFormats { for byte in SecretFormat.startBytes { starts[Int(byte)] |= 1 } }
        for form in held.forms { starts[Int(form.bytes[0])] |= 2 }
        if !held.forms.isEmpty { starts[Int(UInt8(ascii: "%"))] |= 2 }
        self.starts = starts
    }

    /// Whether a well-known format may start with `byte`.
    func startsFormat(_ byte: UInt8) -> Bool { starts[Int(byte)] & 1 != 0 }

    /// Whether the scan would look for anything at all.
    public var isActive: Bool { scansFormats || !held.forms.isEmpty }

    /// The first secret in `text` (held secrets before formats at the same place), or `nil`.
    public func firstFinding(in text: UnsafeRawBufferPointer) -> SecretFinding? {
        findings(in: text, limit: 1).first
    }

    /// Up to `limit` findings, in order.
    public func findings(in text: UnsafeRawBufferPointer, limit: Int) -> [SecretFinding] {
        guard isActive, !text.isEmpty, limit > 0 else { return [] }
        var found: [SecretFinding] = []
        var lines = 1
        var counted = 0
        starts.withUnsafeBufferPointer { table in
            var index = 0
            while index < text.count {
                let flags = table[Int(text[index])]
                if flags != 0, let kind = match(text, at: index, flags: flags) {
                    lines += Self.newlines(in: text, from: counted, to: index)
                    counted = index
                    found.append(SecretFinding(kind: kind.name, line: lines, isHeld: kind.isHeld))
                    if found.count >= limit { return }
                }
                index += 1
            }
        }
        return found
    }

    /// The first held secret and the first well-known format in `text`, in one pass that stops
    /// once it has both (or the held one, when formats are not searched for).
    public func scan(_ text: UnsafeRawBufferPointer) -> (held: SecretFinding?, format: SecretFinding?) {
        guard isActive, !text.isEmpty else { return (nil, nil) }
        var held: SecretFinding?
        var format: SecretFinding?
        var lines = 1
        var counted = 0
        starts.withUnsafeBufferPointer { table in
            var index = 0
            while index < text.count {
                var flags = table[Int(text[index])]
                if held != nil { flags &= ~2 }
                if format != nil { flags &= ~1 }
                if flags != 0 {
                    let heldKind = flags & 2 != 0 ? match(text, at: index, flags: 2) : nil
                    let formatKind = flags & 1 != 0 ? match(text, at: index, flags: 1) : nil
                    if heldKind != nil || formatKind != nil {
                        lines += Self.newlines(in: text, from: counted, to: index)
                        counted = index
                    }
                    if let heldKind { held = SecretFinding(kind: heldKind.name, line: lines, isHeld: true) }
                    if let formatKind { format = SecretFinding(kind: formatKind.name, line: lines, isHeld: false) }
                    if held != nil, format != nil || !scansFormats { return }
                }
                index += 1
            }
        }
        return (held, format)
    }

    private func match(_ text: UnsafeRawBufferPointer, at index: Int, flags: UInt8) -> (name: String, isHeld: Bool)? {
        if flags & 2 != 0 {
            for form in held.forms where Self.matchesDecoding(form.bytes, in: text, at: index) {
                return (form.kind, true)
            }
        }
        if flags & 1 != 0, let format = SecretFormat.match(text, at: index) { return (format.rawValue, false) }
        return nil
    }

    /// Whether `form` starts at `start`, reading each `%XX` escape as one byte.
    static func matchesDecoding(_ form: UnsafeRawBufferPointer, in text: UnsafeRawBufferPointer, at start: Int) -> Bool {
        var position = start
        for expected in form {
            guard position < text.count else { return false }
            let byte = text[position]
            if byte == expected {
                position += 1
            } else if byte == UInt8(ascii: "%"), position + 2 < text.count, let high = hex(text[position + 1]), let low = hex(text[position + 2]),
                high << 4 | low == expected
            {
                position += 3
            } else {
                return false
            }
        }
        return true
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func newlines(in text: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var count = 0
        for index in start..<end where text[index] == 0x0A { count += 1 }
        return count
    }

    /// Git's rule for binary content: a NUL byte in the first 8,000 bytes.
    public static func looksBinary(_ text: UnsafeRawBufferPointer) -> Bool {
        text.prefix(8000).contains(0)
    }
}

extension SecretScanner {
    /// Scans the UTF-8 of `text` (API bodies).
    public func firstFinding(in text: String) -> SecretFinding? {
        var copy = text
        return copy.withUTF8 { firstFinding(in: UnsafeRawBufferPointer($0)) }
    }

    /// Scans bytes held in an array.
    public func firstFinding(in bytes: [UInt8]) -> SecretFinding? {
        bytes.withUnsafeBytes { firstFinding(in: $0) }
    }
}
