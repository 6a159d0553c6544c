import CLibGit2

/// A git object id as lowercase hex.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    public let hex: String

    public var description: String { hex }

    init(_ oid: git_oid) {
        var copy = oid
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &copy)
        hex = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses 40 hex digits; `nil` for anything else.
    public init?(hex text: String) {
        guard text.utf8.count == Int(GIT_OID_HEXSZ), text.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        hex = text.lowercased()
    }

    /// From text already known to be 40 lowercase hex digits.
    init(validatedHex: String) {
        hex = validatedHex
    }

    var gitOID: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    public var isZero: Bool { hex.utf8.allSatisfy { $0 == UInt8(ascii: "0") } }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
