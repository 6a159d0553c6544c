/// The backslash escapes that JSON (RFC 8259 §7) and GraphQL (spec §2.9.4) strings share:
/// `\" \\ \/ \b \f \n \r \t` and `\uXXXX`, where a high surrogate must be followed by a low one
/// (together one scalar) and a lone surrogate is refused. Anything else (`\x`, `\u{…}`) is
/// refused: a reader that guessed could read a value differently from the server.
enum StringEscape {
    enum Failure: Error {
        case truncated
        case unknown(UInt8)
        case badHexDigits
        case loneSurrogate
    }

    /// Decodes the escape whose backslash is at `bytes[position]`, appending its UTF-8 to
    /// `value`; returns the index just after it.
    static func decode(_ bytes: [UInt8], at position: Int, into value: inout [UInt8]) throws(Failure) -> Int {
        guard position + 1 < bytes.count else { throw .truncated }
        let marker = bytes[position + 1]
        var next = position + 2
        switch marker {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): value.append(marker)
        case UInt8(ascii: "b"): value.append(0x08)
        case UInt8(ascii: "f"): value.append(0x0C)
        case UInt8(ascii: "n"): value.append(0x0A)
        case UInt8(ascii: "r"): value.append(0x0D)
        case UInt8(ascii: "t"): value.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad(bytes, at: next)
            next += 4
            if (0xD800...0xDBFF).contains(scalar) {
                guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u") else {
                    throw .loneSurrogate
                }
                let low = try hexQuad(bytes, at: next + 2)
                next += 6
                guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .loneSurrogate }
            UTF8.encode(unicode) { value.append($0) }
        default:
            throw .unknown(marker)
        }
        return next
    }

    private static func hexQuad(_ bytes: [UInt8], at start: Int) throws(Failure) -> UInt32 {
        guard start + 4 <= bytes.count else { throw .badHexDigits }
        var result: UInt32 = 0
        for digit in bytes[start..<start + 4] {
            let nibble: UInt32
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(digit - UInt8(ascii: "A") + 10)
            default: throw .badHexDigits
            }
            result = result << 4 | nibble
        }
        return result
    }
}
