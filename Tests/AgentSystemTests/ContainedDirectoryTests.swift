import AgentSystem
import Foundation
import Testing

/// Everything reached through a `ContainedDirectory` stays beneath it, and nothing that is not a
/// regular file is read as one.
struct ContainedDirectoryTests {
    /// A root directory with `inside/file`, an `outside` sibling with a secret, and links.
    private final class Tree {
        let base: String
        var root: String { base + "/root" }

        init() throws {
            base = NSTemporaryDirectory() + "contained-" + UUID().uuidString
            let manager = FileManager.default
            try manager.createDirectory(atPath: base + "/root/inside", withIntermediateDirectories: true)
            try manager.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
            try Data("hello".utf8).write(to: URL(fileURLWithPath: root + "/inside/file"))
            try Data("secret".utf8).write(to: URL(fileURLWithPath: base + "/outside/secret"))
            try manager.createSymbolicLink(atPath: root + "/inside-link", withDestinationPath: "inside/file")
            try manager.createSymbolicLink(atPath: root + "/absolute-out", withDestinationPath: base + "/outside/secret")
            try manager.createSymbolicLink(atPath: root + "/relative-out", withDestinationPath: "../outside/secret")
            try manager.createSymbolicLink(atPath: root + "/dir-out", withDestinationPath: base + "/outside")
            try manager.createSymbolicLink(atPath: root + "/magic", withDestinationPath: "/proc/self/environ")
            #expect(mkfifo(root + "/fifo", 0o644) == 0)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: base)
        }
    }

    @Test func filesAndLinksInsideAreRead() throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        #expect(try root.read("inside/file", limit: 100) == Array("hello".utf8))
        #expect(try root.read("inside-link", limit: 100) == Array("hello".utf8))
        #expect(try root.directory("inside").read("file", limit: 100) == Array("hello".utf8))
    }

    @Test(arguments: ["absolute-out", "relative-out", "dir-out/secret", "../outside/secret", "inside/../../outside/secret", "magic"])
    func pathsThatLeaveAreRefusedWithoutTheirContent(_ path: String) throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        do {
            _ = try root.read(path, limit: 100)
            Issue.record("\(path) was read")
        } catch {
            #expect(error.kind == .escapes, "\(path): \(error)")
            #expect(!error.description.contains("secret") || path.contains("secret"))
        }
    }

    @Test func aFifoIsRefusedWithoutBlocking() throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        #expect(throws: ContainedFileError(path: tree.root + "/fifo", kind: .notRegularFile)) {
            try root.read("fifo", limit: 100)
        }
        #expect(throws: ContainedFileError(path: tree.root + "/inside", kind: .notRegularFile)) {
            try root.read("inside", limit: 100)
        }
    }

    @Test func sizeIsCheckedBeforeReading() throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        #expect(throws: ContainedFileError(path: tree.root + "/inside/file", kind: .tooLarge(limit: 4))) {
            try root.read("inside/file", limit: 4)
        }
        #expect(try root.readIfPresent("nothing", limit: 4) == nil)
    }

    @Test func createNeverFollowsOrReplaces() throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        #expect(throws: ContainedFileError.self) { try root.createFile("absolute-out", contents: Array("x".utf8)) }
        #expect(throws: ContainedFileError.self) { try root.createFile("inside/file", contents: Array("x".utf8)) }
        #expect(try String(contentsOfFile: tree.base + "/outside/secret", encoding: .utf8) == "secret")
        try root.createFile("new", contents: Array("made".utf8))
        let inside = try root.directory("inside")
        try root.move("new", to: "moved", in: inside)
        #expect(try inside.read("moved", limit: 10) == Array("made".utf8))
        #expect(try Set(inside.entryNames()) == ["file", "moved"])
        #expect(try root.entryStatus("magic").kind == .symbolicLink)
    }
}
