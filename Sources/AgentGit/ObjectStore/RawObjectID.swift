import CLibGit2

/// A SHA-1 object id as three integers: cheap to hash, compare and copy while the agent looks
/// objects up in pack indexes. Ordered as git orders ids (bytewise, big-endian).
struct RawObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    static let byteCount = 20

    let high: UInt64
    let middle: UInt64
    let low: UInt32

    /// Reads 20 bytes at `offset` of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        high = Self.bigEndian(bytes, offset, count: 8)
        middle = Self.bigEndian(bytes, offset + 8, count: 8)
        low = UInt32(Self.bigEndian(bytes, offset + 16, count: 4))
    }

    init?(_ id: ObjectID) {
        guard let bytes = Self.bytes(fromHex: id.hex), bytes.count == Self.byteCount else { return nil }
        self = bytes.withUnsafeBytes { RawObjectID($0) }
    }

    /// The 20 bytes.
    var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(Self.byteCount)
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: middle >> UInt64(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: low >> UInt32(shift))) }
        return result
    }

    var firstByte: Int { Int(high >> 56) }

    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    var description: String { hex }

    var objectID: ObjectID { ObjectID(validatedHex: hex) }

    init(_ oid: git_oid) {
        self = withUnsafeBytes(of: oid.id) { RawObjectID($0) }
    }

    var gitOID: git_oid {
        var oid = git_oid()
        let bytes = self.bytes
        withUnsafeMutableBytes(of: &oid.id) { raw in
            for index in 0..<Self.byteCount { raw[index] = bytes[index] }
        }
        return oid
    }

    static func < (lhs: RawObjectID, rhs: RawObjectID) -> Bool {
        (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
    }

    /// Whether this id starts with the first `hexDigits` hex digits of `prefix`.
    func hasPrefix(_ prefix: RawObjectID, hexDigits: Int) -> Bool {
        let bits = hexDigits * 4
        func masked(_ value: UInt64, _ start: Int) -> UInt64 {
            let used = min(max(bits - start, 0), 64)
            return used == 0 ? 0 : (used == 64 ? value : value >> UInt64(64 - used))
        }
        let lowUsed = min(max(bits - 128, 0), 32)
        let lowMask: (UInt32) -> UInt32 = { value in lowUsed == 0 ? 0 : (lowUsed == 32 ? value : value >> UInt32(32 - lowUsed)) }
        return masked(high, 0) == masked(prefix.high, 0) && masked(middle, 64) == masked(prefix.middle, 64)
            && lowMask(low) == lowMask(prefix.low)
    }

    private static func bigEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// Bytes from an even number of hex digits; `nil` for anything else.
    static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
