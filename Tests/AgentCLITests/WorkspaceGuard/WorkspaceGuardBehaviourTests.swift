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

    @Test func aTrackedHooksFolderAndAnIncludeMissingAtTheStartAreGuardedToo() async throws {
        let pair = try await Pair.make { project in
            // As husky sets it up: hooks in a tracked folder; and an optional local include.
            try project.write("app/.husky/pre-commit", "#!/bin/sh\ntouch \"\(project.sentinels)/user-husky-hook\"\n", executable: true)
            try await project.mustGit(["config", "core.hooksPath", ".husky"])
            try await project.mustGit(["config", "include.path", "../local.gitconfig"])
        }
        let project = pair.guarded
        try project.write("app/.husky/pre-commit", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-edited-husky-hook\"\n", executable: true)
        try project.write("app/.husky/post-commit", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-new-husky-hook\"\n", executable: true)
        try project.write("app/local.gitconfig", "[core]\n\tfsmonitor = \(project.evil)\n")
        try await pair.waitForAudit([
            HostileWrite.path("app/.husky/pre-commit"), HostileWrite.path("app/.husky/post-commit"), HostileWrite.path("app/local.gitconfig"),
        ])
        try await project.mustGit(["commit", "-q", "-am", "on the host"])
        #expect(project.ran == ["user-husky-hook"])
    }

    @Test func aHooksFolderTooLargeToListIsMovedAsideWhole() async throws {
        let pair = try await Pair.make()
        let staged = pair.guarded.scratch.sub("many-hooks")
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        for index in 0...10_000 { _ = FileManager.default.createFile(atPath: staged + "/h\(index)", contents: nil) }
        try HostProject.writeScript(staged + "/pre-commit", "touch \"\(pair.guarded.sentinels)/ran-hidden-hook\"")
        try FileManager.default.moveItem(atPath: pair.guarded.app + "/.git/hooks", toPath: pair.guarded.scratch.sub("old-hooks"))
        try FileManager.default.moveItem(atPath: staged, toPath: pair.guarded.app + "/.git/hooks")
        try await pair.waitForAudit([HostileWrite.path("app/.git/hooks")])
        try await pair.guarded.git(["commit", "-q", "-am", "on the host"])
        #expect(pair.guarded.ran.isEmpty)
    }
}
