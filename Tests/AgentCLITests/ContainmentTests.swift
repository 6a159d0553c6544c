import AgentProtocol
import AgentTestSupport
import Foundation
import Testing

/// Nothing outside the workspace is read, pushed or written, whatever links, `..`, relative
/// alternates or worktree files the workspace holds, at any depth (issue 11, findings 2 and 3).
/// The outside repository holds a commit, a blob and a secret file the workspace never had.
struct ContainmentTests {
    static let secretLine = "/SECRET-LINE-that-must-never-come-back"
    static let environmentSecret = "environ-secret-value-4711"

    struct Setup {
        let scenario: GitScenario
        let app: String
        let outside: TemporaryDirectory
        /// A commit that exists only outside (in a pack there).
        let outsideCommit: String
        /// A commit in the workspace whose new blob is stored only outside (set up by some cases).
        var workspaceCommit: String
        var gitDirectory: String { app + "/.git" }
        var outsideGit: String { outside.sub("repo/.git") }
    }

    static func setUp() async throws -> Setup {
        let scenario = try await GitScenario.start(environment: ["OTHER_SECRET": environmentSecret, "AGENT_WORKSPACE_GUARD": "false"])
        let app = try await scenario.clone()
        let outside = try TemporaryDirectory(prefix: "outside")
        try await scenario.server.cloneDirectly("o/app", to: outside.sub("repo"))
        let outsideCommit = try await scenario.commit(in: outside.sub("repo"), "only outside: OUTSIDE-CONTENT", file: "outside.txt")
        try await scenario.mustGit(["repack", "-q", "-a", "-d"], in: outside.sub("repo"))
        try (secretLine + "\n").write(toFile: outside.sub("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: outside.sub("secret.txt"))
        let workspaceCommit = try await scenario.commit(in: app, "a workspace commit")
        return Setup(scenario: scenario, app: app, outside: outside, outsideCommit: outsideCommit, workspaceCommit: workspaceCommit)
    }

    enum Case: String, CaseIterable, Sendable {
        case packDirectoryAbsoluteLink = "objects/pack linked outside (absolute)"
        case packDirectoryRelativeLink = "objects/pack linked outside (relative)"
        case packFilesLinked = "objects/pack/pack-*.{idx,pack} linked outside"
        case looseDirectoryLinked = "objects/XX linked outside"
        case looseFileLinked = "objects/XX/YYYY linked outside"
        case relativeAlternate = "a relative alternates entry that climbs out"
        case nestedAlternate = "an alternate inside whose own alternate is outside"
        case alternatesFileLinkedToSecret = "info/alternates linked to a secret file"
        case alternatesFileLinkedToEnviron = "info/alternates linked to /proc/self/environ"
        case alternatesDirectoryLinked = "objects/info linked outside"
        case commondirRelative = "commondir climbing out with ../.."
        case headLinked = "HEAD linked outside"
        case packedRefsLinked = "packed-refs linked outside"
        case looseRefLinked = "a loose ref linked outside"
        case refsDirectoryLinked = "refs/heads linked outside"
    }

    static func plant(_ attack: Case, _ setup: inout Setup) async throws {
        let manager = FileManager.default
        let git = setup.gitDirectory
        let outsideGit = setup.outsideGit
        func link(_ path: String, to target: String) throws {
            try? manager.removeItem(atPath: path)
            try manager.createSymbolicLink(atPath: path, withDestinationPath: target)
        }
        func levelsUp(from path: String) -> String {
            String(repeating: "../", count: path.split(separator: "/").count)
        }
        switch attack {
        case .packDirectoryAbsoluteLink:
            try link(git + "/objects/pack", to: outsideGit + "/objects/pack")
        case .packDirectoryRelativeLink:
            try link(git + "/objects/pack", to: levelsUp(from: git + "/objects") + outsideGit.dropFirst() + "/objects/pack")
        case .packFilesLinked:
            for name in try manager.contentsOfDirectory(atPath: outsideGit + "/objects/pack") where name.hasPrefix("pack-") {
                try link(git + "/objects/pack/" + name, to: outsideGit + "/objects/pack/" + name)
            }
        case .looseDirectoryLinked, .looseFileLinked:
            // A new blob, stored loose in the workspace, moved outside and linked back.
            try "stored only outside\n".write(toFile: setup.app + "/moved.txt", atomically: true, encoding: .utf8)
            try await setup.scenario.mustGit(["add", "moved.txt"], in: setup.app)
            try await setup.scenario.mustGit(["commit", "-q", "-m", "moved object"], in: setup.app)
            setup.workspaceCommit = try await setup.scenario.mustGit(["rev-parse", "HEAD"], in: setup.app).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let moved = try await setup.scenario.mustGit(["rev-parse", "HEAD:moved.txt"], in: setup.app).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let directory = String(moved.prefix(2))
            let outsideDirectory = setup.outside.sub("loose-" + directory)
            try manager.moveItem(atPath: git + "/objects/" + directory, toPath: outsideDirectory)
            if attack == .looseDirectoryLinked {
                try link(git + "/objects/" + directory, to: outsideDirectory)
            } else {
                try manager.createDirectory(atPath: git + "/objects/" + directory, withIntermediateDirectories: true)
                for name in try manager.contentsOfDirectory(atPath: outsideDirectory) {
                    try link(git + "/objects/" + directory + "/" + name, to: outsideDirectory + "/" + name)
                }
            }
        case .relativeAlternate:
            try (levelsUp(from: git + "/objects") + outsideGit.dropFirst() + "/objects\n")
                .write(toFile: git + "/objects/info/alternates", atomically: true, encoding: .utf8)
        case .nestedAlternate:
            let inside = setup.scenario.workspace + "/alternate/objects"
            try manager.createDirectory(atPath: inside + "/info", withIntermediateDirectories: true)
            try (outsideGit + "/objects\n").write(toFile: inside + "/info/alternates", atomically: true, encoding: .utf8)
            try (inside + "\n").write(toFile: git + "/objects/info/alternates", atomically: true, encoding: .utf8)
        case .alternatesFileLinkedToSecret:
            try link(git + "/objects/info/alternates", to: setup.outside.sub("secret.txt"))
        case .alternatesFileLinkedToEnviron:
            try link(git + "/objects/info/alternates", to: "/proc/self/environ")
        case .alternatesDirectoryLinked:
            try manager.createDirectory(atPath: setup.outside.sub("info"), withIntermediateDirectories: true)
            try (outsideGit + "/objects\n").write(toFile: setup.outside.sub("info/alternates"), atomically: true, encoding: .utf8)
            try link(git + "/objects/info", to: setup.outside.sub("info"))
        case .commondirRelative:
            // A worktree admin directory whose commondir climbs out to the outside repository.
            let worktree = git + "/worktrees/wt"
            try manager.createDirectory(atPath: worktree, withIntermediateDirectories: true)
            try "ref: refs/heads/main\n".write(toFile: worktree + "/HEAD", atomically: true, encoding: .utf8)
            try (levelsUp(from: worktree) + outsideGit.dropFirst() + "\n").write(toFile: worktree + "/commondir", atomically: true, encoding: .utf8)
        case .headLinked:
            try link(git + "/HEAD", to: outsideGit + "/HEAD")
        case .packedRefsLinked:
            try "\(setup.outsideCommit) refs/heads/leak\n".write(toFile: setup.outside.sub("packed-refs"), atomically: true, encoding: .utf8)
            try link(git + "/packed-refs", to: setup.outside.sub("packed-refs"))
        case .looseRefLinked:
            try link(git + "/refs/heads/leak", to: outsideGit + "/refs/heads/main")
        case .refsDirectoryLinked:
            try manager.removeItem(atPath: git + "/refs/heads")
            try link(git + "/refs/heads", to: outsideGit + "/refs/heads")
        }
    }

    @Test(arguments: Case.allCases)
    func nothingOutsideIsReadPushedOrWritten(_ attack: Case) async throws {
        var setup = try await Self.setUp()
        try await Self.plant(attack, &setup)
        let scenario = setup.scenario
        let gitDirectory = attack == .commondirRelative ? setup.gitDirectory + "/worktrees/wt" : setup.gitDirectory
        let outsideBefore = try FileManager.default.subpathsOfDirectory(atPath: setup.outside.path).sorted()
        let url = "https://github.com/o/app.git"
        let leak = try AgentRequest.send(
            scenario,
            Frame([
                .init("operation", "push"), .init("url", url), .init("git_dir", gitDirectory),
                .init("refspec", "\(setup.outsideCommit):refs/heads/claude/leak"),
                .init("refspec", "\(setup.workspaceCommit):refs/heads/claude/work"),
            ]))
        let fetch = try AgentRequest.send(
            scenario, ["operation": "fetch", "url": url, "git_dir": gitDirectory, "want": try #require(try await scenario.serverRef("refs/heads/main"))])
        let replies = leak.description + fetch.description
        #expect(leak.values(for: "ok").isEmpty, "\(attack.rawValue): \(leak)")
        if [.looseDirectoryLinked, .looseFileLinked].contains(attack) {
            // The repository opens; the object behind the link is refused when the push reads it.
            #expect(leak.values(for: "error").contains { $0.hasPrefix("refs/heads/claude/work ") && $0.contains("outside the workspace") }, "\(leak)")
        } else {
            #expect(leak["code"] == "outside-workspace", "\(attack.rawValue): \(leak)")
            #expect(leak["message"]?.contains("outside the workspace") == true, "\(leak)")
            #expect(fetch["code"] == "outside-workspace", "\(attack.rawValue): \(fetch)")
        }
        #expect(try await scenario.serverRef("refs/heads/claude/leak") == nil, "an outside commit was pushed")
        #expect(try await scenario.serverRef("refs/heads/claude/work") == nil)
        let onServer = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", scenario.server.root + "/o/app.git", "cat-file", "-e", setup.outsideCommit],
            environment: ["PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": scenario.bench.home], outputDirectory: scenario.bench.scratch)
        #expect(onServer.status != 0, "the outside commit reached the server")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: setup.outside.path).sorted() == outsideBefore, "something was written outside")
        for text in [replies, scenario.agent.auditLog] {
            #expect(!text.contains("SECRET-LINE"), "a file's content came back")
            #expect(!text.contains(Self.environmentSecret), "the agent's environment came back")
            #expect(!text.contains("OUTSIDE-CONTENT"))
        }
        scenario.expectNoCanary()
    }

    /// Links and alternates that stay inside the workspace are followed as git follows them.
    @Test func linksAlternatesAndWorktreesInsideWork() async throws {
        let scenario = try await GitScenario.start(environment: ["AGENT_WORKSPACE_GUARD": "false"])
        let app = try await scenario.clone()
        // A repository that borrows app's objects (git clone --shared), reached through a link.
        try await scenario.mustGit(["clone", "-q", "--shared", app, "borrower"])
        try FileManager.default.createSymbolicLink(atPath: scenario.workspace + "/link", withDestinationPath: "borrower")
        let borrowed = try await scenario.commit(in: scenario.workspace + "/borrower", "from a borrowing clone")
        let viaLink = try AgentRequest.send(
            scenario,
            [
                "operation": "push", "url": "https://github.com/o/app.git", "git_dir": scenario.workspace + "/link/.git",
                "refspec": "HEAD:refs/heads/claude/borrowed",
            ])
        #expect(viaLink.values(for: "ok") == ["refs/heads/claude/borrowed"], "\(viaLink)")
        #expect(try await scenario.serverRef("refs/heads/claude/borrowed") == borrowed)

        // A worktree: HEAD of its own, objects and refs in the main repository (commondir ../..).
        try await scenario.mustGit(["worktree", "add", "-q", "-b", "side", scenario.workspace + "/side"], in: app)
        let side = try await scenario.commit(in: scenario.workspace + "/side", "in a worktree")
        let worktreePush = try await scenario.git(["push", "origin", "HEAD:claude/side"], in: scenario.workspace + "/side")
        #expect(worktreePush.status == 0, "\(worktreePush.output)")
        #expect(try await scenario.serverRef("refs/heads/claude/side") == side)
        let fetched = try await scenario.git(["fetch", "origin"], in: scenario.workspace + "/side")
        #expect(fetched.status == 0, "\(fetched.output)")
        scenario.expectNoCanary(worktreePush, fetched)
    }

    /// Files the agent never reads may be anything: a link out, a FIFO. The push and fetch go on.
    @Test func filesTheAgentNeverReadsMayBeAnything() async throws {
        let setup = try await Self.setUp()
        let git = setup.gitDirectory
        try FileManager.default.removeItem(atPath: git + "/config")
        try FileManager.default.createSymbolicLink(atPath: git + "/config", withDestinationPath: setup.outside.sub("secret.txt"))
        for fifo in ["objects/info/commit-graph", "objects/pack/multi-pack-index", "shallow", "info/grafts", "description"] {
            try? FileManager.default.removeItem(atPath: git + "/" + fifo)
            #expect(mkfifo(git + "/" + fifo, 0o644) == 0, "\(fifo)")
        }
        let url = "https://github.com/o/app.git"
        let push = try AgentRequest.send(
            setup.scenario, ["operation": "push", "url": url, "git_dir": git, "refspec": "\(setup.workspaceCommit):refs/heads/claude/work"])
        #expect(push.values(for: "ok") == ["refs/heads/claude/work"], "\(push)")
        let fetch = try AgentRequest.send(
            setup.scenario, ["operation": "fetch", "url": url, "git_dir": git, "want": try #require(try await setup.scenario.serverRef("refs/heads/main"))])
        #expect(fetch["status"] == "ok", "\(fetch)")
        #expect(!setup.scenario.agent.auditLog.contains("SECRET-LINE"))
    }
}
