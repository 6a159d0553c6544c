import AgentTestSupport
import Foundation
import Testing

/// A project as the person has it on the host: `app` (a repository with a submodule `sub`, a
/// linked worktree `wt`, branches to check out and merge, a local change), a bare `bare.git`
/// to push to, and a `side` clone that pushes into `app`. Host git runs it: the stock binary with
/// its own empty HOME and global config, no system config.
///
/// The same project is made twice per test: once as the guarded workspace, once as a control
/// that no agent watches (the same writes must then run, or the test could not fail).
final class HostProject: @unchecked Sendable {
    let root: String
    let scratch: TemporaryDirectory
    /// Where hostile programs leave a file named after themselves when they run.
    let sentinels: String
    /// The hostile program every write names (outside the project, as a host path).
    let evil: String
    var app: String { root + "/app" }
    /// A directory outside the project that a redirected work tree would point at.
    var elsewhere: String { scratch.sub("elsewhere-worktree") }

    /// - Parameter root: an empty directory to build the project in.
    init(root: String) async throws {
        self.root = root
        scratch = try TemporaryDirectory(prefix: "host")
        sentinels = scratch.sub("sentinels")
        evil = scratch.sub("evil.sh")
        try FileManager.default.createDirectory(atPath: sentinels, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.sub("elsewhere-worktree"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.sub("home"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: scratch.sub("home/.gitconfig")))
        try Self.writeScript(evil, "touch \"\(sentinels)/ran-$(basename \"$0\")\"")
        try await build()
    }

    /// The environment of the person's git: nothing of this machine's configuration, no terminal
    /// editor to fall back to, and no real ssh.
    var environment: [String: String] {
        [
            "HOME": scratch.sub("home"), "GIT_CONFIG_GLOBAL": scratch.sub("home/.gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin", "LANG": "C", "TERM": "dumb", "GIT_SSH": "/bin/false", "PAGER": "cat",
            "GIT_AUTHOR_NAME": "Person", "GIT_AUTHOR_EMAIL": "person@example.com",
            "GIT_COMMITTER_NAME": "Person", "GIT_COMMITTER_EMAIL": "person@example.com",
        ]
    }

    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil, stdin: String? = nil) async throws -> ProgramResult {
        try await ChildProcess.run(
            "/usr/bin/git", arguments, environment: environment, directory: directory ?? app, stdin: stdin.map { Data($0.utf8) },
            outputDirectory: scratch.path, timeout: .seconds(60))
    }

    @discardableResult
    func mustGit(_ arguments: [String], in directory: String? = nil) async throws -> ProgramResult {
        let result = try await git(arguments, in: directory)
        guard result.status == 0 else { throw GitFailed(arguments: arguments, result: result) }
        return result
    }

    /// `git config --add` as a session would run it, again when the guard holds `config.lock` at
    /// that moment (it rewrites the file under git's own lock, and git does not wait for a lock).
    func configWritingAsTheSessionWould(_ key: String, _ value: String, options: [String] = []) async throws {
        for _ in 0..<50 {
            let result = try await git(options + ["config", "--add", key, value])
            if result.status == 0 { return }
            guard result.stderr.contains("could not lock config file") else { throw GitFailed(arguments: ["config", key], result: result) }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw GitFailed(arguments: ["config", key], result: try await git(options + ["config", "--add", key, value]))
    }

    /// Runs a command under a pseudo-terminal (`script`), as a shell prompt would: git starts its
    /// pager only when standard output is a terminal.
    @discardableResult
    func inTerminal(_ command: String, in directory: String? = nil) async throws -> ProgramResult {
        try await ChildProcess.run(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment, directory: directory ?? app,
            outputDirectory: scratch.path, timeout: .seconds(60))
    }

    /// Writes a file as a session would: made beside, then moved into place with its mode set.
    func write(_ relativePath: String, _ text: String, executable: Bool = false) throws {
        let path = root + "/" + relativePath
        let staged = scratch.sub("staged-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: staged, atomically: false, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: staged) }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: staged, toPath: path)
    }

    static func writeScript(_ path: String, _ body: String) throws {
        try "#!/bin/sh\n\(body)\nexit 0\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// The hostile programs that ran (names of the files they left).
    var ran: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: sentinels)) ?? []).sorted() }

    private func build() async throws {
        let file = ["-c", "protocol.file.allow=always"]
        try await mustGit(["init", "-q", "-b", "main", "subsource"], in: root)
        try write("subsource/s.txt", "sub\n")
        try await mustGit(["add", "s.txt"], in: root + "/subsource")
        try await mustGit(["commit", "-q", "-m", "sub"], in: root + "/subsource")
        try await mustGit(["init", "-q", "-b", "main", "app"], in: root)
        try write("app/a.txt", "one\n")
        try write("app/b.txt", "bee\n")
        try await mustGit(["add", "a.txt", "b.txt"])
        try await mustGit(["commit", "-q", "-m", "first"])
        try await mustGit(["checkout", "-q", "-b", "other"])
        try write("app/a.txt", "two\n")
        try await mustGit(["commit", "-q", "-am", "other"])
        try await mustGit(["checkout", "-q", "-b", "ahead", "main"])
        try write("app/c.txt", "see\n")
        try await mustGit(["add", "c.txt"])
        try await mustGit(["commit", "-q", "-m", "ahead"])
        try await mustGit(["checkout", "-q", "main"])
        try await mustGit(file + ["submodule", "add", "-q", "../subsource", "sub"])
        try await mustGit(["commit", "-q", "-m", "submodule"])
        try await mustGit(["worktree", "add", "-q", "-b", "wtbranch", "../wt"])
        try await mustGit(["init", "-q", "--bare", "bare.git"], in: root)
        try await mustGit(["clone", "-q", "app", "side"], in: root)
        try write("app/a.txt", "one\nchanged\n")
        // Two names in objects/17 make `gc --auto` (with gc.auto=1) think a collection is due,
        // so that it runs the pre-auto-gc hook.
        for digit in ["0", "1"] { try write("app/.git/objects/17/" + String(repeating: digit, count: 38), "") }
    }
}
