import Foundation

/// A real smart-HTTP git server on 127.0.0.1 that stands in for github.com: lighttpd runs
/// `git http-backend` and demands HTTP Basic auth with the canary token (401 otherwise).
/// Repositories are made from `Fixtures/repositories/` and served at `/OWNER/NAME.git`.
public final class FixtureGitServer: @unchecked Sendable {
    public let port: Int
    public let root: String
    private let state: String
    private let directory: TemporaryDirectory
    private let process: ChildProcess

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The access log, after asking lighttpd to write out what it buffered (SIGHUP).
    public func accessLog() async -> String {
        let path = state + "/access.log"
        let size = { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let before = size()
        process.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(5)
        while size() == before, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { !$0.contains(FreePort.readinessPath) }.map { $0 + "\n" }.joined()
    }

    /// Serves an existing bare repository as `OWNER/NAME` (a local clone: objects are hard links).
    public func installBareRepository(at source: String, as repository: String) async throws {
        let bare = "\(root)/\(repository).git"
        try FileManager.default.createDirectory(atPath: (bare as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try await plainGit(["clone", "-q", "--bare", source, bare], in: state)
        _ = try await plainGit(["--git-dir", bare, "config", "http.receivepack", "true"], in: state)
    }

    /// Clones `OWNER/NAME` straight from its bare repository (no agent): for setting up tests.
    public func cloneDirectly(_ repository: String, to path: String) async throws {
        _ = try await plainGit(["clone", "-q", "\(root)/\(repository).git", path], in: state)
    }

    /// Accepts `token` (the canary, by default).
    public convenience init(token: String = AgentUnderTest.canaryToken) async throws {
        try await self.init(credentials: .token(token))
    }

    /// GitHub App mode: accepts the unexpired installation tokens the fixture GitHub API minted
    /// (`FixtureGitHubApp.tokenFile`), checked by `Fixtures/git-server/token-gate`.
    public convenience init(installationTokens tokenFile: String) async throws {
        try await self.init(credentials: .installationTokens(tokenFile))
    }

    private enum Credentials {
        case token(String)
        case installationTokens(String)
    }

    private init(credentials: Credentials) async throws {
        directory = try TemporaryDirectory(prefix: "gitsrv")
        root = directory.sub("repositories")
        state = directory.sub("state")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var template: String
        switch credentials {
        case .token(let token):
            try "x-access-token:\(token)\n".write(toFile: state + "/users", atomically: true, encoding: .utf8)
            template = try String(contentsOf: FixturePaths.url("git-server/lighttpd.conf.template"), encoding: .utf8)
        case .installationTokens(let tokenFile):
            try FileManager.default.copyItem(atPath: FixturePaths.url("git-server/token-gate").path, toPath: state + "/gate")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: state + "/gate")
            template = try String(contentsOf: FixturePaths.url("git-server/lighttpd-app.conf.template"), encoding: .utf8)
            template = template.replacingOccurrences(of: "@TOKENS@", with: tokenFile)
        }
        (port, process) = try await Self.launch(template: template, root: root, state: state)
    }

    /// Requests that came with an installation token after it expired (GitHub App mode).
    public var expiredTokenUses: [String] {
        ((try? String(contentsOfFile: state + "/expired-uses", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Starts lighttpd on a port that was free a moment ago; another test may take it first, so
    /// a failure to bind is retried on a new port.
    private static func launch(template: String, root: String, state: String) async throws -> (Int, ChildProcess) {
        var lastFailure = ""
        for _ in 0..<8 {
            let port = try FreePort.find()
            let realm = "GitHub-" + UUID().uuidString
            let configuration = template.replacingOccurrences(of: "@ROOT@", with: root)
                .replacingOccurrences(of: "@STATE@", with: state).replacingOccurrences(of: "@PORT@", with: String(port))
                .replacingOccurrences(of: "@REALM@", with: realm)
            try configuration.write(toFile: state + "/lighttpd.conf", atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                "/usr/sbin/lighttpd", ["-D", "-f", state + "/lighttpd.conf"], environment: ["PATH": "/usr/bin:/bin"], outputDirectory: state
            )
            let deadline = ContinuousClock.now + .seconds(20)
            // Another test's server may hold the port while ours fails to bind: only an answer
            // carrying our own realm counts.
            while !FreePort.answers(port, containing: realm), process.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning, FreePort.answers(port, containing: realm) { return (port, process) }
            process.signal(SIGKILL)
            lastFailure = process.stderr + ((try? String(contentsOfFile: state + "/error.log", encoding: .utf8)) ?? "")
        }
        throw ServerDidNotStart(output: lastFailure)
    }

    deinit {
        process.signal(SIGKILL)
    }

    /// Plain git for building the server's repositories (no agent, no system config).
    private func plainGit(_ arguments: [String], in directory: String) async throws -> ProgramResult {
        let environment = [
            "HOME": state, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin",
            "GIT_AUTHOR_NAME": "Fixture", "GIT_AUTHOR_EMAIL": "fixture@example.com",
            "GIT_COMMITTER_NAME": "Fixture", "GIT_COMMITTER_EMAIL": "fixture@example.com",
            "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        ]
        let result = try await ChildProcess.run("/usr/bin/git", arguments, environment: environment, directory: directory, outputDirectory: state)
        guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        return result
    }

    /// Creates `OWNER/NAME.git` with one commit of `Fixtures/repositories/FIXTURE` on `main`,
    /// plus `submodules` (path → `OWNER/NAME` served here) as gitlinks at their `main`.
    @discardableResult
    public func addRepository(owner: String, name: String, fixture: String, submodules: [String: String] = [:]) async throws -> String {
        let bare = "\(root)/\(owner)/\(name).git"
        let work = state + "/work-\(owner)-\(name)"
        try FileManager.default.createDirectory(atPath: "\(root)/\(owner)", withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: FixturePaths.url("repositories/\(fixture)"), to: URL(fileURLWithPath: work))
        _ = try await plainGit(["init", "-q", "-b", "main", "."], in: work)
        _ = try await plainGit(["add", "-A"], in: work)
        // Gitlinks go in after the files: `add -A` would drop them, as their paths are empty.
        var modules = ""
        for (path, repository) in submodules.sorted(by: { $0.key < $1.key }) {
            let commit = try await self.reference("refs/heads/main", in: repository) ?? ""
            _ = try await plainGit(["update-index", "--add", "--cacheinfo", "160000,\(commit),\(path)"], in: work)
            modules += "[submodule \"\(path)\"]\n\tpath = \(path)\n\turl = https://github.com/\(repository).git\n"
        }
        if !modules.isEmpty {
            try modules.write(toFile: work + "/.gitmodules", atomically: true, encoding: .utf8)
            _ = try await plainGit(["add", ".gitmodules"], in: work)
        }
        _ = try await plainGit(["commit", "-q", "-m", "Initial commit of \(fixture)"], in: work)
        _ = try await plainGit(["init", "-q", "--bare", "-b", "main", bare], in: root)
        _ = try await plainGit(["--git-dir", bare, "config", "http.receivepack", "true"], in: root)
        _ = try await plainGit(["push", "-q", bare, "main:refs/heads/main"], in: work)
        let hook = bare + "/hooks/update"
        try FileManager.default.copyItem(atPath: FixturePaths.url("git-server/update").path, toPath: hook)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        return bare
    }

    /// The value of `reference` in `OWNER/NAME` on the server, or `nil` when it does not exist.
    public func reference(_ reference: String, in repository: String) async throws -> String? {
        let environment = ["HOME": state, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", "\(root)/\(repository).git", "rev-parse", "--verify", "-q", reference],
            environment: environment, outputDirectory: state
        )
        let value = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && !value.isEmpty ? value : nil
    }

    /// Every ref of `OWNER/NAME` on the server, `name → id`.
    public func references(in repository: String) async throws -> [String: String] {
        let environment = ["HOME": state, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", "\(root)/\(repository).git", "for-each-ref", "--format=%(refname) %(objectname)"],
            environment: environment, outputDirectory: state
        )
        var references: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { references[String(parts[0])] = String(parts[1]) }
        }
        return references
    }
}

public struct ServerDidNotStart: Error, CustomStringConvertible {
    public let output: String
    public var description: String { "the fixture git server did not start: \(output)" }
}

/// Finding and probing TCP ports on 127.0.0.1.
public enum FreePort {
    /// A port the kernel just handed out (bound to port 0, then released).
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The path of the readiness probe; the access log leaves it out.
    public static let readinessPath = "/readiness-probe-of-the-tests"

    /// Whether an HTTP server on `port` answers `GET readinessPath` with `text` in its reply.
    public static func answers(_ port: Int, containing text: String) -> Bool {
        guard let fd = connectedSocket(port) else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(readinessPath) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while reply.count < 16_384 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            reply += buffer.prefix(count)
        }
        return String(decoding: reply, as: UTF8.self).contains(text)
    }

    public static func accepts(_ port: Int) -> Bool {
        guard let fd = connectedSocket(port) else { return false }
        close(fd)
        return true
    }

    /// A TCP socket connected to 127.0.0.1:`port`, or `nil`.
    private static func connectedSocket(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if connected { return fd }
        close(fd)
        return nil
    }
}
