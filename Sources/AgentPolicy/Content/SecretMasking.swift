/// Masks well-known credential formats in text the agent writes (audit lines), so that a secret
/// a client put in a path, a ref name or a query is not kept in the log. The held secrets are
/// removed earlier, by the agent's redactor.
public enum SecretMasking {
    public static let replacement = "[SECRET]"

    /// `text` with every well-known format replaced by `[SECRET]`: the token and the rest of its
    /// run of token characters; for a private key block or an AWS secret key assignment, the rest
    /// of the line or of the JSON string (up to a `"` or `\`).
    public static func mask(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let masked = bytes.withUnsafeBytes { buffer -> [(Int, Int)] in
            let scanner = SecretScanner(scansFormats: true, held: .none)
            var ranges: [(Int, Int)] = []
            var index = 0
            while index < buffer.count {
                guard scanner.startsFormat(buffer[index]), let format = SecretFormat.match(buffer, at: index) else {
                    index += 1
                    continue
                }
                var end = index
                switch format {
                case .privateKey, .awsSecretAccessKey:
                    while end < buffer.count, buffer[end] != 0x0A, buffer[end] != UInt8(ascii: "\""), buffer[end] != UInt8(ascii: "\\") { end += 1 }
                default:
                    while end < buffer.count, isTokenByte(buffer[end]) { end += 1 }
                }
                ranges.append((index, max(end, index + 1)))
                index = max(end, index + 1)
            }
            return ranges
        }
        guard !masked.isEmpty else { return text }
        for (start, end) in masked.reversed() { bytes.replaceSubrange(start..<end, with: replacement.utf8) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        ByteReader.isTokenCharacter(byte) || "+/=.".utf8.contains(byte)
    }
}
