import AgentSystem
import Foundation
import Testing

struct PrivateDirectoryTests {
    @Test func isPrivateAndRemovedWithEverythingInIt() throws {
        var path = ""
        do {
            let directory = try PrivateDirectory(in: NSTemporaryDirectory(), prefix: "private-test")
            path = directory.path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            try FileManager.default.createDirectory(atPath: path + "/a/b", withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/a/b/file"))
            try FileManager.default.createSymbolicLink(atPath: path + "/a/link", withDestinationPath: "/etc")
            try directory.root.createFile("made", contents: Array("y".utf8))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname") || FileManager.default.fileExists(atPath: "/etc"), "a link's target is untouched")
    }

    /// The view may hold refs as deep as the workspace's (and deeper than any fixed walk):
    /// removal has no depth limit and keeps no descriptor per level.
    @Test func everythingIsRemovedHoweverDeep() throws {
        var path = ""
        do {
            let directory = try PrivateDirectory(in: NSTemporaryDirectory(), prefix: "private-test")
            path = directory.path
            let deep = path + "/" + Array(repeating: "d", count: 1_000).joined(separator: "/")
            try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: deep + "/leaf"))
            // A name the removal might pick for a directory it moves up is taken already.
            try FileManager.default.createDirectory(atPath: path + "/.removing-1/x", withIntermediateDirectories: true)
        }
        #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left behind")
    }

    /// Views an agent left behind when it was killed are removed at the next start; a view a
    /// running agent holds (locked), a recent one, and anything that is not such a directory
    /// are kept.
    @Test func leftoversAreSweptButViewsInUseAreKept() throws {
        let parent = NSTemporaryDirectory() + "sweep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try FileManager.default.createDirectory(atPath: parent + "/view-left1/refs/a/b", withIntermediateDirectories: true)
        try Data("ref: refs/heads/main\n".utf8).write(to: URL(fileURLWithPath: parent + "/view-left1/refs/a/b/c"))
        try FileManager.default.createDirectory(atPath: parent + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: parent + "/view-link", withDestinationPath: parent + "/elsewhere")
        try FileManager.default.createDirectory(atPath: parent + "/other-dir", withIntermediateDirectories: true)
        let hoursAgo = Date(timeIntervalSinceNow: -7_200)
        try FileManager.default.setAttributes([.modificationDate: hoursAgo], ofItemAtPath: parent + "/view-left1")
        // Unlocked but recent: a view just made, or one of an agent that does not lock.
        try FileManager.default.createDirectory(atPath: parent + "/view-recent/refs", withIntermediateDirectories: true)
        let live = try PrivateDirectory(in: parent, prefix: "view")
        try live.root.createFile("in-use", contents: Array("y".utf8))
        try FileManager.default.setAttributes([.modificationDate: hoursAgo], ofItemAtPath: live.path)

        #expect(PrivateDirectory.sweep(in: parent, prefix: "view", minimumAge: 3_600) == 1)
        #expect(!FileManager.default.fileExists(atPath: parent + "/view-left1"))
        #expect(FileManager.default.fileExists(atPath: parent + "/view-recent/refs"), "a recent view was removed")
        #expect(FileManager.default.fileExists(atPath: live.path + "/in-use"), "a view in use was removed")
        #expect(FileManager.default.fileExists(atPath: parent + "/elsewhere"))
        #expect(FileManager.default.fileExists(atPath: parent + "/other-dir"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: parent + "/view-link")) != nil, "a link was followed or removed")
    }

    @Test func positionedReadsAndExclusiveCreation() throws {
        let directory = try PrivateDirectory(in: NSTemporaryDirectory(), prefix: "private-test")
        let file = try directory.root.createFileExclusively("data", mode: 0o600)
        try Array("0123456789".utf8).withUnsafeBytes { try file.append($0) }
        try file.synchronize()
        let reader = try directory.root.file("data")
        var buffer = [UInt8](repeating: 0, count: 4)
        let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: 6) }
        #expect(count == 4 && buffer == Array("6789".utf8))
        #expect(try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: 20) } == 0)
        do {
            _ = try directory.root.createFileExclusively("data", mode: 0o600)
            Issue.record("an existing file was opened for writing")
        } catch {
            #expect(error.isAlreadyExisting)
        }
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/link", withDestinationPath: directory.path + "/elsewhere")
        #expect(throws: ContainedFileError.self) { _ = try directory.root.createFileExclusively("link", mode: 0o600) }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/elsewhere"), "nothing was created through the link")
    }
}
