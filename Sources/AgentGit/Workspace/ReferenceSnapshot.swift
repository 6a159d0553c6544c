/// What a ref points at.
public enum ReferenceTarget: Hashable, Sendable {
    case object(ObjectID)
    /// Another ref (`ref: refs/heads/main`).
    case symbolic(String)
}

/// A repository's refs as read from the workspace at one moment: `HEAD` and every loose and
/// packed ref (loose ones win, as in git). Names and targets are not yet validated: the private
/// view checks each name with libgit2 before mirroring it.
public struct ReferenceSnapshot: Hashable, Sendable {
    public var head: ReferenceTarget?
    public var references: [String: ReferenceTarget]

    public init(head: ReferenceTarget? = nil, references: [String: ReferenceTarget] = [:]) {
        self.head = head
        self.references = references
    }

    /// A loose ref file (or `HEAD`): `<40 hex>` or `ref: <name>`, then a newline. `nil` for
    /// anything else (git ignores such refs too).
    static func parseLoose(_ bytes: [UInt8]) -> ReferenceTarget? {
        let text = String(decoding: bytes, as: UTF8.self)
        let line = text.prefix { $0 != "\n" }.trimmingSuffix(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
        if line.hasPrefix("ref:") {
            let target = line.dropFirst(4).drop { $0 == " " || $0 == "\t" }
            guard !target.isEmpty, target.utf8.count <= 1024 else { return nil }
            return .symbolic(String(target))
        }
        return ObjectID(hex: String(line)).map(ReferenceTarget.object)
    }

    /// `packed-refs`: `<40 hex> <name>` lines; `#` comments and `^<peeled>` lines are skipped,
    /// and so is anything malformed.
    static func parsePacked(_ bytes: [UInt8], limit: Int) -> [String: ReferenceTarget] {
        var references: [String: ReferenceTarget] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) where references.count < limit {
            guard line.count > 41, line.first != UInt8(ascii: "#"), line.first != UInt8(ascii: "^"),
                line[line.startIndex + 40] == UInt8(ascii: " "),
                let id = ObjectID(hex: String(decoding: line.prefix(40), as: UTF8.self))
            else { continue }
            var name = line.dropFirst(41)
            if name.last == UInt8(ascii: "\r") { name = name.dropLast() }
            references[String(decoding: name, as: UTF8.self)] = .object(id)
        }
        return references
    }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) { result = result.dropLast() }
        return result
    }
}
