import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on issue 15 (the token's reach) through stock gh on gh.sock: each test
/// is a request a prompt-injected session can send that the issue's rules refuse, and checks
/// that it is refused with the rule named and never reaches "GitHub".
struct ReachAttackGhTests {
    static func start(_ environment: [String: String] = [:]) async throws -> GhScenario {
        var settings = ["ALLOWED_REPOS": #"["o/app"]"#]
        settings.merge(environment) { $1 }
        return try await GhScenario.start(environment: settings)
    }

    /// Whether the fixture received a body containing `marker` (an operation name of the test's).
    static func received(_ scenario: GhScenario, _ marker: String) -> Bool {
        scenario.github.requests.contains { String(decoding: $0.bodyPrefix, as: UTF8.self).contains(marker) }
    }

    /// A query under `ALLOW_OTHER_REPO_READS=false` that starts at an allowed root but reaches
    /// another repository's content below it.
    struct LeakingQuery: Sendable, CustomTestStringConvertible {
        let name: String
        let selection: String
        var testDescription: String { name }
        var document: String { "query=query \(name) { \(selection) }" }
    }

    static let readOf = #"object(expression: "HEAD:secrets.txt") { ... on Blob { text } }"#

    /// `ALLOW_OTHER_REPO_READS=false` refuses "an account's issues and pullRequests" at any depth
    /// (README), but only a root account field is checked: below a listed repository's `owner`
    /// (or a follower of the viewer, an author, a collaborator), `pullRequests` lists the
    /// person's pull requests in every repository, and their arg-less `repository` reads any
    /// file of those other (private) repositories. Fields that point from the listed repository
    /// into another one (an issue transferred from elsewhere, a commit of another repository
    /// that referenced an issue, a fork's head ref, pull requests of other repositories that
    /// close an issue) lead there the same way: only `identityOnlyFields` are held.
    static let leakingQueries: [LeakingQuery] = [
        LeakingQuery(
            name: "OwnerPullRequestsLeak",
            selection: #"repository(owner: "o", name: "app") { owner { ... on User { pullRequests(first: 50) { nodes { repository { \#(readOf) } } } } } }"#),
        LeakingQuery(
            name: "FollowerPullRequestsLeak",
            selection: "viewer { followers(first: 5) { nodes { pullRequests(first: 50) { nodes { repository { \(readOf) } } } } } }"),
        LeakingQuery(
            name: "TransferredFromLeak",
            selection:
                #"repository(owner: "o", name: "app") { issue(number: 7) { timelineItems(first: 50) { nodes { ... on TransferredEvent { fromRepository { \#(readOf) } } } } } }"#
        ),
        LeakingQuery(
            name: "ReferencingCommitLeak",
            selection:
                #"repository(owner: "o", name: "app") { issue(number: 7) { timelineItems(first: 50) { nodes { ... on ReferencedEvent { commit { message tree { entries { name } } } } } } } }"#
        ),
        LeakingQuery(
            name: "ForkHeadRefLeak",
            selection: #"repository(owner: "o", name: "app") { pullRequest(number: 2) { headRef { repository { \#(readOf) } } } }"#),
        LeakingQuery(
            name: "ClosingPullRequestsLeak",
            selection:
                #"repository(owner: "o", name: "app") { issue(number: 7) { closedByPullRequestsReferences(first: 50) { nodes { repository { \#(readOf) } } } } }"#
        ),
    ]

    @Test(arguments: leakingQueries)
    func aQueryFromAnAllowedRootDoesNotReachAnotherRepositorysContent(_ query: LeakingQuery) async throws {
        let scenario = try await Self.start(["ALLOW_OTHER_REPO_READS": "false"])
        let result = try await scenario.gh(["api", "graphql", "-f", query.document])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!Self.received(scenario, query.name), "the query reached GitHub")
        scenario.expectNoCanary()
    }

    /// The walk that holds queries to the listed repository still lets gh's own commands read it
    /// (and what their mutations select).
    @Test func ghsOwnCommandsStillReadTheListedRepository() async throws {
        let scenario = try await Self.start(["ALLOW_OTHER_REPO_READS": "false"])
        let commands: [([String], String)] = [
            (["pr", "list", "-R", "o/app"], "PullRequestList"), (["pr", "view", "1", "-R", "o/app"], "PullRequestByNumber"),
            (["pr", "status", "-R", "o/app"], "PullRequestStatus"), (["issue", "list", "-R", "o/app"], "IssueList"),
            (["issue", "view", "7", "-R", "o/app"], "IssueByNumber"), (["repo", "view", "o/app"], "RepositoryInfo"),
            (["pr", "create", "-R", "o/app", "--head", "claude/x", "--base", "main", "--title", "T", "--body", "B"], "PullRequestCreate"),
            (["pr", "edit", "1", "-R", "o/app", "--title", "T2"], "PullRequestProjectItems"),
            (["pr", "comment", "1", "-R", "o/app", "--body", "B"], "PullRequestByNumber"),
            (["issue", "create", "-R", "o/app", "--title", "T", "--body", "B"], "IssueCreate"),
        ]
        for (arguments, operation) in commands {
            let result = try await scenario.gh(arguments)
            #expect(!result.output.contains("ALLOW_OTHER_REPO_READS"), "gh \(arguments.joined(separator: " ")): \(result.output)")
            #expect(Self.received(scenario, operation), "gh \(arguments.joined(separator: " ")) reached GitHub with \(operation)")
        }
        scenario.expectNoCanary()
    }

    /// The same rule, through what a mutation returns: an allowed mutation on the listed
    /// repository (a comment) may select any data in its payload, and with
    /// `ALLOW_OTHER_REPO_READS=false` that selection is not checked at all.
    @Test func aMutationsPayloadIsHeldToTheListedRepositoriesToo() async throws {
        let scenario = try await Self.start(["ALLOW_OTHER_REPO_READS": "false"])
        let mutation = """
            query=mutation PayloadLeak { addComment(input: {subjectId: "I_kwDOfixture7", body: "hi"}) { \
            subject { ... on Issue { repository { owner { repositories(first: 100) { nodes { nameWithOwner \
            object(expression: "HEAD:secrets.txt") { ... on Blob { text } } } } } } } } } }
            """
        let result = try await scenario.gh(["api", "graphql", "-f", mutation])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!Self.received(scenario, "PayloadLeak"), "the mutation and its payload query reached GitHub")

        // The same comment without the payload that leaves the repository still passes.
        let plain = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation AddComment { addComment(input: {subjectId: "I_kwDOfixture7", body: "hi"}) { clientMutationId } }"#,
        ])
        #expect(plain.status == 0, "\(plain.output)")
        scenario.expectNoCanary()
    }

    /// `PR_BASE_BRANCHES`: "pull requests may be opened/retargeted only into these". GraphQL
    /// `revertPullRequest` opens a new pull request into the reverted one's base (here `main`,
    /// the fixture's pull request 1), and is decided only on the branch it creates.
    @Test func revertingAPullRequestDoesNotOpenOneIntoABaseOutsidePRBaseBranches() async throws {
        let scenario = try await Self.start(["PR_BASE_BRANCHES": #"["develop"]"#])
        let result = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation RevertIntoMain { revertPullRequest(input: {pullRequestId: "PR_kwDOmerged", title: "Revert"}) { pullRequest { url } } }"#,
        ])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("PR_BASE_BRANCHES (develop)"), "the refusal names the setting: \(result.output)")
        #expect(!Self.received(scenario, "RevertIntoMain"), "a pull request into main was asked of GitHub")
        scenario.expectNoCanary()
    }
}

extension ReachAttackGhTests {
    /// Re-opening a pull request opens it again into its base (the fixture's pull request 1 goes
    /// into `main`): `PR_BASE_BRANCHES` decides it, through GraphQL and REST, on the base looked up.
    @Test func reopeningAPullRequestIsHeldToPRBaseBranches() async throws {
        let scenario = try await Self.start(["PR_BASE_BRANCHES": #"["develop"]"#])
        let graphQL = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation ReopenIntoMain { reopenPullRequest(input: {pullRequestId: "PR_kwDOmerged"}) { clientMutationId } }"#,
        ])
        #expect(graphQL.status != 0, "\(graphQL.output)")
        #expect(graphQL.output.contains("PR_BASE_BRANCHES (develop)"), "the refusal names the setting: \(graphQL.output)")
        #expect(!Self.received(scenario, "ReopenIntoMain"))
        let rest = try await scenario.gh(["api", "-X", "PATCH", "repos/o/app/pulls/1", "-f", "state=open"])
        #expect(rest.status != 0, "\(rest.output)")
        #expect(rest.output.contains("PR_BASE_BRANCHES (develop)"), "\(rest.output)")
        #expect(!scenario.github.requests.contains { $0.method == "PATCH" && $0.uri == "/repos/o/app/pulls/1" })
        scenario.expectNoCanary()
    }

    /// A reply's `inReplyTo` names a comment by node id: it is looked up to its repository, like
    /// every other id a mutation names (the fixture places `I_other` in `x/other`, the pull request
    /// in `o/app`).
    @Test func aReplyToACommentElsewhereIsRefused() async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation ReplyElsewhere { addPullRequestReviewComment(input: {pullRequestId: "PR_kwDOmerged", inReplyTo: "I_other", body: "x"}) { clientMutationId } }"#,
        ])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("repository 'x/other' is not in ALLOWED_REPOS (o/app)"), "\(result.output)")
        #expect(!Self.received(scenario, "ReplyElsewhere"))
        scenario.expectNoCanary()
    }
}

/// `ALLOW_FORCE_PUSH=own` / `ALLOW_BRANCH_DELETE=own` on the API, as on git pushes: a branch in
/// the ledger is the agent's only while GitHub's tip is the last tip the agent set or descends
/// from it (looked up: the ref, then GitHub's compare).
struct ReachAttackOwnBranchGhTests {
    static let created = String(repeating: "3", count: 40)
    static let fixtureTip = String(repeating: "4", count: 40)
    static let forced = String(repeating: "5", count: 40)

    static func received(_ scenario: GhScenario, _ method: String, _ uri: String) -> Bool {
        scenario.github.requests.contains { $0.method == method && $0.uri == uri }
    }

    static func stateFile(_ scenario: GhScenario) -> String {
        (try? String(contentsOfFile: scenario.agent.directory.sub("state/branches"), encoding: .utf8)) ?? ""
    }

    /// The agent created `claude/recreated` at 333…; someone deleted it and made a new one at an
    /// unrelated 777… (the fixture's tip). Force-moving or deleting it is refused as for anyone
    /// else's branch, through REST and GraphQL.
    @Test func aBranchRecreatedElsewhereIsNoLongerTheAgents() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        let made = try await scenario.gh(["api", "-X", "POST", "repos/o/app/git/refs", "-f", "ref=refs/heads/claude/recreated", "-f", "sha=\(Self.created)"])
        #expect(made.status == 0, "\(made.output)")
        #expect(Self.stateFile(scenario).contains("own\to/app\trefs/heads/claude/recreated\t\(Self.created)\n"), "the tip the agent set is kept")

        let forced = try await scenario.gh([
            "api", "-X", "PATCH", "repos/o/app/git/refs/heads/claude/recreated", "-f", "sha=\(Self.forced)", "-F", "force=true",
        ])
        #expect(forced.status != 0)
        #expect(
            forced.stderr.contains("force-pushing branch 'claude/recreated' is not allowed: the agent did not create it (ALLOW_FORCE_PUSH=own)"),
            "\(forced.output)")
        let deleted = try await scenario.gh(["api", "-X", "DELETE", "repos/o/app/git/refs/heads/claude/recreated"])
        #expect(deleted.status != 0)
        #expect(deleted.stderr.contains("the agent did not create it (ALLOW_BRANCH_DELETE=own)"), "\(deleted.output)")
        let graphQLForce = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation MoveRef { updateRef(input: {refId: "REF_claude_recreated", oid: "\#(Self.forced)", force: true}) { clientMutationId } }"#,
        ])
        #expect(graphQLForce.status != 0)
        #expect(graphQLForce.output.contains("(ALLOW_FORCE_PUSH=own)"), "\(graphQLForce.output)")
        let graphQLDelete = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation DeleteRef { deleteRef(input: {refId: "REF_claude_recreated"}) { clientMutationId } }"#,
        ])
        #expect(graphQLDelete.status != 0)
        #expect(graphQLDelete.output.contains("(ALLOW_BRANCH_DELETE=own)"), "\(graphQLDelete.output)")

        let requests = scenario.github.requests.map { "\($0.method) \($0.uri)" }
        #expect(requests.contains("GET /repos/o/app/compare/\(Self.created)...\(String(repeating: "7", count: 40))"), "ancestry asked of GitHub: \(requests)")
        #expect(!Self.received(scenario, "PATCH", "/repos/o/app/git/refs/heads/claude/recreated"))
        #expect(!Self.received(scenario, "DELETE", "/repos/o/app/git/refs/heads/claude/recreated"))
        #expect(!scenario.github.requests.contains { ["MoveRef", "DeleteRef"].contains(FixtureGitHubServer.operationName($0.bodyPrefix) ?? "") })
        scenario.expectNoCanary()
    }

    /// The agent's own branch, untouched since: force-moving it passes, and the tip in GitHub's
    /// answer becomes the one the ledger keeps.
    @Test func theAgentsUntouchedBranchMayBeForced() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        let made = try await scenario.gh([
            "api", "-X", "POST", "repos/o/app/git/refs", "-f", "ref=refs/heads/claude/made-by-api", "-f", "sha=\(Self.fixtureTip)",
        ])
        #expect(made.status == 0, "\(made.output)")
        let forced = try await scenario.gh([
            "api", "-X", "PATCH", "repos/o/app/git/refs/heads/claude/made-by-api", "-f", "sha=\(Self.forced)", "-F", "force=true",
        ])
        #expect(forced.status == 0, "\(forced.output)")
        #expect(Self.received(scenario, "PATCH", "/repos/o/app/git/refs/heads/claude/made-by-api"))
        #expect(Self.stateFile(scenario).contains("own\to/app\trefs/heads/claude/made-by-api\t\(Self.forced)\n"), "\(Self.stateFile(scenario))")
        scenario.expectNoCanary()
    }
}
