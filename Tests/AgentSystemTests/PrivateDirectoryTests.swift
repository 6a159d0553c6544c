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
