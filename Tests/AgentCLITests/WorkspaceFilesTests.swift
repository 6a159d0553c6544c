import AgentClient
import AgentProtocol
import AgentTestSupport
import Foundation
import Testing

/// A FIFO, a directory or a huge sparse file where git keeps a small file neither wedges nor
/// bloats the agent (issue 11, finding 5): it is refused by what `fstat` says, before any byte is
/// read, with the path and the rule. `config` is never read at all.
struct WorkspaceFilesTests {
    enum Place: String, CaseIterable, Sendable {
        case config = "config"
        case head = "HEAD"
        case packedRefs = "packed-refs"
        case looseRef = "refs/heads/main"
        case commondir = "worktrees/wt/commondir"
        case alternates = "objects/info/alternates"
        case packIndex = "objects/pack/pack-*.idx"
        case packData = "objects/pack/pack-*.pack"
        case looseObject = "objects/XX/YYYY (the pushed commit's blob)"
    }

    enum Kind: String, CaseIterable, Sendable {
        case fifo = "a FIFO"
        case directory = "a directory"
        case sparseFile = "a 3 GiB sparse file"
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let place: Place
        let kind: Kind
        var testDescription: String { "\(place.rawValue) is \(kind.rawValue)" }
    }

    static let cases = Place.allCases.flatMap { place in Kind.allCases.map { Case(place: place, kind: $0) } }

    /// Replaces the file at `place` in `gitDirectory` with `kind`; returns the git directory to use.
    static func plant(_ kind: Kind, at place: Place, in app: String, scenario: GitScenario) async throws -> String {
        var gitDirectory = app + "/.git"
        var path = gitDirectory + "/" + place.rawValue
        switch place {
        case .commondir:
            let worktree = gitDirectory + "/worktrees/wt"
            try FileManager.default.createDirectory(atPath: worktree, withIntermediateDirectories: true)
            try "ref: refs/heads/main\n".write(toFile: worktree + "/HEAD", atomically: true, encoding: .utf8)
            gitDirectory = worktree
        case .packIndex, .packData:
            let names = try FileManager.default.contentsOfDirectory(atPath: gitDirectory + "/objects/pack")
            let suffix = place == .packIndex ? ".idx" : ".pack"
            path = gitDirectory + "/objects/pack/" + (try #require(names.first { $0.hasSuffix(suffix) }))
        case .looseObject:
            let blob = try await scenario.mustGit(["rev-parse", "HEAD:changes.txt"], in: app).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            path = gitDirectory + "/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        case .looseRef:
            try await scenario.mustGit(["pack-refs", "--all", "--prune"], in: app)
            try await scenario.mustGit(["update-ref", "refs/heads/main", "HEAD"], in: app)
        case .config, .head, .packedRefs, .alternates:
            break
        }
        try? FileManager.default.removeItem(atPath: path)
        switch kind {
        case .fifo:
            #expect(mkfifo(path, 0o644) == 0)
        case .directory:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .sparseFile:
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            #expect(truncate(path, 3 << 30) == 0)
        }
        return gitDirectory
    }

    /// The workspace guard (issue 13) is off: these tests prove what git.sock itself does.
    static let unguarded = ["AGENT_WORKSPACE_GUARD": "false"]

    static func agentMemoryKiB(_ scenario: GitScenario, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(scenario.agent.child.pid)/status", encoding: .utf8)
        return status.split(separator: "\n").first { $0.hasPrefix(field) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }

    @Test(arguments: cases)
    func oddFilesAreRefusedPromptlyByTheirKind(_ this: Case) async throws {
        let scenario = try await GitScenario.start(environment: Self.unguarded)
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app, "to push")
        let gitDirectory = try await Self.plant(this.kind, at: this.place, in: app, scenario: scenario)
        let url = "https://github.com/o/app.git"
        // Each reply must come (AgentRequest waits at most 60 s): nothing may block on a FIFO.
        let push = try AgentRequest.send(
            scenario, ["operation": "push", "url": url, "git_dir": gitDirectory, "refspec": "\(commit):refs/heads/claude/odd"])
        let fetch = try AgentRequest.send(
            scenario, ["operation": "fetch", "url": url, "git_dir": gitDirectory, "want": try #require(try await scenario.serverRef("refs/heads/main"))])
        let status = try AgentRequest.send(scenario, ["operation": "status"])
        #expect(status["status"] == "ok")
        if this.place == .config || (this.place == .looseRef && this.kind == .directory) {
            // config is never read; an empty directory under refs/ is just a namespace.
            #expect(push.values(for: "ok") == ["refs/heads/claude/odd"], "\(push)")
            #expect(fetch["status"] == "ok", "\(fetch)")
        } else {
            #expect(push.values(for: "ok").isEmpty, "\(push)")
            let said = [push["message"] ?? "", push.values(for: "error").joined(separator: " "), fetch["message"] ?? ""].joined(separator: " ")
            let rule = this.kind == .sparseFile ? ["is larger than", "is not a valid git file", "is not a regular file"] : ["is not a regular file"]
            #expect(rule.contains { said.contains($0) }, "\(this.testDescription): \(push) \(fetch)")
            #expect(try await scenario.serverRef("refs/heads/claude/odd") == nil)
        }
        #expect(try Self.agentMemoryKiB(scenario, "VmHWM:") < 500 * 1024, "the agent read a huge file")
        scenario.expectNoCanary()
    }

    /// Many requests at hostile repositories at once, while others are served; then SIGTERM still
    /// stops the agent promptly.
    @Test func manyHostileRequestsAtOnceBlockNobodyAndSigtermStillStops() async throws {
        let scenario = try await GitScenario.start(environment: Self.unguarded)
        let app = try await scenario.clone()
        try await scenario.commit(in: app)
        var hostile: [String] = []
        for index in 0..<8 {
            let copy = scenario.workspace + "/fifo-\(index)"
            try await scenario.mustGit(["clone", "-q", "--no-local", app, copy])
            for file in ["HEAD", "config", "packed-refs"] {
                try? FileManager.default.removeItem(atPath: copy + "/.git/" + file)
                #expect(mkfifo(copy + "/.git/" + file, 0o644) == 0)
            }
            hostile.append(copy + "/.git")
        }
        let replies = try await withThrowingTaskGroup(of: Frame.self) { group in
            for gitDirectory in hostile {
                group.addTask {
                    try AgentRequest.send(
                        scenario, ["operation": "push", "url": "https://github.com/o/app.git", "git_dir": gitDirectory, "refspec": "HEAD:refs/heads/claude/x"])
                }
            }
            group.addTask { try AgentRequest.send(scenario, ["operation": "status"]) }
            group.addTask {
                try AgentRequest.send(
                    scenario, ["operation": "push", "url": "https://github.com/o/app.git", "git_dir": app + "/.git", "refspec": "HEAD:refs/heads/claude/fine"])
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.filter { $0["code"] == "repository-refused" }.count == hostile.count, "\(replies)")
        #expect(replies.contains { $0["version"] != nil }, "status was answered")
        #expect(replies.contains { $0.values(for: "ok") == ["refs/heads/claude/fine"] }, "\(replies)")
        scenario.agent.child.signal(SIGTERM)
        #expect(await scenario.agent.child.wait(timeout: .seconds(20)) == 0, "the agent did not stop on SIGTERM")
    }

    /// An upstream that accepts and never answers holds a libgit2 call for ever: SIGTERM still
    /// stops the agent at once, and the waiting client is told why.
    @Test func sigtermDoesNotWaitForAStuckUpstream() async throws {
        let silent = try SilentListener()
        let scenario = try await GitScenario.start(environment: ["GITHUB_URL": "http://127.0.0.1:\(silent.port)", "AGENT_WORKSPACE_GUARD": "false"])
        let socketPath = scenario.agent.gitSocketPath
        let waiting = Task {
            try? AgentConnection(socketPath: socketPath).send(Frame(["operation": "list", "url": "https://github.com/o/app.git"]), replyTimeout: .seconds(60))
        }
        try await silent.waitForConnection()
        scenario.agent.child.signal(SIGTERM)
        #expect(await scenario.agent.child.wait(timeout: .seconds(20)) == 0, "the agent waited for the stuck operation")
        let reply = await waiting.value
        #expect(reply == nil || reply?["code"] == "shutting-down", "\(String(describing: reply))")
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers.
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private var accepted: [Int32] = []

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socket = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound, listen(socket, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until a client has connected (accepted and kept open, never read).
    func waitForConnection() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        let flags = fcntl(socket, F_GETFL)
        _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
        while ContinuousClock.now < deadline {
            let client = accept(socket, nil, nil)
            if client >= 0 {
                accepted.append(client)
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw POSIXError(.ETIMEDOUT)
    }

    deinit {
        accepted.forEach { close($0) }
        close(socket)
    }
}
