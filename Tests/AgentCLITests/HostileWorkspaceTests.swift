import AgentClient
import AgentProtocol
import AgentTestSupport
import Foundation
import Testing

/// The workspace is hostile: its configuration may try to run code, rewrite URLs, add headers,
/// choose proxies or leave the workspace. These tests talk to the agent directly on its socket
/// (no git client runs), so a marker file or a request to the "evil" server could only come from
/// the agent.
struct HostileWorkspaceTests {
    struct Setting: Sendable, CustomTestStringConvertible {
        let name: String
        /// `(key, value)` pairs for the repository's config; `@MARK@` becomes a script that leaves a
        /// marker, `@EVIL@` the evil server's base URL, `@GOOD@` the real (fixture) server's.
        var config: [(String, String)] = []
        /// Hook names to install (in `.git/hooks`, or in the directory `core.hooksPath` names).
        var hooks: [String] = []
        var usesHooksPath = false
        var testDescription: String { name }
    }

    static let allHooks = [
        "pre-push", "pre-receive", "update", "post-receive", "post-update", "reference-transaction", "push-to-checkout",
        "post-checkout", "post-merge", "pre-auto-gc", "post-rewrite", "fsmonitor-watchman",
    ]

    static let settings: [Setting] = [
        Setting(name: "hooks in .git/hooks", hooks: allHooks),
        Setting(name: "core.hooksPath", hooks: allHooks, usesHooksPath: true),
        Setting(name: "core.fsmonitor", config: [("core.fsmonitor", "@MARK@")]),
        Setting(name: "core.sshCommand", config: [("core.sshCommand", "@MARK@")]),
        Setting(name: "core.askPass", config: [("core.askPass", "@MARK@")]),
        Setting(name: "core.gitProxy", config: [("core.gitProxy", "@MARK@")]),
        Setting(name: "credential.helper", config: [("credential.helper", "!@MARK@")]),
        Setting(name: "http.extraHeader", config: [("http.extraHeader", "X-Evil: yes")]),
        Setting(name: "http.proxy", config: [("http.proxy", "@EVIL@"), ("https.proxy", "@EVIL@"), ("remote.origin.proxy", "@EVIL@")]),
        Setting(name: "url.*.insteadOf", config: [("url.@EVIL@/.insteadOf", "@GOOD@/"), ("url.@EVIL@/x/.insteadOf", "https://github.com/")]),
        Setting(name: "url.*.pushInsteadOf", config: [("url.@EVIL@/.pushInsteadOf", "@GOOD@/")]),
        Setting(name: "remote.origin.pushurl", config: [("remote.origin.pushurl", "@EVIL@/o/app.git"), ("remote.origin.url", "@EVIL@/o/app.git")]),
        Setting(name: "http.followRedirects and sslVerify", config: [("http.followRedirects", "true"), ("http.sslVerify", "false")]),
        Setting(name: "include.path", config: [("include.path", "@INCLUDE@")]),
    ]

    @Test(arguments: settings)
    func configurationChangesNothing(_ setting: Setting) async throws {
        // The workspace guard would take these settings out before the agent reads them; this
        // test is about the agent ignoring them.
        let scenario = try await GitScenario.start(environment: ["AGENT_WORKSPACE_GUARD": "false"])
        let evil = try await FixtureGitHubServer()
        let markers = try TemporaryDirectory(prefix: "marker")
        let app = try await scenario.clone()
        let commit = try await scenario.commit(in: app, "pushed past a hostile config")
        let other = try await scenario.clone(into: "other")
        let upstream = try await scenario.commit(in: other, "to be fetched", file: "upstream.txt")
        try await scenario.mustGit(["push", "-q", "origin", "HEAD:claude/upstream"], in: other)

        let script = markers.sub("leave-marker.sh")
        try "#!/bin/sh\ntouch \(markers.path)/ran-\"$(basename \"$0\")\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let include = markers.sub("included.gitconfig")
        try "[core]\n\tfsmonitor = \(script)\n\tsshCommand = \(script)\n[url \"\(evil.baseURL)/\"]\n\tinsteadOf = \(scenario.server.baseURL)/\n"
            .write(toFile: include, atomically: true, encoding: .utf8)
        func expand(_ text: String) -> String {
            text.replacingOccurrences(of: "@MARK@", with: script).replacingOccurrences(of: "@EVIL@", with: evil.baseURL)
                .replacingOccurrences(of: "@GOOD@", with: scenario.server.baseURL).replacingOccurrences(of: "@INCLUDE@", with: include)
        }
        for (key, value) in setting.config {
            try await scenario.mustGit(["config", "--add", expand(key), expand(value)], in: app)
        }
        let hookDirectory = setting.usesHooksPath ? markers.sub("hooks") : app + "/.git/hooks"
        try FileManager.default.createDirectory(atPath: hookDirectory, withIntermediateDirectories: true)
        for hook in setting.hooks {
            try "#!/bin/sh\ntouch \(markers.path)/ran-hook-\(hook)\n".write(toFile: hookDirectory + "/" + hook, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hookDirectory + "/" + hook)
        }
        if setting.usesHooksPath { try await scenario.mustGit(["config", "core.hooksPath", hookDirectory], in: app) }

        let gitDirectory = app + "/.git"
        let list = try AgentRequest.send(scenario, ["operation": "list", "url": "https://github.com/o/app.git", "git_dir": gitDirectory])
        #expect(list["status"] == "ok", "\(list)")
        let push = try AgentRequest.send(
            scenario,
            [
                "operation": "push", "url": "https://github.com/o/app.git", "git_dir": gitDirectory, "refspec": "HEAD:refs/heads/claude/hostile",
            ])
        #expect(push.values(for: "ok") == ["refs/heads/claude/hostile"], "\(push)")
        let fetch = try AgentRequest.send(
            scenario,
            [
                "operation": "fetch", "url": "https://github.com/o/app.git", "git_dir": gitDirectory, "want": upstream,
            ])
        #expect(fetch["status"] == "ok", "\(fetch)")

        // Checked before any git client touches the repository again (its hooks would be the client's).
        #expect(try FileManager.default.contentsOfDirectory(atPath: markers.path).filter { $0.hasPrefix("ran-") } == [], "the agent ran something")
        #expect(evil.requests.isEmpty, "the evil server was contacted: \(evil.requests.map(\.uri))")
        let accessLog = await scenario.server.accessLog()
        #expect(!accessLog.contains("X-Evil:yes"), "an extra header was sent")
        #expect(accessLog.contains("X-Evil:-"), "the access log records the header")
        #expect(try await scenario.serverRef("refs/heads/claude/hostile") == commit, "the push reached the real server")
        #expect(try await scenario.mustGit(["cat-file", "-t", upstream], in: app).stdout == "commit\n", "the fetch landed in the repository")
        scenario.expectNoCanary()
        await evil.shutdown()
    }

    // MARK: - Paths

    struct PathCase: Sendable, CustomTestStringConvertible {
        let name: String
        let code: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        PathCase(name: "a repository outside the workspace", code: "outside-workspace"),
        PathCase(name: "a symbolic link to a repository outside", code: "outside-workspace"),
        PathCase(name: "dot-dot out of the workspace", code: "outside-workspace"),
        PathCase(name: "objects/ linked outside", code: "outside-workspace"),
        PathCase(name: "alternates pointing outside", code: "outside-workspace"),
        PathCase(name: "a worktree whose commondir is outside", code: "outside-workspace"),
        PathCase(name: "a relative git_dir", code: "bad-request"),
        PathCase(name: "a .git file pointing outside", code: "repository-missing"),
    ])
    func repositoriesOutsideTheWorkspaceAreRefused(_ path: PathCase) async throws {
        let scenario = try await GitScenario.start(environment: ["AGENT_WORKSPACE_GUARD": "false"])
        let outside = try TemporaryDirectory(prefix: "outside")
        try await scenario.server.cloneDirectly("o/app", to: outside.sub("app"))
        let outsideGit = outside.sub("app/.git")
        let inside = scenario.workspace + "/victim"
        var gitDirectory = inside + "/.git"
        switch path.name {
        case "a repository outside the workspace":
            gitDirectory = outsideGit
        case "a symbolic link to a repository outside":
            try FileManager.default.createSymbolicLink(atPath: scenario.workspace + "/link", withDestinationPath: outsideGit)
            gitDirectory = scenario.workspace + "/link"
        case "dot-dot out of the workspace":
            gitDirectory = scenario.workspace + "/../../../" + outsideGit.dropFirst()
        case "objects/ linked outside":
            _ = try await scenario.clone(into: "victim")
            try FileManager.default.removeItem(atPath: inside + "/.git/objects")
            try FileManager.default.createSymbolicLink(atPath: inside + "/.git/objects", withDestinationPath: outsideGit + "/objects")
        case "alternates pointing outside":
            _ = try await scenario.clone(into: "victim")
            try (outsideGit + "/objects\n").write(toFile: inside + "/.git/objects/info/alternates", atomically: true, encoding: .utf8)
        case "a worktree whose commondir is outside":
            try FileManager.default.createDirectory(atPath: gitDirectory, withIntermediateDirectories: true)
            try "ref: refs/heads/main\n".write(toFile: gitDirectory + "/HEAD", atomically: true, encoding: .utf8)
            try (outsideGit + "\n").write(toFile: gitDirectory + "/commondir", atomically: true, encoding: .utf8)
            try "\(inside)/.git\n".write(toFile: gitDirectory + "/gitdir", atomically: true, encoding: .utf8)
        case "a relative git_dir":
            gitDirectory = "victim/.git"
        case "a .git file pointing outside":
            try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
            try "gitdir: \(outsideGit)\n".write(toFile: gitDirectory, atomically: true, encoding: .utf8)
        default:
            Issue.record("unknown case")
        }
        let outsideBefore = try FileManager.default.subpathsOfDirectory(atPath: outsideGit + "/objects").count
        for operation in ["push", "fetch"] {
            var frame: KeyValuePairs<String, String> = ["operation": operation, "url": "https://github.com/o/app.git", "git_dir": gitDirectory]
            let reply = try AgentRequest.send(
                scenario,
                Frame(frame).appending(
                    operation == "push" ? ("refspec", "HEAD:refs/heads/claude/escape") : ("want", String(repeating: "1", count: 40))
                ))
            #expect(reply["status"] != "ok", "\(operation): \(reply)")
            #expect(reply["code"] == path.code, "\(operation): \(reply)")
            frame = [:]
        }
        #expect(try await scenario.serverRef("refs/heads/claude/escape") == nil)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: outsideGit + "/objects").count == outsideBefore, "nothing was written outside")
    }

    // MARK: - URLs

    @Test(arguments: [
        "https://evil.example/o/app.git", "http://github.com/o/app.git", "https://user@github.com/o/app.git",
        "https://x-access-token:abc@github.com/o/app.git", "https://github.com/o/../app.git", "https://github.com:8443/o/app.git",
        "https://github.com/o/app/extra", "https://github.com/-o/app.git", "ftp://github.com/o/app.git", "https://github.com/o/app.git?x=1",
        "https://github.com.evil.example/o/app.git", "https://github.com/o/%61pp.git", "https://github.com/o", "file:///etc/passwd",
        "https://github.com/o/app.git#frag", "https://github.com//o/app.git", "git@github.com:o/app.git", "https://github.com/o/.",
    ])
    func remoteURLsOtherThanGitHubAreRefusedBeforeConnecting(_ url: String) async throws {
        let scenario = try await GitScenario.start()
        let reply = try AgentRequest.send(scenario, ["operation": "list", "url": url])
        #expect(reply["status"] == "denied", "\(reply)")
        #expect(reply["code"] == "url-refused")
        #expect(reply["message"]?.hasPrefix("the remote URL '\(url)' is refused: ") == true, "\(reply)")
        #expect(!(await scenario.server.accessLog()).contains("GET"), "the agent connected anyway")
    }
}

/// Sends one frame to the scenario's agent and returns the final reply.
enum AgentRequest {
    static func send(_ scenario: GitScenario, _ pairs: KeyValuePairs<String, String>) throws -> Frame {
        try send(scenario, Frame(pairs))
    }

    static func send(_ scenario: GitScenario, _ frame: Frame) throws -> Frame {
        let connection = try AgentConnection(socketPath: scenario.agent.gitSocketPath)
        let reply = try connection.send(frame, replyTimeout: .seconds(60))
        let text = reply.description
        #expect(!text.contains(GitScenario.canary))
        return reply
    }
}

extension Frame {
    func appending(_ field: (String, String)) -> Frame {
        var copy = self
        copy.append(field.0, field.1)
        return copy
    }
}
