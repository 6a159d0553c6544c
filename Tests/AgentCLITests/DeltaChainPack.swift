import AgentTestSupport
import Foundation
import Testing

/// Writes a pack (and its index) by hand into a repository: a blob of `baseSize` bytes of "a",
/// then `links` offset deltas, each on the one before, adding one "b". No compression (stored
/// deflate blocks). Only the last `tips` entries get their real ids in the index; the others get
/// made-up ids, which neither git (for `mktree`) nor the agent checks: both find delta bases by
/// offset.
struct DeltaChainPack {
    let baseSize: Int
    let links: Int
    let tips: Int

    /// Writes `pack-chain.pack` and `.idx` into `app/.git/objects/pack`; returns the tips' ids.
    func write(into app: String, scratch: String) async throws -> [String] {
        var pack = Data("PACK".utf8) + Self.bigEndian(2) + Self.bigEndian(UInt32(links + 1))
        var offsets: [Int] = [pack.count]
        pack += Self.entryHeader(type: 3, size: baseSize) + Self.stored([UInt8](repeating: UInt8(ascii: "a"), count: baseSize))
        for link in 1...links {
            let offset = pack.count
            let delta =
                Self.varint(baseSize + link - 1) + Self.varint(baseSize + link)
                + [
                    0x80 | 0x10 | 0x20 | 0x40, UInt8((baseSize + link - 1) & 0xFF), UInt8((baseSize + link - 1) >> 8 & 0xFF),
                    UInt8((baseSize + link - 1) >> 16 & 0xFF),
                ]
                + [0x01, UInt8(ascii: "b")]
            pack += Self.entryHeader(type: 6, size: delta.count) + Self.negativeOffset(offset - offsets[offsets.count - 1]) + Self.stored(delta)
            offsets.append(offset)
        }
        let checksum = [UInt8](repeating: 0x5A, count: 20)
        pack += checksum

        var entries: [(id: [UInt8], offset: Int)] = []
        for index in 0...links {
            if index > links - tips {
                entries.append((try await Self.blobID(size: index, base: baseSize, app: app, scratch: scratch), offsets[index]))
            } else {
                entries.append(([0xEE, 0xEE] + [UInt8](repeating: 0, count: 14) + Self.bigEndian(UInt32(index)), offsets[index]))
            }
        }
        let tipIDs = entries.suffix(tips).map { $0.id.map { String(format: "%02x", $0) }.joined() }
        entries.sort { $0.id.lexicographicallyPrecedes($1.id) }
        var index = Data([0xFF, 0x74, 0x4F, 0x63]) + Self.bigEndian(2)
        for byte in 0...255 { index += Self.bigEndian(UInt32(entries.filter { $0.id[0] <= byte }.count)) }
        for entry in entries { index += entry.id }
        for _ in entries { index += Self.bigEndian(0) }
        for entry in entries { index += Self.bigEndian(UInt32(entry.offset)) }
        index += checksum + [UInt8](repeating: 0x33, count: 20)
        let directory = app + "/.git/objects/pack"
        try pack.write(to: URL(fileURLWithPath: directory + "/pack-chain.pack"))
        try index.write(to: URL(fileURLWithPath: directory + "/pack-chain.idx"))
        return tipIDs
    }

    /// The id of the chain's entry `size`: `baseSize` bytes of "a" then `size` bytes of "b".
    static func blobID(size: Int, base: Int, app: String, scratch: String) async throws -> [UInt8] {
        let content = Data(repeating: UInt8(ascii: "a"), count: base) + Data(repeating: UInt8(ascii: "b"), count: size)
        let environment = ["HOME": scratch + "/home", "GIT_CONFIG_NOSYSTEM": "1", "GIT_DIR": app + "/.git", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["hash-object", "--stdin"], environment: environment, stdin: content, outputDirectory: scratch)
        let hex = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hex.count == 40, "\(result.output)")
        return stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A pack entry's type and size header.
    static func entryHeader(type: UInt8, size: Int) -> [UInt8] {
        var rest = size >> 4
        var bytes = [type << 4 | UInt8(size & 0x0F) | (rest > 0 ? 0x80 : 0)]
        while rest > 0 {
            bytes.append(UInt8(rest & 0x7F) | (rest >> 7 > 0 ? 0x80 : 0))
            rest >>= 7
        }
        return bytes
    }

    /// An offset delta's distance back to its base, as git encodes it.
    static func negativeOffset(_ distance: Int) -> [UInt8] {
        var value = distance
        var bytes = [UInt8(value & 0x7F)]
        value >>= 7
        while value > 0 {
            value -= 1
            bytes.insert(0x80 | UInt8(value & 0x7F), at: 0)
            value >>= 7
        }
        return bytes
    }

    /// A delta's little-endian base-128 size.
    static func varint(_ value: Int) -> [UInt8] {
        var rest = value
        var bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(rest & 0x7F) | (rest >> 7 > 0 ? 0x80 : 0))
            rest >>= 7
        } while rest > 0
        return bytes
    }

    /// A zlib stream of stored (uncompressed) deflate blocks.
    static func stored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = min(65_535, bytes.count - start)
            let isLast = start + count == bytes.count
            out += [isLast ? 1 : 0, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8(~count >> 8 & 0xFF)]
            out += bytes[start..<(start + count)]
            start += count
        } while start < bytes.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }
}
