/// git's delta format: a base size, a result size, then copy and insert instructions
/// (`Documentation/gitformat-pack.txt`, "Deltified representation"). Pure.
enum Delta {
    /// The two sizes at the start of a delta.
    struct Header {
        let baseSize: Int
        let resultSize: Int
        /// Where the instructions start.
        let instructionsOffset: Int
    }

    enum Problem: Error {
        case malformed(String)
    }

    /// Reads the two sizes (little-endian base-128 numbers) at the start of `delta`.
    static func header(_ delta: UnsafeRawBufferPointer) throws(Problem) -> Header {
        var offset = 0
        let base = try varint(delta, &offset)
        let result = try varint(delta, &offset)
        return Header(baseSize: base, resultSize: result, instructionsOffset: offset)
    }

    /// Applies `delta` to `base`, writing exactly `header.resultSize` bytes into `output`.
    static func apply(
        _ delta: UnsafeRawBufferPointer,
        header: Header,
        to base: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(Problem) {
        guard base.count == header.baseSize else { throw .malformed("the base has \(base.count) bytes, the delta expects \(header.baseSize)") }
        guard output.count == header.resultSize else { throw .malformed("wrong output size") }
        var position = header.instructionsOffset
        var written = 0
        while position < delta.count {
            let instruction = delta[position]
            position += 1
            if instruction & 0x80 != 0 {
                var copyOffset = 0
                var copySize = 0
                for bit in 0..<4 where instruction & (1 << bit) != 0 {
                    guard position < delta.count else { throw .malformed("a copy instruction is cut short") }
                    copyOffset |= Int(delta[position]) << (8 * bit)
                    position += 1
                }
                for bit in 0..<3 where instruction & (0x10 << bit) != 0 {
                    guard position < delta.count else { throw .malformed("a copy instruction is cut short") }
                    copySize |= Int(delta[position]) << (8 * bit)
                    position += 1
                }
                if copySize == 0 { copySize = 0x10000 }
                guard copyOffset <= base.count - copySize, copySize <= output.count - written else {
                    throw .malformed("a copy instruction reaches outside its base or result")
                }
                output.baseAddress.map { target in
                    base.baseAddress.map { source in (target + written).copyMemory(from: source + copyOffset, byteCount: copySize) }
                }
                written += copySize
            } else if instruction != 0 {
                let count = Int(instruction)
                guard count <= delta.count - position, count <= output.count - written else {
                    throw .malformed("an insert instruction reaches outside its delta or result")
                }
                output.baseAddress.map { target in
                    delta.baseAddress.map { source in (target + written).copyMemory(from: source + position, byteCount: count) }
                }
                position += count
                written += count
            } else {
                throw .malformed("instruction 0 is reserved")
            }
        }
        guard written == output.count else { throw .malformed("the delta produces \(written) bytes, its header says \(output.count)") }
    }

    /// A little-endian base-128 number, at most 9 bytes (63 bits).
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(Problem) -> Int {
        var value = 0
        var shift = 0
        while true {
            guard offset < bytes.count, shift <= 56 else { throw .malformed("a size is cut short or too large") }
            let byte = bytes[offset]
            offset += 1
            value |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }
}
