import AgentPolicy

/// A request's query string, read the way GitHub's servers read it: `&`-separated `key=value`
/// pairs, `%XX` escapes and `+` for a space decoded once.
///
/// GitHub merges query parameters with body fields, so on a write a query parameter can do
/// what a body field does (`PUT …/contents/x?branch=main`). The policy therefore refuses query
/// parameters on writes except where they are documented as harmless, and reads GraphQL
/// documents sent through `GET /graphql?query=…` like bodies. Anything that could be read two
/// ways is refused: a repeated key, a `;` (older Rack splits on it too), a bracketed key
/// (`query[x]`), a malformed escape, control characters.
public struct APIQuery: Sendable, Equatable {
    public let parameters: [(key: String, value: String)]

    public static func == (lhs: APIQuery, rhs: APIQuery) -> Bool {
        lhs.parameters.elementsEqual(rhs.parameters) { $0.key == $1.key && $0.value == $1.value }
    }

    public var isEmpty: Bool { parameters.isEmpty }
    public var keys: [String] { parameters.map(\.key) }

    public subscript(key: String) -> String? {
        parameters.first { $0.key == key }?.value
    }

    /// Parses `raw` (the text after `?`, without it); `nil` or empty is no parameters.
    public static func parse(_ raw: String?) -> Result<APIQuery, Denial> {
        guard let raw, !raw.isEmpty else { return .success(APIQuery(parameters: [])) }
        func invalid(_ why: String) -> Result<APIQuery, Denial> {
            .failure(Denial(.apiRequestInvalid, "the query string is refused: \(why)"))
        }
        if raw.contains(";") { return invalid("it contains ';'") }
        var parameters: [(key: String, value: String)] = []
        var seen: Set<String> = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = formDecoded(parts[0]), let value = formDecoded(parts.count > 1 ? parts[1] : "") else {
                return invalid("it has a malformed %-escape or bytes that are not UTF-8")
            }
            if key.isEmpty { return invalid("a parameter has no name") }
            if (key + value).utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return invalid("it contains control characters") }
            if key.contains("[") || key.contains("]") { return invalid("parameter '\(key.prefix(64))' has brackets") }
            guard seen.insert(key.lowercased()).inserted else { return invalid("parameter '\(key.prefix(64))' is given twice") }
            parameters.append((key, value))
        }
        return .success(APIQuery(parameters: parameters))
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; once.
    private static func formDecoded(_ text: Substring) -> String? {
        APIPath.percentDecoded(text.replacingOccurrences(of: "+", with: " "))
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
