import Foundation
import Testing

@testable import AgentGit

/// The inventory walks what libgit2 will pack, with the same rules (what the remote has is not
/// counted), and refuses deep trees and oversized objects or pushes from headers.
struct PushInventoryTests {
    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines))) }

    /// A commit with a file `levels - 1` directories deep (so `levels` trees).
    func deepCommit(_ fixture: RepositoryFixture, levels: Int) async throws -> ObjectID {
        let path = Array(repeating: "d", count: levels - 1).joined(separator: "/") + "/leaf.txt"
        try fixture.write(path, "leaf\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "deep"])
        return try id(try await fixture.git(["rev-parse", "HEAD"]))
    }

    @Test func depthIsCountedInTreesAndCheckedAgainstTheLimit() async throws {
        let fixture = try await RepositoryFixture()
        let commit = try await deepCommit(fixture, levels: 30)
        let view = try fixture.view()
        let within = try PushInventory.check(view.repository, sending: [commit], remoteHas: [], limits: PushLimits(maximumTreeDepth: 30), control: nil)
        #expect(within.objectCount == 1 + 30 + 1, "the commit, 30 trees, the blob")
        #expect(throws: PushRefusal.treeTooDeep(tree: try id(try await fixture.git(["rev-parse", "HEAD^{tree}"])).hex, limit: 29)) {
            _ = try PushInventory.check(view.repository, sending: [commit], remoteHas: [], limits: PushLimits(maximumTreeDepth: 29), control: nil)
        }
    }

    @Test func aDeepTreeTheRemoteHasIsCheckedToo() async throws {
        // libgit2 recurses through the remote's trees as well (to mark them as not to be sent).
        let fixture = try await RepositoryFixture()
        let deep = try await deepCommit(fixture, levels: 40)
        try fixture.write("shallow.txt", "new\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "next"])
        let next = try id(try await fixture.git(["rev-parse", "HEAD"]))
        let view = try fixture.view()
        #expect(throws: PushRefusal.self) {
            _ = try PushInventory.check(view.repository, sending: [next], remoteHas: [deep], limits: PushLimits(maximumTreeDepth: 20), control: nil)
        }
        let fine = try PushInventory.check(view.repository, sending: [next], remoteHas: [deep], limits: PushLimits(), control: nil)
        #expect(fine.objectCount == 3, "only the new commit, its root tree and the new blob: \(fine.objectCount)")
    }

    @Test func sizesComeFromHeadersAndWhatTheRemoteHasIsNotCounted() async throws {
        let fixture = try await RepositoryFixture()
        try fixture.write("big.bin", String(repeating: "a", count: 300_000))
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "big"])
        let first = try id(try await fixture.git(["rev-parse", "HEAD"]))
        let bigBlob = try await fixture.git(["rev-parse", "HEAD:big.bin"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.write("small.txt", "small\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "small"])
        let second = try id(try await fixture.git(["rev-parse", "HEAD"]))
        let view = try fixture.view()
        let perObject = PushLimits(maximumObjectSize: 100_000)
        #expect(throws: PushRefusal.objectTooLarge(id: bigBlob, size: 300_000, limit: 100_000)) {
            _ = try PushInventory.check(view.repository, sending: [second], remoteHas: [], limits: perObject, control: nil)
        }
        #expect(throws: PushRefusal.tooManyObjects(limit: 3)) {
            _ = try PushInventory.check(view.repository, sending: [second], remoteHas: [], limits: PushLimits(maximumObjects: 3), control: nil)
        }
        let total = PushLimits(maximumPushSize: 250_000)
        #expect(throws: PushRefusal.self) {
            _ = try PushInventory.check(view.repository, sending: [second], remoteHas: [], limits: total, control: nil)
        }
        // The remote has the first commit: the big blob is not sent again.
        let inventory = try PushInventory.check(view.repository, sending: [second], remoteHas: [first], limits: perObject, control: nil)
        #expect(inventory.totalSize < 1000, "\(inventory.totalSize)")
    }

    @Test func annotatedTagsAndBareBlobsAreCounted() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 2)
        try await fixture.git(["tag", "-a", "v1", "-m", "tag"])
        let tag = try id(try await fixture.git(["rev-parse", "v1"]))
        let blob = try id(try await fixture.git(["rev-parse", "HEAD:file.txt"]))
        let view = try fixture.view()
        let tagged = try PushInventory.check(view.repository, sending: [tag], remoteHas: [], limits: PushLimits(), control: nil)
        #expect(tagged.objectCount > 5)
        let bare = try PushInventory.check(view.repository, sending: [blob], remoteHas: [], limits: PushLimits(), control: nil)
        #expect(bare.objectCount == 1)
    }

    /// Trees nested in one another are held at once: their sizes along one path are bounded,
    /// from headers, before the deepest one is read; siblings do not add up.
    @Test func treesOnOnePathAreBoundedTogether() async throws {
        let fixture = try await RepositoryFixture()
        let names = (0..<200).map { "file-with-a-longish-name-\($0).txt" }
        for directory in ["a", "a/b", "c"] {
            for name in names { try fixture.write(directory + "/" + name, "x\n") }
        }
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "wide trees"])
        let commit = try id(try await fixture.git(["rev-parse", "HEAD"]))
        func size(_ path: String) async throws -> Int {
            try #require(Int(try await fixture.git(["cat-file", "-s", "HEAD:" + path]).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let (root, a, b, c) = (try await size(""), try await size("a"), try await size("a/b"), try await size("c"))
        let view = try fixture.view()
        let fits = PushLimits(maximumTreeBytesOnPath: root + a + b)
        #expect(throws: Never.self) { _ = try PushInventory.check(view.repository, sending: [commit], remoteHas: [], limits: fits, control: nil) }
        #expect(root + a + b < root + a + c + b, "c is a sibling: it never adds to a/b")
        let tight = PushLimits(maximumTreeBytesOnPath: root + a + b - 1)
        let bHex = try await fixture.git(["rev-parse", "HEAD:a/b"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(throws: PushRefusal.treesTooLarge(tree: bHex, size: root + a + b, limit: root + a + b - 1)) {
            _ = try PushInventory.check(view.repository, sending: [commit], remoteHas: [], limits: tight, control: nil)
        }
        // The remote's trees are walked under the same bound.
        #expect(throws: PushRefusal.self) {
            _ = try PushInventory.check(view.repository, sending: [], remoteHas: [commit], limits: tight, control: nil)
        }
    }

    @Test func anExpiredDeadlineStopsTheWalk() async throws {
        let fixture = try await RepositoryFixture()
        let commit = try await deepCommit(fixture, levels: 10)
        let control = OperationControl(deadline: .now)
        let view = try ViewRepository(of: try fixture.open(), in: fixture.directory.path, objectLimits: ObjectLimits(), control: control)
        #expect(throws: PushRefusal.self) {
            _ = try PushInventory.check(view.repository, sending: [commit], remoteHas: [], limits: PushLimits(), control: control)
        }
    }
}
