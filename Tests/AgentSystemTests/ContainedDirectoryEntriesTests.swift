import AgentSystem
import Foundation
import Testing

/// The guard's operations never follow a link: opens refuse one anywhere in the path, new files
/// refuse whatever is already there and get exactly the mode asked for.
struct ContainedDirectoryEntriesTests {
    private final class Tree {
        let base = NSTemporaryDirectory() + "entries-" + UUID().uuidString
        var root: String { base + "/root" }

        init() throws {
            let manager = FileManager.default
            try manager.createDirectory(atPath: root + "/real/inner", withIntermediateDirectories: true)
            try manager.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
            try Data("hook".utf8).write(to: URL(fileURLWithPath: root + "/real/file"))
            try manager.createSymbolicLink(atPath: root + "/link-in", withDestinationPath: "real")
            try manager.createSymbolicLink(atPath: root + "/link-out", withDestinationPath: base + "/outside")
        }

        deinit { try? FileManager.default.removeItem(atPath: base) }
    }

    @Test func linksAreRefusedWhenNotFollowing() throws {
        let tree = try Tree()
        let root = try ContainedDirectory.openRoot(tree.root)
        #expect(try root.directory("link-in", followingLinks: true).entries().map(\.name).sorted() == ["file", "inner"])
        #expect(throws: ContainedFileError.self) { try root.directory("link-in", followingLinks: false) }
        #expect(throws: ContainedFileError.self) { try root.directory("link-in/inner", followingLinks: false) }
        #expect(throws: ContainedFileError.self) { try root.file("link-in/file", followingLinks: false) }
        #expect(throws: ContainedFileError.self) { try root.directory("link-out", followingLinks: true) }
        #expect(try root.file("real/file", followingLinks: false).readAll(limit: 10) == Array("hook".utf8))
        let kinds = Dictionary(uniqueKeysWithValues: try root.entries().map { ($0.name, $0.kind) })
        #expect(kinds == ["real": .directory, "link-in": .symbolicLink, "link-out": .symbolicLink])
        #expect(try root.linkTarget("link-in") == Array("real".utf8))
    }

    @Test func exclusiveCreationHasTheExactModeAndReplacesNothing() throws {
        let tree = try Tree()
        let real = try ContainedDirectory.openRoot(tree.root).directory("real", followingLinks: false)
        let file = try real.createFileExclusively("hook.lock", mode: 0o755)
        try file.write(Array("new".utf8))
        #expect(try file.status().mode == 0o755)
        #expect(throws: ContainedFileError.self) { try real.createFileExclusively("file", mode: 0o644) }
        do {
            _ = try real.createFileExclusively("hook.lock", mode: 0o644)
            Issue.record("an existing file was replaced")
        } catch {
            #expect(error.isAlreadyExisting)
        }
        try real.makeSymbolicLink("pointer", target: Array("file".utf8))
        #expect(try real.entryStatus("pointer").kind == .symbolicLink)
        #expect(try String(contentsOfFile: tree.root + "/real/file", encoding: .utf8) == "hook")
    }
}
