/// A parsed configuration file: its bytes and its entries in file order.
public struct GitConfigDocument: Hashable, Sendable {
    public let bytes: [UInt8]
    public let entries: [GitConfigEntry]

    public init(bytes: [UInt8], entries: [GitConfigEntry]) {
        self.bytes = bytes
        self.entries = entries
    }

    /// The file without `removed` entries, every other byte kept as it was.
    ///
    /// Removing an entry's range never changes how the rest reads: a range starts at its key (or
    /// at the start of a line holding only whitespace before it) and ends after its line, so what
    /// precedes it is a line end, whitespace or a section header, and what follows starts a line.
    /// `verifiedRemoving` checks exactly that by reading the result again.
    public func removing(_ removed: [GitConfigEntry]) -> [UInt8] {
        let ranges = removed.map(\.range).sorted { $0.lowerBound < $1.lowerBound }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var next = 0
        for range in ranges where range.lowerBound >= next {
            result.append(contentsOf: bytes[next..<range.lowerBound])
            next = range.upperBound
        }
        result.append(contentsOf: bytes[next...])
        return result
    }

    /// `removing(removed)`, but only when the result reads as exactly the other entries, in
    /// order; `nil` otherwise (the caller then quarantines the whole file instead).
    public func verifiedRemoving(_ removed: [GitConfigEntry]) -> [UInt8]? {
        let rewritten = removing(removed)
        let removedRanges = Set(removed.map(\.range))
        let expected = entries.filter { !removedRanges.contains($0.range) }.map(\.setting)
        guard case .success(let reread) = GitConfigParser.parse(rewritten), reread.entries.map(\.setting) == expected else { return nil }
        return rewritten
    }
}
