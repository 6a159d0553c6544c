import AgentSystem
import Foundation
import Testing

/// The inotify wrapper reports changes in a watched directory, and nothing when it is quiet.
struct InotifyTests {
    @Test func changesInAWatchedDirectoryAreReported() throws {
        let path = NSTemporaryDirectory() + "inotify-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let inotify = try Inotify()
        let directory = try ContainedDirectory.openRoot(path)
        let watch = try inotify.watch(directory)
        #expect(try inotify.events(waitingAtMost: .milliseconds(10)).isEmpty)

        try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/config"))
        try FileManager.default.createDirectory(atPath: path + "/hooks", withIntermediateDirectories: false)
        var events: [Inotify.Event] = []
        // Readiness: the kernel queues the events as the writes happen; read until both are seen.
        for _ in 0..<100 where !(events.contains { $0.name == "config" } && events.contains { $0.name == "hooks" && $0.isDirectory }) {
            events += try inotify.events(waitingAtMost: .milliseconds(100))
        }
        #expect(events.allSatisfy { $0.watch == watch })
        #expect(events.contains { $0.name == "config" && !$0.isDirectory })
        #expect(events.contains { $0.name == "hooks" && $0.isDirectory })
        try FileManager.default.moveItem(atPath: path + "/config", toPath: path + "/config2")
        var moves: [Inotify.Event] = []
        for _ in 0..<100 where moves.isEmpty { moves = try inotify.events(waitingAtMost: .milliseconds(100)).filter(\.isMove) }
        #expect(moves.map(\.name).contains("config"))
    }
}
