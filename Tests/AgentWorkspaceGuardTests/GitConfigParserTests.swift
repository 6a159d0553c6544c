import AgentWorkspaceGuard
import Testing

/// The guard must read a configuration file exactly as git does, or a key could hide from it:
/// every case is checked against the real git (`git config --file F --null --list`).
struct GitConfigParserTests {
    /// Spellings that readers often get wrong, each a whole file.
    static let handWritten: [String] = [
        "[core]\n\tfsmonitor = /x\n",
        "[core]fsmonitor=/x",
        "[Core]\n\tFsMonitor = /x\n",
        "[core] fsmonitor = /x\n",
        "[remote \"Origin\"]\n\turl = u\n",
        "[remote \"a\\\"b\\\\c\\d\"]\n\turl = u\n",
        "[Remote.Origin]\n\turl = u\n",
        "[a.B.c]\n\tk = v\n",
        "[ \"x\"]\nk = 1\n",
        "[section\t\"sub\"]\nk = 1\n",
        "[section \"sub\" ]\nk = 1\n",
        "[section \"sub\nx\"]\nk = 1\n",
        "[]\nk = 1\n",
        "[core]\n\tpager = less ; comment\n\teditor = \"vi # not a comment\"\n",
        "[core]\n\tpager = a\\\n b\n",
        "[core]\n\tpager = \"a\\\n b\"\n",
        "[core]\n\tpager = a\\tb\\nc\\\\d\\\"e\\bf\n",
        "[core]\n\tpager = a\\x\n",
        "[core]\n\tpager = \"unterminated\n",
        "[core]\n\tpager = a   b  \t c   \n",
        "[core]\n\tpager = \"  spaced  \"\n",
        "[core]\n\tbare\n\tfilemode\n",
        "[core]\n\tbare =\n",
        "[core]\r\n\tpager = crlf\r\n",
        "[core]\n\tpager = lone\rcr\n",
        "[core]\n\tpager = vt\u{0B}ff\u{0C}\n",
        "\u{FEFF}[core]\n\tpager = bom\n",
        "key = before any section\n",
        "[core]\n\t2pager = x\n",
        "[core]\n\tpa_ger = x\n",
        "[core]\n\tpa-ger = x\n",
        "[core]\n\tpager x\n",
        "[core]\n\tpager\t=\tx\n",
        "# comment\n; comment\n\n[core] ; comment\n\tpager = x\n",
        "[core]\n\tpager = x # c\n[core \"\"]\n\tk = y\n",
        "[includeIf \"gitdir:~/w/\"]\n\tpath = x.cfg\n[include]\n\tpath = y\n",
        "[url \"https://evil.example/\"]\n\tinsteadOf = https://github.com/\n",
        "[core]\n\tpager = \"q\"uo\"te\"d\n",
        "[core]\n\tpager = é ü 🙂\n",
        "[core]\n\tpager = last line without newline",
        "[core]\n\tpager",
        "[core",
        "",
        "\n\n   \n",
    ]

    @Test(arguments: handWritten)
    func readsLikeGit(_ text: String) async throws {
        try await expectSameAsGit(Array(text.utf8))
    }

    @Test(
        arguments: [
            [0xEF, 0xBB] + Array("[core]\n".utf8), [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("[core]\n".utf8),
            Array("[core]\n\tpager = \u{FF}".utf8).dropLast(2) + [0xFF, 0xFE], Array("[core]\n\tpager = x\r".utf8),
            Array("[core]\n\tpager = x\\\r\n y\n".utf8), Array("[remote \"".utf8) + [0xC3] + Array("\"]\n\turl = u\n".utf8),
        ] as [[UInt8]])
    func rawBytesReadLikeGit(_ bytes: [UInt8]) async throws {
        try await expectSameAsGit(bytes)
    }

    @Test func generatedFilesReadLikeGit() async throws {
        var generator = SplitMix(seed: 13)
        var readable = 0
        for _ in 0..<300 {
            let bytes = ConfigGenerator.file(&generator)
            try await expectSameAsGit(bytes)
            if case .success(let document) = GitConfigParser.parse(bytes), !document.entries.isEmpty { readable += 1 }
        }
        // Both kinds must be well represented, or the comparison proves little.
        #expect((60...240).contains(readable), "\(readable) of 300 generated files had entries")
    }

    @Test func removingAnyEntryLeavesExactlyTheOthers() async throws {
        let oracle = try GitOracle()
        var generator = SplitMix(seed: 31)
        let files = Self.handWritten.map { Array($0.utf8) } + (0..<60).map { _ in ConfigGenerator.file(&generator) }
        for bytes in files {
            guard case .success(let document) = GitConfigParser.parse(bytes) else { continue }
            for entry in document.entries {
                let rewritten = try #require(document.verifiedRemoving([entry]), "\(String(decoding: bytes, as: UTF8.self))")
                let expected = document.entries.filter { $0.range != entry.range }.map(\.setting)
                #expect(try await oracle.settings(of: rewritten) == expected, "\(String(decoding: rewritten, as: UTF8.self))")
            }
        }
    }

    @Test func aNulByteMakesTheFileUnreadable() {
        guard case .failure(let error) = GitConfigParser.parse(Array("[core]\n\tpager = a\0b\n".utf8)) else {
            Issue.record("a NUL byte was accepted")
            return
        }
        #expect(error.line == 2)
    }

    private func expectSameAsGit(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = try await GitOracle().settings(of: bytes)
        let text = String(decoding: bytes, as: UTF8.self).debugDescription
        switch GitConfigParser.parse(bytes) {
        case .success(let document):
            #expect(document.entries.map(\.setting) == expected, "\(text)", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(expected == nil, "git reads \(text), the guard refused it (\(error))", sourceLocation: sourceLocation)
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing case can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }
}

/// Configuration files assembled from tricky fragments.
enum ConfigGenerator {
    // Each pool: mostly what git accepts, some of what it refuses (the last ones).
    static let headers = [
        "[core]", "[Core]", "[remote \"Origin\"]", "[remote \"a\\\"b\"]", "[remote \"a\\\\b\\c\"]", "[Branch.Main]", "[ \"x\"]",
        "[diff \"x\"]", "[url \"https://e/\"]", "[alias]", "[core] ", "[core]\t", "[include]", "[co re]", "[core \"sub\" ]",
    ]
    static let keys = ["pager", "FsMonitor", "url", "k-2", "insteadOf", "path", "x", "2bad", "a_b"]
    static let values = [
        "v", "\"quoted ; not # comment\"", "a ; comment", "a # comment", "a\\\n b", "\"a\\\n b\"", "a\\tb\\n\\\\\\\"",
        "  spaced   out  ", "", "é", "\"\"", "a\rb", "tab\there", "\"x\"y\"z\"", "=", "v\u{0B}", "\\q", "\"open", "a\\",
    ]
    static let separators = [" = ", "=", " =", "= ", "\t=\t", "", " = ", " "]
    static let lineEnds = ["\n", "\r\n", "\n\n", " ; trailing\n", "\n# comment\n"]

    /// Mostly from the first `good` choices; one time in eight from any.
    static func pick(_ choices: [String], good: Int, _ generator: inout SplitMix) -> String {
        generator.next() % 8 == 0 ? generator.pick(choices) : generator.pick(Array(choices.prefix(good)))
    }

    static func file(_ generator: inout SplitMix) -> [UInt8] {
        var text = generator.next() % 8 == 0 ? "\u{FEFF}" : ""
        for _ in 0..<(1 + generator.next() % 3) {
            text += pick(headers, good: 13, &generator) + generator.pick(["\n", "\r\n", " "])
            for _ in 0..<(generator.next() % 4) {
                text += generator.pick(["", "\t", "  "]) + pick(keys, good: 7, &generator)
                let separator = pick(separators, good: 7, &generator)
                text += separator.isEmpty ? "" : separator + pick(values, good: 16, &generator)
                text += generator.pick(lineEnds)
            }
        }
        return Array(text.utf8)
    }
}
