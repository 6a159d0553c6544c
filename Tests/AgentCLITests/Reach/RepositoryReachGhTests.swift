import AgentTestSupport
import Foundation
import Testing

/// The token's reach through stock gh (and curl) on gh.sock, against the fixture API: writes only
/// to the listed repository, never out of it, no approvals, bases as set; each refusal names its
/// rule, and nothing refused reaches "GitHub".
struct RepositoryReachGhTests {
    static func start(_ environment: [String: String] = [:]) async throws -> GhScenario {
        var settings = ["ALLOWED_REPOS": #"["o/app"]"#]
        settings.merge(environment) { $1 }
        return try await GhScenario.start(environment: settings)
    }

    /// Whether the fixture received `METHOD path` (a write that must not have been forwarded).
    static func received(_ scenario: GhScenario, _ method: String, _ path: String) -> Bool {
        scenario.github.requests.contains { $0.method == method && $0.uri.split(separator: "?").first.map(String.init) == path }
    }

    static func receivedMutation(_ scenario: GhScenario, _ name: String) -> Bool {
        scenario.github.requests.contains { String(decoding: $0.bodyPrefix, as: UTF8.self).contains(name) }
    }

    @Test func writesToAnotherRepositoryAreRefused() async throws {
        let scenario = try await Self.start()
        let created = try await scenario.gh(["issue", "create", "-R", "x/other", "--title", "leak", "--body", "private code"])
        #expect(created.status != 0)
        #expect(created.stderr.contains("repository 'x/other' is not in ALLOWED_REPOS (o/app)"), "\(created.output)")
        #expect(!Self.receivedMutation(scenario, "createIssue"))

        for path in ["repos/x/other/issues", "repos/X/OTHER/issues", "repositories/2/issues", "repos/x%2Fother/issues"] {
            let result = try await scenario.gh(["api", "-X", "POST", path, "-f", "title=leak"])
            #expect(result.status != 0, "\(path)")
            #expect(
                result.stderr.contains("repository 'x/other' is not in ALLOWED_REPOS (o/app)") || result.stderr.contains("repository 'X/OTHER'"),
                "\(path): \(result.output)")
        }
        #expect(!Self.received(scenario, "POST", "/repositories/2/issues") && !Self.received(scenario, "POST", "/repos/x/other/issues"))

        let here = try await scenario.gh(["issue", "create", "-R", "o/app", "--title", "fine", "--body", "text"])
        #expect(here.status == 0, "the listed repository takes writes: \(here.output)")
        let byID = try await scenario.gh(["api", "-X", "POST", "repositories/1/issues", "-f", "title=fine"])
        #expect(byID.status == 0, "\(byID.output)")
        scenario.expectNoCanary()
    }

    @Test func graphQLWritesElsewhereAreRefusedByNodeId() async throws {
        let scenario = try await Self.start()
        let comment = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation AddComment($id: ID!) { c: addComment(input: {subjectId: $id, body: "x"}) { clientMutationId } }"#,
            "-f", "id=I_other",
        ])
        #expect(comment.status != 0)
        #expect(
            comment.stdout.contains("repository 'x/other' is not in ALLOWED_REPOS (o/app)") || comment.stderr.contains("repository 'x/other'"),
            "\(comment.output)")
        let transfer = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation TransferIssue { transferIssue(input: {issueId: "I_kwDOfixture7", repositoryId: "R_other"}) { issue { url } } }"#,
        ])
        #expect(transfer.status != 0)
        #expect(!Self.receivedMutation(scenario, "addComment(") && !Self.receivedMutation(scenario, "transferIssue("))
        let here = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation AddComment { addComment(input: {subjectId: "I_kwDOfixture7", body: "x"}) { clientMutationId } }"#,
        ])
        #expect(here.status == 0, "\(here.output)")
    }

    struct Escape: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let message: String
        let method: String
        let path: String
        var testDescription: String { "gh " + arguments.joined(separator: " ") }
    }

    static let escapes: [Escape] = [
        Escape(
            arguments: ["repo", "fork", "o/app", "--clone=false"], message: "forking a repository is not allowed", method: "POST", path: "/repos/o/app/forks"),
        Escape(arguments: ["gist", "create", "--public", "NOTE"], message: "writing a gist is not allowed", method: "POST", path: "/gists"),
        Escape(
            arguments: ["api", "-X", "POST", "user/repos", "-f", "name=copy"], message: "creating a repository is not allowed", method: "POST",
            path: "/user/repos"),
        Escape(
            arguments: ["api", "-X", "POST", "orgs/o/repos", "-f", "name=copy"], message: "creating a repository is not allowed", method: "POST",
            path: "/orgs/o/repos"),
        Escape(
            arguments: ["api", "-X", "POST", "repos/o/app/generate", "-f", "name=copy"], message: "creating a repository from a template is not allowed",
            method: "POST", path: "/repos/o/app/generate"),
        Escape(
            arguments: ["api", "-X", "POST", "repos/o/app/transfer", "-f", "new_owner=x"], message: "transferring a repository is not allowed", method: "POST",
            path: "/repos/o/app/transfer"),
        Escape(
            arguments: ["api", "-X", "PUT", "repos/o/app/import", "-f", "vcs_url=https://example.com/x"],
            message: "importing into a repository from elsewhere is not allowed",
            method: "PUT", path: "/repos/o/app/import"),
        Escape(
            arguments: ["api", "-X", "PATCH", "user/repository_invitations/1"], message: "accepting or declining a repository invitation is not allowed",
            method: "PATCH", path: "/user/repository_invitations/1"),
        Escape(
            arguments: ["api", "-X", "PATCH", "gists/1", "-f", "description=x"], message: "writing a gist is not allowed", method: "PATCH", path: "/gists/1"),
        Escape(
            arguments: [
                "api", "graphql", "-f",
                #"query=mutation CreateRepository { createRepository(input: {name: "copy", visibility: PUBLIC}) { repository { url } } }"#,
            ],
            message: "GraphQL mutation 'createRepository' (creating a repository) is not allowed", method: "POST", path: "/graphql"),
    ]

    /// Even when ALLOWED_API_WRITES names them.
    @Test(arguments: escapes)
    func writesThatLeaveTheListedRepositoriesAreRefused(_ escape: Escape) async throws {
        let scenario = try await Self.start([
            "ALLOWED_API_WRITES": #"["POST /user/repos","POST /repos/*/*/forks","POST /gists","PATCH /user/repository_invitations/*"]"#
        ])
        let note = scenario.home.sub("note.txt")
        try "private code\n".write(toFile: note, atomically: true, encoding: .utf8)
        let result = try await scenario.gh(escape.arguments.map { $0 == "NOTE" ? note : $0 })
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains(escape.message), "\(result.output)")
        if escape.path == "/graphql" {
            #expect(!Self.receivedMutation(scenario, "createRepository"))
        } else {
            #expect(!Self.received(scenario, escape.method, escape.path), "the write reached the fixture")
        }
        #expect(scenario.agent.auditLog.contains(#""code":"repository-escape""#))
        scenario.expectNoCanary()
    }

    @Test func approvalsAreRefusedCommentsAndChangeRequestsPass() async throws {
        let scenario = try await Self.start()
        let approve = try await scenario.gh(["pr", "review", "1", "-R", "o/app", "--approve"])
        #expect(approve.status != 0)
        #expect(approve.stderr.contains("approving pull requests is not allowed (ALLOW_PR_APPROVE=false)"), "\(approve.output)")
        #expect(!Self.receivedMutation(scenario, "PullRequestReviewAdd"))
        let rest = try await scenario.gh(["api", "-X", "POST", "repos/o/app/pulls/1/reviews", "-f", "event=APPROVE"])
        #expect(rest.status != 0)
        #expect(!Self.received(scenario, "POST", "/repos/o/app/pulls/1/reviews"))
        let later = try await scenario.gh(["api", "-X", "POST", "repos/o/app/pulls/1/reviews/9/events", "-f", "event=approve"])
        #expect(later.status != 0, "\(later.output)")

        let comment = try await scenario.gh(["pr", "review", "1", "-R", "o/app", "--comment", "-b", "looks fine"])
        #expect(comment.status == 0, "\(comment.output)")
        let changes = try await scenario.gh(["api", "-X", "POST", "repos/o/app/pulls/1/reviews", "-f", "event=REQUEST_CHANGES", "-f", "body=no"])
        #expect(changes.status == 0, "\(changes.output)")

        let allowed = try await Self.start(["ALLOW_PR_APPROVE": "true"])
        let approved = try await allowed.gh(["pr", "review", "1", "-R", "o/app", "--approve"])
        #expect(approved.status == 0, "ALLOW_PR_APPROVE=true: \(approved.output)")
    }

    @Test func pullRequestsOnlyIntoTheListedBases() async throws {
        let scenario = try await Self.start(["PR_BASE_BRANCHES": #"["develop","release/*"]"#])
        let intoMain = try await scenario.gh(["pr", "create", "-R", "o/app", "--head", "claude/x", "--base", "main", "--title", "T", "--body", "B"])
        #expect(intoMain.status != 0)
        #expect(
            intoMain.stderr.contains("pull requests into 'main' are not allowed: it does not match PR_BASE_BRANCHES (develop, release/*)"),
            "\(intoMain.output)")
        let intoDevelop = try await scenario.gh(["pr", "create", "-R", "o/app", "--head", "claude/x", "--base", "develop", "--title", "T", "--body", "B"])
        #expect(intoDevelop.status == 0, "\(intoDevelop.output)")
        let retarget = try await scenario.gh(["api", "-X", "PATCH", "repos/o/app/pulls/1", "-f", "base=feature/y"])
        #expect(retarget.status != 0)
        #expect(!Self.received(scenario, "PATCH", "/repos/o/app/pulls/1"))
    }

    @Test func readsOfOtherRepositoriesWhenTheSettingSaysSo() async throws {
        let open = try await Self.start()
        let read = try await open.gh(["api", "repos/x/other"])
        #expect(read.status == 0, "reads are allowed by default: \(read.output)")

        let strict = try await Self.start(["ALLOW_OTHER_REPO_READS": "false"])
        for arguments in [
            ["api", "repos/x/other"], ["api", "repositories/2"], ["api", "search/code?q=secret"],
            ["api", "graphql", "-f", #"query=query OtherRepositoryQuery { repository(owner: "x", name: "other") { object(expression: "HEAD:a") { id } } }"#],
        ] {
            let result = try await strict.gh(arguments)
            #expect(result.status != 0, "\(arguments): \(result.output)")
            #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "\(arguments): \(result.output)")
        }
        #expect(!Self.received(strict, "GET", "/repos/x/other") && !Self.received(strict, "GET", "/search/code"))
        #expect(!Self.receivedMutation(strict, "OtherRepositoryQuery"))
        let own = try await strict.gh(["api", "repos/o/app"])
        #expect(own.status == 0, "\(own.output)")
        let list = try await strict.gh(["pr", "list", "-R", "o/app"])
        #expect(list.status == 0, "gh pr list reads the listed repository only: \(list.output)")
    }
}
