import AgentTestSupport
import Foundation
import Testing

/// The workspace guard leaves alone what it must: harmless keys, the user's own baseline (hooks
/// and keys alike), git's housekeeping and Claude's normal work; it never follows a link out of
/// the workspace; and what it took is listed and put back by `./run.sh` on the host.
struct WorkspaceGuardBehaviourTests {
    typealias Pair = WorkspaceGuardTests.Pair

    /// A hostile key written last: once it is quarantined, everything written before was seen.
    static func writeMarkerAndWait(_ pair: Pair, in directory: String? = nil) async throws {
        try await pair.guarded.configWritingAsTheSessionWould("core.pager", pair.guarded.evil, options: directory.map { ["-C", $0] } ?? [])
        try await pair.waitForAudit([HostileWrite.key("core.pager")])
    }

    static let harmless: [(String, String)] = [
        ("user.name", "Claude"), ("user.email", "claude@example.com"), ("branch.feature.remote", "origin"),
        ("branch.feature.merge", "refs/heads/feature"), ("remote.upstream.url", "https://github.com/octo/app.git"),
        ("remote.upstream.fetch", "+refs/heads/*:refs/remotes/upstream/*"), ("remote.ssh.url", "git@github.com:octo/app.git"),
        ("push.default", "current"), ("pull.rebase", "true"), ("init.defaultBranch", "main"), ("core.autocrlf", "input"),
        ("alias.st", "status --short"), ("color.ui", "auto"), ("pager.log", "false"), ("branch.feature.rebase", "true"),
    ]

    @Test func harmlessKeysStay() async throws {
        let pair = try await Pair.make()
        for (key, value) in Self.harmless { try await pair.guarded.configWritingAsTheSessionWould(key, value) }
        try await Self.writeMarkerAndWait(pair)
        for (key, value) in Self.harmless {
            #expect(try await pair.guarded.git(["config", "--get", key]).stdout == value + "\n", "\(key) was taken")
        }
        #expect(pair.quarantineLines.count == 1, "\(pair.quarantineLines)")
    }

    @Test func theUsersOwnBaselineStaysAndItsHookStillRuns() async throws {
        let pair = try await Pair.make { project in
            try project.write("app/.git/hooks/pre-commit", "#!/bin/sh\ntouch \"\(project.sentinels)/user-hook\"\n", executable: true)
            // The user's own settings, even ones a session could not add, and a tracked included file.
            try await project.mustGit(["config", "diff.external", project.scratch.sub("users-own-diff")])
            try await project.mustGit(["config", "include.path", "../project.gitconfig"])
            try project.write("app/project.gitconfig", "[user]\n\tname = Project\n")
        }
        // The session edits the included file and replaces the user's hook.
        try pair.guarded.write("app/project.gitconfig", "[user]\n\tname = Project\n[core]\n\tfsmonitor = \(pair.guarded.evil)\n")
        try pair.guarded.write("app/.git/hooks/pre-commit", "#!/bin/sh\ntouch \"\(pair.guarded.sentinels)/ran-replaced-hook\"\n", executable: true)
        try await pair.waitForAudit([HostileWrite.path("app/project.gitconfig"), HostileWrite.path("app/.git/hooks/pre-commit")])
        try await Self.writeMarkerAndWait(pair)

        #expect(try await pair.guarded.git(["config", "--get", "diff.external"]).stdout == pair.guarded.scratch.sub("users-own-diff") + "\n")
        #expect(try await pair.guarded.git(["config", "--get", "include.path"]).stdout == "../project.gitconfig\n")
        try await pair.guarded.mustGit(["commit", "-q", "-am", "on the host"])
        #expect(pair.guarded.ran == ["user-hook"], "the user's hook must run, and only it")
        let included = try String(contentsOfFile: pair.guarded.app + "/project.gitconfig", encoding: .utf8)
        #expect(included.hasPrefix("[user]\n\tname = Project\n") && !included.contains("fsmonitor"), "\(included)")
    }

    @Test func linksNeverLeadTheGuardOutside() async throws {
        let outside = try TemporaryDirectory(prefix: "outside")
        let pair = try await Pair.make()
        let app = pair.guarded.app
        // A squatter where the quarantine goes, and hooks replaced by a link to a folder outside.
        try FileManager.default.createSymbolicLink(atPath: app + "/.git/agent-quarantine", withDestinationPath: outside.path)
        try FileManager.default.moveItem(atPath: app + "/.git/hooks", toPath: app + "/.git/hooks-moved")
        try HostProject.writeScript(outside.sub("pre-commit"), "touch \"\(pair.guarded.sentinels)/ran-outside\"")
        try FileManager.default.createSymbolicLink(atPath: app + "/.git/hooks", withDestinationPath: outside.path)
        try await pair.waitForAudit([HostileWrite.path("app/.git/hooks")])
        try await Self.writeMarkerAndWait(pair)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["pre-commit"], "the guard wrote outside the workspace")
        let displaced = try FileManager.default.contentsOfDirectory(atPath: app + "/.git").filter { $0.hasPrefix("agent-quarantine.displaced-") }
        #expect(displaced.count == 1, "the squatter was moved aside")
        #expect(try displaced.map { try FileManager.default.destinationOfSymbolicLink(atPath: app + "/.git/" + $0) } == [outside.path])
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: app + "/.git/agent-quarantine", isDirectory: &isDirectory) && isDirectory.boolValue)
        try await pair.guarded.git(["commit", "-q", "-am", "on the host"])
        #expect(pair.guarded.ran.isEmpty)
    }
}
