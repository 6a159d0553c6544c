import AgentTestSupport
import Foundation
import Testing

/// A `GitScenario` with the `workflows` fixture (`.github/workflows/ci.yml`,
/// `.github/actions/setup/action.yml`) served as `o/wf` and cloned into the workspace, for the
/// content rules (PROTECTED_PATHS, SECRET_SCAN).
struct ContentScenario {
    let git: GitScenario
    let work: String

    static func start(environment: [String: String] = [:]) async throws -> ContentScenario {
        let git = try await GitScenario.start(environment: environment)
        try await git.server.addRepository(owner: "o", name: "wf", fixture: "workflows")
        let work = try await git.clone("o/wf", into: "wf")
        return ContentScenario(git: git, work: work)
    }

    var bare: String { git.server.root + "/o/wf.git" }

    func write(_ path: String, _ text: String) throws {
        let file = work + "/" + path
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
    }

    func write(_ path: String, bytes: [UInt8]) throws {
        let file = work + "/" + path
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    @discardableResult
    func run(_ arguments: String...) async throws -> String {
        try await git.mustGit(arguments, in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stages everything and commits; returns the commit.
    @discardableResult
    func commitAll(_ message: String) async throws -> String {
        try await run("add", "-A")
        try await run("commit", "-q", "--allow-empty", "-m", message)
        return try await run("rev-parse", "HEAD")
    }

    /// Pushes straight into the server's repository (no agent): how the upstream's own branches
    /// come to exist.
    func pushDirectly(_ refspec: String) async throws {
        try await run("push", "-q", bare, refspec)
    }

    func push(_ arguments: String...) async throws -> ProgramResult {
        try await git.git(["push"] + arguments, in: work)
    }

    func serverRef(_ name: String) async throws -> String? {
        try await git.server.reference(name, in: "o/wf")
    }

    /// The push was refused for `destination` with `reason`, as git shows a server's refusal,
    /// and the server's ref did not move; nothing secret reached any output.
    func expectRefused(
        _ result: ProgramResult, source: String = "HEAD", _ destination: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(result.status != 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("! [remote rejected] \(source) -> \(destination) (\(reason))"), "\(result.output)", sourceLocation: sourceLocation)
        #expect(try await serverRef("refs/heads/\(destination)") == nil, "the ref landed", sourceLocation: sourceLocation)
        git.expectNoCanary(result, sourceLocation: sourceLocation)
    }

    func expectLanded(_ result: ProgramResult, _ destination: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(result.status == 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(try await serverRef("refs/heads/\(destination)") == (try await run("rev-parse", "HEAD")), "\(result.output)", sourceLocation: sourceLocation)
        git.expectNoCanary(result, sourceLocation: sourceLocation)
    }

    static func protected(_ path: String) -> String { "path '\(path)' is protected (PROTECTED_PATHS)" }
}
