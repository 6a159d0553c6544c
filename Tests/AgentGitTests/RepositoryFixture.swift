import AgentSystem
import AgentTestSupport
import Foundation

@testable import AgentGit

/// A real repository made with real git in a workspace directory, opened as the agent opens one.
final class RepositoryFixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    var workspace: String { directory.sub("workspace") }
    var work: String { workspace + "/repo" }
    var gitDirectory: String { work + "/.git" }

    init() async throws {
        try LibGit2.bootstrap(caFile: nil)
        directory = try TemporaryDirectory(prefix: "gitfix")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main", "."])
    }

    @discardableResult
    func git(_ arguments: [String], input: Data? = nil) async throws -> String {
        let environment = [
            "HOME": directory.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin",
            "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
        ]
        let result = try await ChildProcess.run(
            "/usr/bin/git", arguments, environment: environment, directory: work, stdin: input, outputDirectory: directory.path)
        guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        return result.stdout
    }

    func write(_ name: String, _ text: String) throws {
        let path = work + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Commits `count` versions of a few similar files (so that packs hold deltas); returns ids.
    @discardableResult
    func makeHistory(commits count: Int, prefix: String = "") async throws -> [String] {
        var ids: [String] = []
        let common = (0..<200).map { "line \($0) of text that every version shares\n" }.joined()
        for index in 0..<count {
            try write("\(prefix)file.txt", common + "version \(index)\n")
            try write("\(prefix)dir/sub/other.txt", common + "other \(index % 3)\n")
            try await git(["add", "-A"])
            try await git(["commit", "-q", "-m", "\(prefix)commit \(index)"])
            ids.append(try await git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return ids
    }

    func open(limits: WorkspaceLimits = WorkspaceLimits()) throws -> WorkspaceRepository {
        try WorkspaceRepository(gitDirectory: gitDirectory, root: try ContainedDirectory.openRoot(workspace), workspace: workspace, limits: limits)
    }

    func view(objectLimits: ObjectLimits = ObjectLimits()) throws -> ViewRepository {
        try ViewRepository(of: try open(), in: directory.path, objectLimits: objectLimits, control: nil)
    }

    /// Every object git has: id → (type, content), from `git cat-file --batch-all-objects --batch`.
    func allObjects() async throws -> [String: (type: String, content: [UInt8])] {
        let output = directory.sub("objects.batch")
        let environment = ["HOME": directory.path, "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"]
        _ = try await ChildProcess.run(
            "/bin/sh", ["-c", "git cat-file --batch-all-objects --batch > \"$0\"", output], environment: environment, directory: work,
            outputDirectory: directory.path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
        var objects: [String: (String, [UInt8])] = [:]
        var position = 0
        while position < bytes.count {
            guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            let header = String(decoding: bytes[position..<end], as: UTF8.self).split(separator: " ")
            guard header.count == 3, let size = Int(header[2]) else { break }
            objects[String(header[0])] = (String(header[1]), Array(bytes[(end + 1)..<(end + 1 + size)]))
            position = end + 1 + size + 1
        }
        return objects
    }
}
