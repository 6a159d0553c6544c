import AgentPolicy

/// A request path made ready for matching: percent-decoded once, split into segments, and
/// refused when decoding would hide something (`..`, a second layer of escapes, control bytes).
struct APIPath {
    let segments: [String]

    static func parse(_ raw: String) -> Result<APIPath, Denial> {
        func invalid(_ why: String) -> Result<APIPath, Denial> {
            .failure(Denial(.apiRequestInvalid, "the request path '\(raw.prefix(200))' is refused: \(why)"))
        }
        guard raw.hasPrefix("/") else { return invalid("it does not start with '/'") }
        guard let decoded = percentDecoded(raw) else { return invalid("it has a malformed %-escape") }
        if decoded.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) {
            return invalid("it contains control characters or '\\\\'")
        }
        if decoded.contains("%") { return invalid("it is %-encoded twice") }
        var segments = decoded.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if segments.last == "" { segments.removeLast() }
        if segments.contains("") { return invalid("it contains '//'") }
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return invalid("it contains '.' or '..' segments") }
        return .success(APIPath(segments: segments))
    }

    /// Decodes `%XX` escapes once; `nil` for a malformed one or bytes that are not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Array where Element == String {
    /// Case-insensitive comparison of the fixed words of a route (`repos`, `git`, `refs`).
    func word(_ index: Int, is word: String) -> Bool {
        index < count && self[index].lowercased() == word
    }
}

/// Path text as GitHub reads it, for callers outside the policy.
public enum APIPathText {
    /// `text` with its `%XX` escapes decoded once; `nil` when an escape is malformed.
    public static func decodedOnce(_ text: String) -> String? {
        APIPath.percentDecoded(text)
    }

    /// The path's segments, decoded once; refused as the API policy refuses paths (`..`, a second
    /// layer of escapes, control characters, `//`).
    public static func segments(_ path: String) -> Result<[String], Denial> {
        APIPath.parse(path).map(\.segments)
    }
}
