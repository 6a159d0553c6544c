import AgentTestSupport
import Foundation
import Testing

/// Real gh (and curl) through gh.sock against the fixture GitHub API.
struct GhThroughAgentTests {
    @Test func everydayCommandsWorkAndOnlyTheAgentHoldsTheToken() async throws {
        let scenario = try await GhScenario.start()
        let commands: [([String], String)] = [
            (["api", "/user"], "octocat-fixture"),
            (["pr", "list", "-R", "o/app"], "Fixture pull request"),
            (["pr", "view", "1", "-R", "o/app"], "Fixture pull request"),
            (["issue", "list", "-R", "o/app"], "Fixture issue"),
            (["repo", "view", "o/app"], "Fixture repository"),
            (["issue", "create", "-R", "o/app", "--title", "From the container", "--body", "text"], "https://github.com/o/app/issues/8"),
            (["pr", "create", "-R", "o/app", "--head", "claude/x", "--base", "main", "--title", "T", "--body", "B"], "https://github.com/o/app/pull/2"),
        ]
        for (arguments, expected) in commands {
            let result = try await scenario.gh(arguments)
            #expect(result.status == 0, "gh \(arguments.joined(separator: " ")): \(result.output)")
            #expect(result.stdout.contains(expected), "gh \(arguments.joined(separator: " ")): \(result.output)")
        }
        let requests = scenario.github.requests
        #expect(requests.count >= commands.count)
        for request in requests {
            #expect(request.header("Authorization") == "token \(GhScenario.canary)", "\(request.method) \(request.uri)")
            #expect(!request.headers.contains { $0.1.contains(GhScenario.placeholder) }, "the placeholder reached GitHub")
        }
        #expect(
            scenario.agent.auditLog.contains(
                #""socket":"gh.sock","operation":"GET /user","method":"GET","host":"api.github.com","path":"/user","status":"200","request_bytes":"0","#))
        scenario.expectNoCanary()
    }

    @Test func ghPrMergeIsRefused() async throws {
        let scenario = try await GhScenario.start()
        let result = try await scenario.gh(["pr", "merge", "1", "-R", "o/app", "--merge"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("merging pull requests is not allowed (ALLOW_PR_MERGE=false)"), "\(result.output)")
        #expect(!scenario.github.requests.contains { String(decoding: $0.bodyPrefix, as: UTF8.self).contains("mergePullRequest") })

        let allowed = try await GhScenario.start(environment: ["ALLOW_PR_MERGE": "true"])
        let intoMain = try await allowed.gh(["pr", "merge", "1", "-R", "o/app", "--merge"])
        #expect(intoMain.status != 0)
        #expect(intoMain.stderr.contains("branch 'main' is protected (BLOCKED_BRANCHES)"), "\(intoMain.output)")
        #expect(!allowed.github.requests.contains { String(decoding: $0.bodyPrefix, as: UTF8.self).contains("mergePullRequest") })
        scenario.expectNoCanary()
    }

    struct Bypass: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let path: String
        var body: String? = nil
        var host = "api.github.com"
        let message: String
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    static func graphQL(_ query: String, variables: String = "null", operationName: String? = nil) -> String {
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let name = operationName.map { ",\"operationName\":\"\($0)\"" } ?? ""
        return "{\"query\":\"\(escaped)\",\"variables\":\(variables)\(name)}"
    }

    static let protected = "branch 'main' is protected (BLOCKED_BRANCHES)"

    static let bypasses: [Bypass] = [
        Bypass(
            name: "contents PUT to main", method: "PUT", path: "/repos/o/app/contents/README.md", body: #"{"message":"m","content":"eA==","branch":"main"}"#,
            message: protected),
        Bypass(
            name: "contents PUT to the default branch", method: "PUT", path: "/repos/o/app/contents/README.md", body: #"{"message":"m","content":"eA=="}"#,
            message: protected),
        Bypass(
            name: "contents DELETE on main", method: "DELETE", path: "/repos/o/app/contents/README.md", body: #"{"message":"m","sha":"abc","branch":"main"}"#,
            message: protected),
        Bypass(name: "refs PATCH to main", method: "PATCH", path: "/repos/o/app/git/refs/heads/main", body: #"{"sha":"abc","force":true}"#, message: protected),
        Bypass(name: "refs PATCH, encoded", method: "PATCH", path: "/repos/o/app/git/refs/heads%2Fmain", body: #"{"sha":"abc"}"#, message: protected),
        Bypass(name: "refs PATCH, other case", method: "PATCH", path: "/REPOS/O/APP/GIT/REFS/heads/main", body: #"{"sha":"abc"}"#, message: protected),
        Bypass(name: "refs PATCH by repository id", method: "PATCH", path: "/repositories/1/git/refs/heads/main", body: #"{"sha":"abc"}"#, message: protected),
        Bypass(name: "refs DELETE main", method: "DELETE", path: "/repos/o/app/git/refs/heads/main", message: protected),
        Bypass(name: "refs POST main", method: "POST", path: "/repos/o/app/git/refs", body: #"{"ref":"refs/heads/main","sha":"abc"}"#, message: protected),
        Bypass(
            name: "merge into main", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"main","head":"claude/x"}"#, message: protected,
            environment: ["ALLOW_PR_MERGE": "true"]),
        Bypass(
            name: "branch merge (REST)", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"claude/x","head":"feature"}"#,
            message: "merging pull requests is not allowed (ALLOW_PR_MERGE=false)"),
        Bypass(
            name: "pull request merge (REST)", method: "PUT", path: "/repos/o/app/pulls/1/merge", body: "{}",
            message: "merging pull requests is not allowed (ALLOW_PR_MERGE=false)"),
        Bypass(name: "rename main", method: "POST", path: "/repos/o/app/branches/main/rename", body: #"{"new_name":"old-main"}"#, message: protected),
        Bypass(
            name: "default-branch change", method: "PATCH", path: "/repos/o/app", body: #"{"default_branch":"claude/x"}"#,
            message: "repository administration is not allowed through the agent: PATCH /repos/o/app changes default_branch"),
        Bypass(
            name: "branch protection", method: "DELETE", path: "/repos/o/app/branches/main/protection",
            message: "repository administration is not allowed through the agent: DELETE /repos/o/app/branches/main/protection"),
        Bypass(
            name: "repository deletion", method: "DELETE", path: "/repos/o/app",
            message: "repository administration is not allowed through the agent: DELETE /repos/o/app"),
        Bypass(
            name: "an unknown write", method: "POST", path: "/repos/o/app/dispatches", body: "{}",
            message: "POST /repos/o/app/dispatches is not an API write the agent allows (ALLOWED_API_WRITES can add it)"),
        Bypass(
            name: "createCommitOnBranch to main", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "main"}, message: {headline: "x"}, expectedHeadOid: "abc"}) { commit { oid } } }"#
            ), message: protected),
        Bypass(
            name: "createCommitOnBranch under an alias", method: "POST", path: "/graphql",
            body: graphQL(#"mutation { harmless: createCommitOnBranch(input: {branch: {branchName: "main"}}) { commit { oid } } }"#), message: protected),
        Bypass(
            name: "createCommitOnBranch in a named operation with variables", method: "POST", path: "/graphql",
            body: graphQL(
                "query Q { viewer { login } } mutation M($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }",
                variables: #"{"input":{"branch":{"branchName":"main"}}}"#, operationName: "M"), message: protected),
        Bypass(
            name: "createCommitOnBranch through a fragment", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation { ...Sneaky } fragment Sneaky on Mutation { ... on Mutation { createCommitOnBranch(input: {branch: {branchName: "main"}}) { commit { oid } } } }"#
            ), message: protected),
        Bypass(
            name: "updateRefs", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation { updateRefs(input: {repositoryId: "R", refUpdates: [{name: "refs/heads/claude/ok", afterOid: "abc"}, {name: "refs/heads/main", afterOid: "abc", force: true}]}) { clientMutationId } }"#
            ), message: protected),
        Bypass(
            name: "mergePullRequest", method: "POST", path: "/graphql",
            body: graphQL(#"mutation { mergePullRequest(input: {pullRequestId: "PR_kwDOfixture1"}) { clientMutationId } }"#),
            message: "merging pull requests is not allowed (ALLOW_PR_MERGE=false)"),
        Bypass(
            name: "an unknown mutation", method: "POST", path: "/graphql",
            body: graphQL(#"mutation { updateRepository(input: {repositoryId: "R", hasIssuesEnabled: false}) { clientMutationId } }"#),
            message: "GraphQL mutation 'updateRepository' is not allowed through the agent"),
        Bypass(
            name: "a malformed GraphQL body", method: "POST", path: "/graphql", body: graphQL("mutation { createCommitOnBranch("),
            message: "the GraphQL request is refused: the GraphQL document cannot be parsed"),
        Bypass(
            name: "a body that is not JSON", method: "POST", path: "/graphql", body: "mutation { x }",
            message:
                "POST /graphql is refused: its body is not JSON the agent can read exactly one way (malformed, a key given twice, or more than 200000 values)"),
        Bypass(
            name: "a harmless query key, then a harmful one", method: "POST", path: "/graphql",
            body: #"{"query":"{ viewer { login } }","query":"mutation { deleteRef(input: {refId: \"x\"}) { clientMutationId } }"}"#,
            message:
                "POST /graphql is refused: its body is not JSON the agent can read exactly one way (malformed, a key given twice, or more than 200000 values)"),
        Bypass(
            name: "refs POST naming two refs", method: "POST", path: "/repos/o/app/git/refs",
            body: #"{"ref":"refs/heads/claude/x","sha":"abc","ref":"refs/heads/main"}"#,
            message:
                "POST /repos/o/app/git/refs is refused: its body is not JSON the agent can read exactly one way (malformed, a key given twice, or more than 200000 values)"
        ),
        Bypass(
            name: "a document that ends inside an escape", method: "POST", path: "/graphql", body: graphQL(#"mutation { a(b: "\u00"#),
            message: "the GraphQL request is refused: the GraphQL document cannot be parsed"),
        Bypass(
            name: "two operations and no operationName", method: "POST", path: "/graphql",
            body: graphQL("query A { viewer { login } } mutation B { deleteRef(input: {refId: \"x\"}) { clientMutationId } }"),
            message: "the GraphQL request is refused: the document holds 2 operations and no operationName"),
        Bypass(
            name: "a non-GitHub Host", method: "GET", path: "/user", host: "evil.example",
            message: "host 'evil.example' is not GitHub (only api.github.com, uploads.github.com and github.com)"),
        Bypass(
            name: "git over github.com", method: "POST", path: "/o/app.git/git-receive-pack", body: "0000", host: "github.com",
            message: "POST /o/app.git/git-receive-pack on github.com is not allowed through the agent (only reads)"),
    ]

    @Test(arguments: bypasses)
    func bypassAttemptIsRefusedAndNeverReachesGitHub(_ bypass: Bypass) async throws {
        let scenario = try await GhScenario.start(environment: bypass.environment)
        var arguments = ["-X", bypass.method, "-w", "\n%{http_code}", "http://localhost" + bypass.path]
        if let body = bypass.body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try await scenario.curl(arguments, host: bypass.host)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last == "403", "\(result.output)")
        let message = try #require(
            lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["message"] as? String, "\(result.output)")
        #expect(message.hasPrefix(bypass.message), "\(message)")
        let reached = scenario.github.requests.filter { $0.method == bypass.method && $0.uri.lowercased() == bypass.path.lowercased() }
        #expect(reached.isEmpty, "the request reached GitHub")
        #expect(!scenario.github.requests.contains { $0.method != "GET" && $0.uri != "/graphql" }, "a write reached GitHub")
        scenario.expectNoCanary()
    }

    @Test func allowedWritesGoThrough() async throws {
        let scenario = try await GhScenario.start()
        let contents = try await scenario.curl([
            "-X", "PUT", "-w", "\n%{http_code}", "http://localhost/repos/o/app/contents/docs/new.md", "-H", "Content-Type: application/json", "--data-binary",
            #"{"message":"m","content":"eA==","branch":"claude/docs"}"#,
        ])
        #expect(contents.stdout.hasSuffix("\n201"), "\(contents.output)")
        let ref = try await scenario.curl([
            "-X", "POST", "-w", "\n%{http_code}", "http://localhost/repos/o/app/git/refs", "-H", "Content-Type: application/json", "--data-binary",
            #"{"ref":"refs/heads/claude/new","sha":"abc"}"#,
        ])
        #expect(ref.stdout.hasSuffix("\n201"), "\(ref.output)")
        let comment = try await scenario.curl([
            // While SECRET_SCAN is on every write's body is read, so it must be declared JSON (as gh does).
            "-X", "POST", "-w", "\n%{http_code}", "http://localhost/repos/o/app/issues/7/comments", "-H", "Content-Type: application/json",
            "--data-binary", #"{"body":"hi"}"#,
        ])
        #expect(comment.stdout.hasSuffix("\n201"), "\(comment.output)")
        let deleted = try await scenario.curl(["-X", "DELETE", "-w", "\n%{http_code}", "http://localhost/repos/o/app/issues/comments/5"])
        #expect(deleted.stdout.hasSuffix("\n204"), "\(deleted.output)")
        #expect(scenario.github.requests.contains { $0.method == "PUT" && $0.uri == "/repos/o/app/contents/docs/new.md" })
    }

    @Test func headersAreFilteredAndTheTokenAdded() async throws {
        let scenario = try await GhScenario.start()
        let result = try await scenario.curl([
            "-i", "http://localhost/user", "-H", "Authorization: token \(GhScenario.placeholder)", "-H", "Proxy-Authorization: Basic eDp5",
            "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: secret-hop", "-H", "Keep-Alive: timeout=5", "-H", "X-Kept: yes",
            "-H", "Cookie: a=b", "-H", "Proxy-Connection: keep-alive",
        ])
        #expect(result.stdout.contains("octocat-fixture"), "\(result.output)")
        #expect(result.stdout.lowercased().contains("connection: close"))
        let request = try #require(scenario.github.requests.first { $0.uri == "/user" })
        #expect(request.header("Authorization") == "token \(GhScenario.canary)")
        #expect(request.header("Proxy-Authorization") == nil)
        #expect(request.header("Proxy-Connection") == nil)
        #expect(request.header("X-Hop") == nil, "a header named in Connection is hop-by-hop")
        #expect(request.header("Keep-Alive") == nil)
        #expect(request.header("Cookie") == nil)
        #expect(request.header("X-Kept") == "yes")
        #expect(request.headers.filter { $0.0.lowercased() == "authorization" }.count == 1)
    }

    @Test func fiftyMegabytesStreamEachWay() async throws {
        let scenario = try await GhScenario.start()
        func memoryKiB(_ field: String) throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(scenario.agent.child.pid)/status", encoding: .utf8)
            return status.split(separator: "\n").first { $0.hasPrefix(field) }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        }
        _ = try await scenario.curl(["http://localhost/user"])  // the agent's steady state before the transfers
        let before = try memoryKiB("VmRSS:")
        let size = 50 * 1024 * 1024
        let upload = scenario.home.sub("upload.bin")
        try Data(repeating: 0x61, count: size).write(to: URL(fileURLWithPath: upload))
        let up = try await scenario.curl(
            [
                "-X", "POST", "-w", "%{http_code}", "-o", "/dev/null", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + upload,
                "http://localhost/repos/o/app/releases/1/assets?name=big.bin",
            ], host: "uploads.github.com")
        #expect(up.stdout == "404", "the fixture has no such release, but it read the body: \(up.output)")
        let received = try #require(scenario.github.requests.first { $0.uri.hasPrefix("/repos/o/app/releases/1/assets") })
        #expect(received.bodyByteCount == size)

        let download = scenario.home.sub("download.bin")
        let down = try await scenario.curl(["-w", "%{http_code}", "-o", download, "http://localhost/fixture/bytes/\(size)"])
        #expect(down.stdout == "200", "\(down.output)")
        #expect((try FileManager.default.attributesOfItem(atPath: download)[.size] as? Int) == size)

        // Streamed, not held: the agent's peak memory grows by well under one body.
        let peak = try memoryKiB("VmHWM:")
        #expect(before > 0 && peak - before < 24 * 1024, "peak resident memory \(peak) KiB, \(before) KiB before the transfers")
    }

    @Test func upstreamFailureIsAClear502() async throws {
        let scenario = try await GhScenario.start(apiURL: "http://127.0.0.1:9")
        let result = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user"])
        #expect(result.stdout.hasSuffix("\n502"), "\(result.output)")
        #expect(result.stdout.contains("the command agent could not reach GitHub"))
        let gh = try await scenario.gh(["api", "/user"])
        #expect(gh.status != 0)
        #expect(gh.stderr.contains("the command agent could not reach GitHub"), "\(gh.output)")
    }

    @Test func peerWithAnotherUIDIsRefused() async throws {
        let scenario = try await GhScenario.start(environment: ["AGENT_ALLOWED_UIDS": "[4242]"])
        let result = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user"])
        #expect(result.stdout.hasSuffix("\n403"), "\(result.output)")
        #expect(result.stdout.contains("uid \(getuid()) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"))
        #expect(scenario.github.requests.isEmpty)
    }

    /// The agent keeps its upstream connections alive between requests, and drops one that broke.
    @Test func upstreamConnectionsAreReusedAndBrokenOnesDropped() async throws {
        let scenario = try await GhScenario.start()
        for _ in 0..<8 {
            let result = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user"])
            #expect(result.stdout.hasSuffix("\n200"), "\(result.output)")
        }
        #expect(scenario.github.connectionsAccepted <= 2, "\(scenario.github.connectionsAccepted) connections for 8 requests")

        let cut = try await scenario.curl(["-o", "/dev/null", "-w", "%{http_code} %{size_download}", "http://localhost/fixture/cut/200000"])
        #expect(cut.status != 0, "the client must see the response break off: \(cut.output)")
        #expect(scenario.agent.auditLog.contains("upstream closed mid-response"))
        let after = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user"])
        #expect(after.stdout.hasSuffix("\n200"), "\(after.output)")

        // A client that hangs up mid-response still leaves its audit line.
        let abandoned = try await scenario.curl(["-o", "/dev/null", "--max-filesize", "1000", "http://localhost/fixture/bytes/50000000"])
        #expect(abandoned.status != 0, "\(abandoned.output)")
        try await waitUntil { scenario.agent.auditLog.contains("client closed before the response ended") }
        #expect(scenario.agent.auditLog.contains(#""path":"/fixture/bytes/50000000","status":"200","request_bytes":"0","#))
        #expect(scenario.agent.auditLog.contains(#""note":"client closed before the response ended""#))
    }

    /// Over https the upstream's certificate is verified: trusted through AGENT_CA_FILE it works,
    /// otherwise the request fails before anything (the token included) is sent.
    @Test func httpsUpstreamsAreVerified() async throws {
        let trusting = try await GhScenario.start(environment: ["AGENT_CA_FILE": FixtureGitHubServer.certificateAuthorityFile], tls: true)
        let gh = try await trusting.gh(["api", "/user"])
        #expect(gh.status == 0 && gh.stdout.contains("octocat-fixture"), "\(gh.output)")
        #expect(trusting.github.requests.first?.header("Authorization") == "token \(GhScenario.canary)")

        let untrusting = try await GhScenario.start(tls: true)
        let refused = try await untrusting.curl(["-w", "\n%{http_code}", "http://localhost/user"])
        #expect(refused.stdout.hasSuffix("\n502"), "\(refused.output)")
        #expect(refused.stdout.contains("the command agent could not reach GitHub"), "\(refused.output)")
        #expect(untrusting.github.requests.isEmpty, "nothing may reach a server whose certificate failed")
    }

    /// Polls a condition the agent reaches on its own time (no fixed sleep), for up to 10 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
