import AgentSystem
import Foundation
import Testing

/// In the containers the agent runs as its own uid; what it makes in the person's repository
/// (packs, quarantine records, a rewritten config) must belong to the person, or their own git
/// could no longer write there. Every entry made through a `ContainedDirectory` takes the owner
/// and group of the directory it is made in.
struct ContainedDirectoryOwnershipTests {
    static var isRoot: Bool { getuid() == 0 }

    private final class Folder {
        let path = NSTemporaryDirectory() + "ownership-" + UUID().uuidString

        init(owner: uid_t, group: gid_t) throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard chown(path, owner, group) == 0 else { throw CocoaError(.fileWriteNoPermission) }
        }

        func owner(of name: String) throws -> (uid: uid_t, gid: gid_t) {
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
            return (info.st_uid, info.st_gid)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test(.enabled(if: isRoot, "needs CAP_CHOWN to give entries to another user"))
    func entriesTakeTheDirectorysOwner() throws {
        let folder = try Folder(owner: 4242, group: 4343)
        let directory = try ContainedDirectory.openRoot(folder.path)
        try directory.createFile("created", contents: Array("x".utf8))
        let exclusive = try directory.createFileExclusively("config.lock", mode: 0o644)
        try exclusive.write(Array("[core]\n".utf8))
        try directory.makeDirectory("agent-quarantine")
        try directory.makeSymbolicLink("link", target: Array("created".utf8))
        for name in ["created", "config.lock", "agent-quarantine", "link"] {
            let owner = try folder.owner(of: name)
            #expect(owner.uid == 4242 && owner.gid == 4343, "\(name) belongs to \(owner.uid):\(owner.gid)")
        }
        #expect(try exclusive.status().mode == 0o644, "the mode asked for is kept")

        // Beneath it, the same rule applies level by level.
        let record = try directory.directory("agent-quarantine")
        try record.createFile("manifest", contents: [])
        #expect(try folder.owner(of: "agent-quarantine/manifest").uid == 4242)
    }

    @Test(.enabled(if: isRoot, "needs CAP_CHOWN to give entries to another user"))
    func aFileMovedInIsHandedOverByDescriptor() throws {
        let source = try Folder(owner: getuid(), group: getgid())
        let destination = try Folder(owner: 4242, group: 4343)
        try Data("pack".utf8).write(to: URL(fileURLWithPath: source.path + "/pack-1.pack"))
        let from = try ContainedDirectory.openRoot(source.path)
        let to = try ContainedDirectory.openRoot(destination.path)
        let file = try from.file("pack-1.pack")
        try from.move("pack-1.pack", to: "pack-1.pack", in: to)
        #expect(try destination.owner(of: "pack-1.pack").uid == getuid(), "a move keeps the owner")
        to.handOver(file)
        #expect(try destination.owner(of: "pack-1.pack").uid == 4242)
    }

    @Test func inItsOwnDirectoryNothingChanges() throws {
        let folder = try Folder(owner: getuid(), group: getgid())
        let directory = try ContainedDirectory.openRoot(folder.path)
        try directory.createFile("state", contents: [], mode: 0o600)
        let owner = try folder.owner(of: "state")
        #expect(owner.uid == getuid() && owner.gid == getgid())
    }
}
