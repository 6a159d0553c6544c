import AgentTestSupport
import Foundation

/// Figures 1 and 2: clone, fetch and push of a generated repository, through git +
/// git-remote-agent + the agent, against plain git with the token in its own credential store,
/// both from the same lighttpd + git http-backend server, alternating, in the same run.
struct GitBenchmark {
    let cache: String
    let iterations = 3

    /// `git fast-import` input: `commits` commits, each rewriting one of 100 files with `bytes`
    /// random (incompressible) bytes, on `branch`, starting from `parent` when given.
    static func fastImportStream(commits: Int, bytes: Int, branch: String, parent: String?, firstMark: Int, seed: UInt64) -> Data {
        var generator = SplitMix(seed: seed)
        var stream = Data()
        stream.reserveCapacity(commits * (bytes + 200))
        for index in 0..<commits {
            let mark = firstMark + index
            stream.append(
                contentsOf: Array(
                    "commit refs/heads/\(branch)\nmark :\(mark)\ncommitter Bench <bench@example.com> \(1_700_000_000 + mark) +0000\ndata 12\ncommit \(String(format: "%05d", mark % 100_000))\n"
                        .utf8))
            if index == 0, let parent { stream.append(contentsOf: Array("from \(parent)\n".utf8)) }
            stream.append(contentsOf: Array("M 100644 inline data/\(mark % 100).bin\ndata \(bytes)\n".utf8))
            var chunk = [UInt8](repeating: 0, count: bytes)
            for offset in stride(from: 0, to: bytes, by: 8) {
                var value = generator.next()
                withUnsafeBytes(of: &value) { raw in
                    for byte in 0..<min(8, bytes - offset) { chunk[offset + byte] = raw[byte] }
                }
            }
            stream.append(contentsOf: chunk)
            stream.append(UInt8(ascii: "\n"))
        }
        return stream
    }

    /// The generated bare repository (20,000 commits on main, 1,000 more on next), made once.
    func repository(plainGit: (String, [String], Data?) async throws -> Void) async throws -> String {
        let bare = cache + "/big.git"
        if FileManager.default.fileExists(atPath: bare + "/refs/heads/next") || FileManager.default.fileExists(atPath: bare + "/packed-refs") {
            return bare
        }
        try? FileManager.default.removeItem(atPath: bare)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        print("generating the benchmark repository in \(bare) (once)")
        try await plainGit(cache, ["init", "-q", "--bare", "-b", "main", bare], nil)
        try await plainGit(
            bare, ["fast-import", "--quiet"], Self.fastImportStream(commits: 20_000, bytes: 5_200, branch: "main", parent: nil, firstMark: 1, seed: 1))
        try await plainGit(
            bare, ["fast-import", "--quiet"],
            Self.fastImportStream(commits: 1_000, bytes: 5_200, branch: "next", parent: "refs/heads/main", firstMark: 20_001, seed: 2))
        try await plainGit(bare, ["repack", "-a", "-d", "-q"], nil)
        return bare
    }
}

/// A small, fast, seeded generator (SplitMix64): the repository is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
