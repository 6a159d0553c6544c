/// The forms in which a secret the agent holds (its GitHub token, its Anthropic credential) would
/// appear in pushed or posted content: the bytes themselves, and their base64 at each of the three
/// alignments (standard and URL-safe alphabets). `%`-encoding is handled by the scanner, which
/// reads `%XX` escapes as the byte they stand for wherever it compares these forms.
///
/// The forms are as secret as the secret: they are written into buffers the caller owns (the agent
/// keeps them in locked memory, like the token) and read only through `HeldSecretPatterns`, a view
/// that must not escape the closure that lends it.
public enum HeldSecretForms {
    /// Bytes `write` needs for a secret of `count` bytes.
    public static func capacity(forSecretOf count: Int) -> Int {
        count + 6 * ((count + 2) / 3 * 4 + 4)
    }

    /// Writes every form of `secret` into `buffer` (at least `capacity(forSecretOf:)` bytes).
    /// - Returns: the ranges of `buffer` holding the forms, the exact form first; none for an
    ///   empty secret. Base64 forms shorter than 16 characters are left out (too short to mean
    ///   anything).
    public static func write(_ secret: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) -> [Range<Int>] {
        guard !secret.isEmpty, buffer.count >= capacity(forSecretOf: secret.count) else { return [] }
        var ranges: [Range<Int>] = []
        var position = 0
        for byte in secret {
            buffer[position] = byte
            position += 1
        }
        ranges.append(0..<position)
        for alphabet in [standardAlphabet, urlSafeAlphabet] {
            for offset in 0..<3 {
                let start = position
                position = writeBase64Core(secret, offset: offset, alphabet: alphabet, into: buffer, at: position)
                let form = start..<position
                let isNew = !ranges.contains { buffer[$0].elementsEqual(buffer[form]) }
                if form.count >= 16, isNew { ranges.append(form) } else { position = start }
            }
        }
        return ranges
    }

    static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlSafeAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The base64 characters of `offset` zero bytes followed by the secret that depend on the
    /// secret's bytes alone: the same whatever comes before and after it in the encoded content.
    private static func writeBase64Core(
        _ secret: UnsafeRawBufferPointer,
        offset: Int,
        alphabet: [UInt8],
        into buffer: UnsafeMutableRawBufferPointer,
        at start: Int
    ) -> Int {
        let bitCount = 8 * (offset + secret.count)
        let first = (8 * offset + 5) / 6
        let end = bitCount / 6
        var position = start
        for character in first..<end {
            var value = 0
            for bit in (6 * character)..<(6 * character + 6) {
                let byteIndex = bit / 8 - offset
                let byte = byteIndex >= 0 ? Int(secret[byteIndex]) : 0
                value = value << 1 | (byte >> (7 - bit % 8)) & 1
            }
            buffer[position] = alphabet[value]
            position += 1
        }
        return position
    }
}

/// A lent view of the held secrets' forms, valid only inside the closure that lends it.
public struct HeldSecretPatterns {
    /// One form: where its bytes are, and what to call a hit (`the agent's GitHub token`).
    public struct Form {
        public let bytes: UnsafeRawBufferPointer
        public let kind: String

        public init(bytes: UnsafeRawBufferPointer, kind: String) {
            self.bytes = bytes
            self.kind = kind
        }
    }

    public let forms: [Form]

    public init(forms: [Form]) {
        self.forms = forms.filter { !$0.bytes.isEmpty }
    }

    public static var none: HeldSecretPatterns { HeldSecretPatterns(forms: []) }
}

/// Lends the forms of the secrets the agent holds, for one scan. Implemented by the agent over
/// its locked secrets; the policy modules never see a secret outside the closure.
public protocol HeldSecretSource: Sendable {
    func withPatterns<Result>(_ body: (HeldSecretPatterns) -> Result) -> Result
}
