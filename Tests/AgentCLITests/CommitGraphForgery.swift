import AgentTestSupport
import Foundation

/// Rewrites a repository's `objects/info/commit-graph` so that it claims one commit is the
/// parent of another: the forgery git itself (and libgit2 1.5) trusts without reading commits.
/// The graph must have been written with `commitGraph.generationVersion=1` (no GDA2 chunk).
enum CommitGraphForgery {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Makes `parent` the only parent of `child` in the graph at `path`, with generation numbers
    /// kept consistent for `child` and its `descendants` (nearest first), and a valid checksum.
    static func makeParent(_ parent: String, of child: String, descendants: [String] = [], graph path: String, scratch: String) async throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 8, Array(bytes[0..<4]) == Array("CGPH".utf8) else { throw Malformed(description: "not a commit-graph") }
        let chunkCount = Int(bytes[6])
        var chunks: [(id: String, offset: Int)] = []
        for index in 0...chunkCount {
            let entry = 8 + index * 12
            let id = String(decoding: bytes[entry..<(entry + 4)], as: UTF8.self)
            let offset = bytes[(entry + 4)..<(entry + 12)].reduce(0) { $0 << 8 | Int($1) }
            chunks.append((id, offset))
        }
        guard let lookup = chunks.firstIndex(where: { $0.id == "OIDL" }), let data = chunks.first(where: { $0.id == "CDAT" }) else {
            throw Malformed(description: "no OIDL or CDAT chunk")
        }
        guard !chunks.contains(where: { $0.id == "GDA2" }) else { throw Malformed(description: "write the graph with generationVersion=1") }
        let count = (chunks[lookup + 1].offset - chunks[lookup].offset) / 20
        func position(of hex: String) throws -> Int {
            let wanted = stride(from: 0, to: 40, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16) ?? 0 }
            for index in 0..<count where Array(bytes[(chunks[lookup].offset + index * 20)..<(chunks[lookup].offset + index * 20 + 20)]) == wanted {
                return index
            }
            throw Malformed(description: "\(hex) is not in the graph")
        }
        let parentIndex = try position(of: parent)
        func entry(_ index: Int) -> Int { data.offset + index * 36 }
        var generation = (bytes[(entry(parentIndex) + 28)..<(entry(parentIndex) + 32)].reduce(0) { $0 << 8 | Int($1) }) >> 2
        let forged = entry(try position(of: child))
        write(UInt32(parentIndex), into: &bytes, at: forged + 20)
        write(0x7000_0000, into: &bytes, at: forged + 24)  // no second parent
        for commit in [child] + descendants {
            let place = entry(try position(of: commit))
            generation += 1
            write(UInt32((generation << 2) | (Int(bytes[place + 31]) & 0x3)), into: &bytes, at: place + 28)
        }
        let body = scratch + "/graph-body"
        try Data(bytes[0..<(bytes.count - 20)]).write(to: URL(fileURLWithPath: body))
        let sum = try await ChildProcess.run("/usr/bin/sha1sum", [body], environment: ["PATH": "/usr/bin:/bin"], outputDirectory: scratch)
        let digest = sum.stdout.prefix(40)
        let checksum = stride(from: 0, to: 40, by: 2).map { UInt8(digest.dropFirst($0).prefix(2), radix: 16) ?? 0 }
        bytes.replaceSubrange((bytes.count - 20)..<bytes.count, with: checksum)
        try? FileManager.default.removeItem(atPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func write(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
    }
}
