import AgentTestSupport
import Foundation
import Testing

/// The agent serves only from a socket directory no one else can write, and never on a socket
/// path someone else made: otherwise a client could put its own listener in the agent's place.
struct SocketDirectoryTests {
    func start(socketDirectory: String, in directory: TemporaryDirectory) async throws -> ProgramResult {
        try await ChildProcess.run(
            BuiltProducts.path("command-agent"), [],
            environment: [
                "PATH": "/usr/bin:/bin", "GITHUB_TOKEN": AgentUnderTest.canaryToken, "AGENT_SOCKET_DIR": socketDirectory,
                "AGENT_WORKSPACE": directory.path, "AGENT_AUDIT_LOG": directory.sub("audit.log"),
            ], outputDirectory: directory.path, timeout: .seconds(30))
    }

    @Test func aDirectoryOthersCanWriteIsRefused() async throws {
        let directory = try TemporaryDirectory(prefix: "sockdir")
        let sockets = directory.sub("run")
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        #expect(chmod(sockets, 0o1777) == 0)
        let result = try await start(socketDirectory: sockets, in: directory)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("AGENT_SOCKET_DIR: \(sockets) is writable by other users (mode 1777)"), "\(result.stderr)")
    }

    @Test func aDirectoryOfAnotherUserIsRefused() async throws {
        try #require(getuid() == 0, "needs root to give the directory away")
        let directory = try TemporaryDirectory(prefix: "sockdir")
        let sockets = directory.sub("run")
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        #expect(chown(sockets, 65534, 65534) == 0)
        let result = try await start(socketDirectory: sockets, in: directory)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("belongs to uid 65534, not to the agent"), "\(result.stderr)")
    }

    @Test func aSocketSomeoneElseMadeIsNotTakenOver() async throws {
        try #require(getuid() == 0, "needs root to make a socket of another user")
        let directory = try TemporaryDirectory(prefix: "sockdir")
        let sockets = directory.sub("run")
        try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
        let planted = sockets + "/gh.sock"
        let listener = try ChildProcess(
            "/usr/bin/socat", ["UNIX-LISTEN:\(planted),fork", "SYSTEM:echo forged"], environment: ["PATH": "/usr/bin:/bin"],
            outputDirectory: directory.path)
        defer { listener.signal(SIGKILL) }
        while !FileManager.default.fileExists(atPath: planted) { try await Task.sleep(for: .milliseconds(10)) }
        listener.signal(SIGKILL)
        _ = await listener.wait(timeout: .seconds(5))
        #expect(lchown(planted, 65534, 65534) == 0)
        let result = try await start(socketDirectory: sockets, in: directory)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.stderr.contains("gh.sock was made by uid 65534, not by the agent"), "\(result.stderr)")
    }
}
