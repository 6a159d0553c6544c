import AgentSystem
import Foundation
import Testing

@testable import AgentGit

/// The agent's own object reader returns exactly what git stored, for loose objects and for
/// packs with offset and reference deltas, and refuses damaged or oversized objects without
/// crashing or allocating them.
struct WorkspaceObjectStoreTests {
    static let kinds: [String: ObjectKind] = ["commit": .commit, "tree": .tree, "blob": .blob, "tag": .tag]

    func store(_ fixture: RepositoryFixture, limits: ObjectLimits = ObjectLimits()) throws -> WorkspaceObjectStore {
        try fixture.open().makeObjectStore(limits: limits, control: nil)
    }

    func read(_ store: WorkspaceObjectStore, _ hex: String) throws -> (ObjectKind, [UInt8]) {
        let id = try #require(ObjectID(hex: hex).flatMap(RawObjectID.init))
        var bytes: [UInt8] = []
        var buffer: UnsafeMutableRawBufferPointer?
        let kind = try store.read(id) { count in
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
            return buffer.map { UnsafeMutableRawBufferPointer(rebasing: $0[0..<count]) }
        }
        if let buffer {
            bytes = Array(buffer.prefix(try store.header(id).size))
            buffer.deallocate()
        }
        return (kind, bytes)
    }

    enum Layout: String, CaseIterable, Sendable {
        case loose = "loose objects"
        case offsetDeltas = "a pack with offset deltas"
        case referenceDeltas = "a pack with reference deltas"
        case mixed = "two packs and loose objects"
        case indexesSearchedWithReads = "packs whose indexes do not fit the memory budget"
    }

    @Test(arguments: Layout.allCases)
    func everyObjectReadsBackExactly(_ layout: Layout) async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 12)
        try await fixture.git(["tag", "-a", "v1", "-m", "an annotated tag"])
        switch layout {
        case .loose: break
        case .offsetDeltas: try await fixture.git(["repack", "-q", "-a", "-d", "--window=50", "--depth=50"])
        case .referenceDeltas:
            try await fixture.git(["-c", "repack.useDeltaBaseOffset=false", "-c", "pack.useDeltaBaseOffset=false", "repack", "-q", "-a", "-d"])
        case .mixed, .indexesSearchedWithReads:
            try await fixture.git(["repack", "-q", "-a", "-d"])
            try await fixture.makeHistory(commits: 3, prefix: "second-")
            try await fixture.git(["repack", "-q", "-d"])
            try await fixture.makeHistory(commits: 2, prefix: "third-")
        }
        let store = try store(fixture, limits: ObjectLimits(indexMemoryBytes: layout == .indexesSearchedWithReads ? 0 : 128 << 20))
        let objects = try await fixture.allObjects()
        #expect(objects.count > 40)
        for (hex, object) in objects {
            let (kind, bytes) = try read(store, hex)
            #expect(kind == Self.kinds[object.type], "\(hex)")
            #expect(bytes == object.content, "\(hex) (\(object.type)) differs")
            let id = try #require(ObjectID(hex: hex).flatMap(RawObjectID.init))
            #expect(try store.header(id).size == object.content.count)
            #expect(try store.contains(id))
            #expect(try store.resolve(prefix: id, hexDigits: 12) == id)
        }
        let absent = try #require(ObjectID(hex: String(repeating: "e", count: 40)).flatMap(RawObjectID.init))
        #expect(try !store.contains(absent))
    }

    @Test func anObjectOverTheLimitIsRefusedBeforeAllocating() async throws {
        let fixture = try await RepositoryFixture()
        try fixture.write("big.txt", String(repeating: "x", count: 5000))
        try await fixture.git(["add", "big.txt"])
        try await fixture.git(["commit", "-q", "-m", "big"])
        let blob = try await fixture.git(["rev-parse", "HEAD:big.txt"]).trimmingCharacters(in: .whitespacesAndNewlines)
        for pack in [false, true] {
            if pack { try await fixture.git(["repack", "-q", "-a", "-d"]) }
            let store = try store(fixture, limits: ObjectLimits(maximumObjectSize: 4096))
            let id = try #require(ObjectID(hex: blob).flatMap(RawObjectID.init))
            var allocated = false
            #expect(throws: ObjectStoreError.tooLarge(id: blob, size: 5000, limit: 4096)) {
                _ = try store.read(id) { _ in
                    allocated = true
                    return nil
                }
            }
            #expect(!allocated, "allocated before checking the size")
            #expect(try store.header(id).size == 5000, "the header alone still answers")
        }
    }

    @Test func aTruncatedPackGivesErrorsNotCrashes() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 8)
        try await fixture.git(["repack", "-q", "-a", "-d"])
        let objects = try await fixture.allObjects()
        let packDirectory = fixture.gitDirectory + "/objects/pack"
        let pack = try #require(try FileManager.default.contentsOfDirectory(atPath: packDirectory).first { $0.hasSuffix(".pack") })
        let store = try store(fixture)
        // Truncated after the store opened it, as a hostile workspace could do meanwhile.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: packDirectory + "/" + pack)[.size] as? Int)
        #expect(truncate(packDirectory + "/" + pack, off_t(size / 3)) == 0)
        var failures = 0
        for hex in objects.keys {
            do { _ = try read(store, hex) } catch { failures += 1 }
        }
        #expect(failures > 0, "some objects lay past the cut")
        // Opening it again now fails: the checksum at its end is gone.
        #expect(throws: WorkspaceError.self) { _ = try fixture.open().makeObjectStore(limits: ObjectLimits(), control: nil) }
    }

    @Test func aDamagedLooseObjectIsReportedWithItsPathOnly() async throws {
        let fixture = try await RepositoryFixture()
        try fixture.write("a.txt", "SECRET-CONTENT\n")
        try await fixture.git(["add", "a.txt"])
        let blob = try await fixture.git(["rev-parse", ":a.txt"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let path = fixture.gitDirectory + "/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        try FileManager.default.removeItem(atPath: path)
        try Data("SECRET-CONTENT not zlib".utf8).write(to: URL(fileURLWithPath: path))
        let store = try store(fixture)
        do {
            _ = try read(store, blob)
            Issue.record("a damaged object was read")
        } catch {
            let text = String(describing: error)
            #expect(text.contains(blob.dropFirst(2)), "names the file: \(text)")
            #expect(!text.contains("SECRET"), "never the content: \(text)")
        }
    }

    @Test func deltaApplicationRefusesWhatReachesOutside() throws {
        let base: [UInt8] = Array("0123456789".utf8)
        func apply(_ delta: [UInt8]) throws -> [UInt8] {
            try delta.withUnsafeBytes { deltaBytes in
                let header = try Delta.header(deltaBytes)
                var output = [UInt8](repeating: 0, count: header.resultSize)
                try base.withUnsafeBytes { baseBytes in
                    try output.withUnsafeMutableBytes { try Delta.apply(deltaBytes, header: header, to: baseBytes, into: $0) }
                }
                return output
            }
        }
        // base 10, result 7: copy 4 bytes from offset 2, insert "xyz".
        #expect(try apply([10, 7, 0x91, 2, 4, 3] + Array("xyz".utf8)) == Array("2345xyz".utf8))
        #expect(throws: Delta.Problem.self) { try apply([10, 7, 0x91, 8, 4, 3] + Array("xyz".utf8)) }  // copy past the base
        #expect(throws: Delta.Problem.self) { try apply([10, 3, 0x91, 0, 4]) }  // copy past the result
        #expect(throws: Delta.Problem.self) { try apply([10, 5, 9] + Array("abc".utf8)) }  // insert past the delta
        #expect(throws: Delta.Problem.self) { try apply([11, 0]) }  // wrong base size
        #expect(throws: Delta.Problem.self) { try apply([10, 1, 0]) }  // reserved instruction
    }
}
