import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on git.sock after issue 11 (branch attack-11): ways around the policy
/// and around the socket's own bounds. Each test fails against the agent as it was attacked and
/// states what a fix must make true. The workspace and resource findings are in
/// `GitAttackFindingsResourceTests`.
struct GitAttackFindingsTests {
    /// With `ALLOW_FORCE_PUSH=false` the agent remembers the tip of a branch it deletes through
    /// git, so that re-creating the branch must keep that tip. A deletion through gh.sock (REST
    /// `DELETE …/git/refs/heads/X`, or renaming the branch away) is allowed by the same policy
    /// but remembers nothing: a push through git.sock then re-creates the branch with any
    /// history. A fix either remembers the tip on that door too (it must look it up before
    /// deleting) or refuses such deletions while force-pushing is off.
    @Test(arguments: ["REST delete", "rename"])
    func aBranchDeletedThroughTheAPIIsNotRecreatedWithOtherHistory(_ door: String) async throws {
        let scenario = try await CrossDoorScenario.start()
        let app = try await scenario.git.clone()
        let kept = try await scenario.git.commit(in: app, "work that must stay in claude/x")
        try await scenario.git.mustGit(["push", "-q", "origin", "HEAD:claude/x"], in: app)

        let answer =
            door == "rename"
            ? try await scenario.curl(["-X", "POST", "http://localhost/repos/o/app/branches/claude/x/rename", "--data-binary", #"{"new_name":"claude/y"}"#])
            : try await scenario.curl(["-X", "DELETE", "http://localhost/repos/o/app/git/refs/heads/claude/x"])
        if scenario.github.requests.contains(where: { $0.method != "GET" && $0.uri.contains("claude/x") }) {
            // The agent let the deletion through (its own lookups are GETs): do on the fixture git
            // server what GitHub does.
            try await scenario.git.server.deleteOnServer("refs/heads/claude/x")
        }

        try await scenario.git.mustGit(["checkout", "-q", "-b", "rewrite", "origin/main"], in: app)
        let rewrite = try await scenario.git.commit(in: app, "history without the kept commit", file: "other.txt")
        let push = try await scenario.git.git(["push", "origin", "rewrite:claude/x"], in: app)
        let now = try await scenario.git.serverRef("refs/heads/claude/x")
        #expect(now != rewrite, "claude/x was rewritten through delete + re-create (\(door): \(answer.output)); push: \(push.output)")
        _ = kept
        scenario.git.expectNoCanary(push)
    }

    /// The other order: a branch deleted through git (its tip remembered) is re-created through
    /// the API at a commit without that tip: REST `POST …/git/refs`, GraphQL `createRef`, or
    /// GraphQL `updateRefs` (which creates a missing ref, and is decided as a plain update). The
    /// API door creates refs without asking the memory, so the rewrite reached GitHub.
    @Test(arguments: ["REST create", "createRef", "updateRefs"])
    func aBranchDeletedThroughGitIsNotRecreatedThroughTheAPI(_ door: String) async throws {
        let scenario = try await CrossDoorScenario.start()
        let app = try await scenario.git.clone()
        try await scenario.git.commit(in: app, "work that must stay in claude/x")
        try await scenario.git.mustGit(["push", "-q", "origin", "HEAD:claude/x"], in: app)
        try await scenario.git.mustGit(["push", "-q", "origin", ":claude/x"], in: app)
        try await scenario.git.mustGit(["checkout", "-q", "-b", "rewrite", "origin/main"], in: app)
        let rewrite = try await scenario.git.commit(in: app, "history without the kept commit", file: "other.txt")
        // The rule exists: through git, the same re-creation is refused.
        let push = try await scenario.git.git(["push", "origin", "rewrite:claude/x"], in: app)
        #expect(push.stderr.contains("without its earlier tip"), "\(push.output)")

        let (path, body) = Self.recreation(door, rewrite)
        let answer = try await scenario.curl(["-X", "POST", "-w", "\n%{http_code}", "http://localhost" + path, "--data-binary", body])
        #expect(answer.stdout.hasSuffix("\n403"), "\(answer.output)")
        // For GraphQL the agent itself may ask GitHub what a node id names (a query): only the
        // mutation counts.
        let created = scenario.github.requests.filter {
            $0.method == "POST" && $0.uri.hasSuffix(path)
                && (path != "/graphql" || String(decoding: $0.bodyPrefix, as: UTF8.self).contains(door + "("))
        }
        #expect(created.count == 0, "the re-creation without the earlier tip reached GitHub (\(door))")
        scenario.git.expectNoCanary(push)
    }

    /// The request that (re-)creates `refs/heads/claude/x` at `commit` through `door`.
    static func recreation(_ door: String, _ commit: String) -> (path: String, body: String) {
        switch door {
        case "createRef":
            let mutation =
                #"mutation { createRef(input: {repositoryId: \"R_kgDOfixture\", name: \"refs/heads/claude/x\", oid: \"\#(commit)\"}) { clientMutationId } }"#
            return ("/graphql", #"{"query":"\#(mutation)"}"#)
        case "updateRefs":
            let zero = String(repeating: "0", count: 40)
            let mutation =
                #"mutation { updateRefs(input: {repositoryId: \"R_kgDOfixture\", refUpdates: [{name: \"refs/heads/claude/x\", beforeOid: \"\#(zero)\", afterOid: \"\#(commit)\"}]}) { clientMutationId } }"#
            return ("/graphql", #"{"query":"\#(mutation)"}"#)
        default:
            return ("/repos/o/app/git/refs", #"{"ref":"refs/heads/claude/x","sha":"\#(commit)"}"#)
        }
    }

    /// A connection keeps its slot while the agent works for it, and "working" lasts until the
    /// reply is written. A client that pipelines two `list` requests with large replies and never
    /// reads leaves the second reply's write suspended for ever (no write deadline): 64 such
    /// connections take every slot of git.sock, and every other client (git, agent-status) is
    /// turned away as `busy` until the agent restarts. A fix gives writes a deadline (or counts a
    /// blocked write as waiting for the client, so that the slot can be taken over).
    @Test func clientsThatDoNotReadTheirRepliesDoNotHoldEverySlot() async throws {
        let scenario = try await GitScenario.start()
        // Many refs make a large `list` reply; any client may create them with pushes.
        try await scenario.server.addReferences(3_000, in: "o/app")
        let request = "operation=list\nurl=https://github.com/o/app.git\n\n"
        var silent: [RawSocketClient] = []
        for _ in 0..<64 {
            let client = try RawSocketClient(path: scenario.agent.gitSocketPath)
            try client.send(request + request)
            silent.append(client)
        }
        // Readiness: every list was served (the audit line is written before the reply).
        let until = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < until, scenario.agent.auditLog.components(separatedBy: #""operation":"list""#).count - 1 < 128 {
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = try await scenario.agent.status()
        #expect(status.status == 0, "an honest client was turned away: \(status.output)")
        #expect(scenario.agent.child.isRunning)
        _ = silent
    }

    /// Refusals on git.sock repeat what the client sent in full: a refspec without a colon, a
    /// relative `git_dir`, a `want` that is not an id, each up to the 64 KiB frame, come back in
    /// the reply and go into the audit log whole (gh.sock quotes at most 200 characters since
    /// attack-10). Every request can so add 64 KiB to the audit log. A fix quotes a bounded
    /// prefix, as gh.sock does.
    @Test(arguments: ["refspec", "git_dir", "want"])
    func aGitRefusalDoesNotRepeatAnUnboundedClientString(_ key: String) async throws {
        let scenario = try await GitScenario.start()
        let long = String(repeating: "a", count: 60_000)
        let operation = key == "want" ? "fetch" : "push"
        var request = "operation=\(operation)\nurl=https://github.com/o/app.git\n"
        request += key == "git_dir" ? "git_dir=\(long)\nrefspec=HEAD:refs/heads/claude/x\n" : "git_dir=/nowhere\n\(key)=\(long)\n"
        let client = try RawSocketClient(path: scenario.agent.gitSocketPath)
        try client.send(request + "\n")
        let reply = client.readUntil("\n\n")
        #expect(reply.contains("status="), "\(reply.prefix(200))")
        #expect(reply.utf8.count < 4_000, "the reply repeats \(reply.utf8.count) bytes of the request")
        let longest = scenario.agent.auditLog.split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest < 4_000, "an audit line of \(longest) bytes")
    }
}

/// One agent with both fixture servers: the git server behind git.sock and the GitHub API behind
/// gh.sock, so that a test can use both doors on one branch.
struct CrossDoorScenario {
    let git: GitScenario
    let github: FixtureGitHubServer
    private let home: TemporaryDirectory

    static func start(environment: [String: String] = ["ALLOW_FORCE_PUSH": "false"]) async throws -> CrossDoorScenario {
        let github = try await FixtureGitHubServer()
        let git = try await GitScenario.start(environment: environment, githubAPIURL: github.baseURL)
        return CrossDoorScenario(git: git, github: github, home: try TemporaryDirectory(prefix: "curl"))
    }

    /// curl against gh.sock, JSON bodies.
    func curl(_ arguments: [String]) async throws -> ProgramResult {
        let result = try await ChildProcess.run(
            "/usr/bin/curl",
            [
                "-sS", "--max-time", "60", "--unix-socket", git.agent.socketDirectory + "/gh.sock", "-H", "Host: api.github.com", "-H",
                "Content-Type: application/json",
            ]
                + arguments,
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: home.path, timeout: .seconds(90))
        #expect(!result.output.contains(AgentUnderTest.canaryToken), "the token leaked into a reply")
        return result
    }
}

extension FixtureGitServer {
    /// Adds `count` branches with long names, all at `main`, to `repository` on the server.
    func addReferences(_ count: Int, in repository: String) async throws {
        let scratch = try TemporaryDirectory(prefix: "server-git")
        let environment = ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
        let padding = String(repeating: "n", count: 200)
        let commands = (0..<count).map { "create refs/heads/claude/\(padding)-\($0) refs/heads/main\n" }.joined()
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", "\(root)/\(repository).git", "update-ref", "--stdin"], environment: environment,
            stdin: Data(commands.utf8), outputDirectory: scratch.path)
        #expect(result.status == 0, "\(result.output)")
    }

    /// Deletes `reference` of `o/app` on the server itself (what GitHub does for an API deletion).
    func deleteOnServer(_ reference: String, in repository: String = "o/app") async throws {
        let scratch = try TemporaryDirectory(prefix: "server-git")
        let environment = ["HOME": scratch.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"]
        let result = try await ChildProcess.run(
            "/usr/bin/git", ["--git-dir", "\(root)/\(repository).git", "update-ref", "-d", reference], environment: environment,
            outputDirectory: scratch.path)
        #expect(result.status == 0, "\(result.output)")
    }
}
