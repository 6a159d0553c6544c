import AgentTestSupport
import Foundation
import Testing

/// Findings of the third attack on issue 15, through stock gh on gh.sock: routes of the listed
/// repository whose answers carry another repository's content, and writes on the listed
/// repository that reach into another one.
struct ReachAttackRound3GhTests {
    static func start(_ environment: [String: String] = [:]) async throws -> GhScenario {
        var settings = ["ALLOWED_REPOS": #"["o/app"]"#, "ALLOW_OTHER_REPO_READS": "false"]
        settings.merge(environment) { $1 }
        return try await GhScenario.start(environment: settings)
    }

    /// Sub-issues and issue dependencies may live in any repository of the same owner (GitHub:
    /// "Sub-issues can span repositories within the same owner"), and these REST routes answer
    /// with the whole issue (title, body) of each: `o/secret`'s issues read through `o/app`'s
    /// routes. The GraphQL walk refuses the same edges (`Issue.subIssues`, `Issue.parent` lead
    /// elsewhere; `blockedBy`, `blocking` are not listed).
    static let issueRelationRoutes = [
        "repos/o/app/issues/7/sub_issues", "repos/o/app/issues/7/parent", "repos/o/app/issues/7/dependencies/blocked_by",
        "repos/o/app/issues/7/dependencies/blocking",
    ]

    @Test(arguments: issueRelationRoutes)
    func anIssuesRelationsInOtherRepositoriesAreNotReadThroughREST(_ route: String) async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh(["api", route])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!ReachAttackOtherRepositoryGhTests.received(scenario, "GET", "/" + route), "\(route) was asked of GitHub")
        scenario.expectNoCanary()
    }

    /// The same reads through GraphQL are refused (what the REST routes must match).
    @Test func theGraphQLWalkRefusesTheSameRelations() async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=query SubIssuesRead { repository(owner: "o", name: "app") { issue(number: 7) { subIssues(first: 10) { nodes { title body } } } } }"#,
        ])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "\(result.output)")
        scenario.expectNoCanary()
    }
}

extension ReachAttackRound3GhTests {
    /// `POST …/issues/7/sub_issues` (and `…/dependencies/blocked_by`) names another issue by its
    /// database id, which may be in any repository of the owner: GitHub then writes that issue's
    /// parent (`replace_parent` takes it from its old one) or its dependencies, in `o/secret`.
    /// The id is never looked up (every `…/issues/…` write passes as harmless), while GraphQL's
    /// `addSubIssue` and `addBlockedBy` are refused by name.
    @Test func aRESTSubIssueOrDependencyWriteDoesNotReachAnotherRepositorysIssue() async throws {
        let scenario = try await Self.start(["ALLOW_OTHER_REPO_READS": "true"])
        let writes: [(String, [String])] = [
            ("/repos/o/app/issues/7/sub_issues", ["-F", "sub_issue_id=424242", "-F", "replace_parent=true"]),
            ("/repos/o/app/issues/7/dependencies/blocked_by", ["-F", "issue_id=424242"]),
        ]
        for (path, fields) in writes {
            let result = try await scenario.gh(["api", "-X", "POST", String(path.dropFirst())] + fields)
            #expect(result.status != 0, "\(result.output)")
            #expect(!ReachAttackOtherRepositoryGhTests.received(scenario, "POST", path), "\(path) with another issue's id reached GitHub")
        }
        scenario.expectNoCanary()
    }
}

extension ReachAttackRound3GhTests {
    /// `GET /repos/o/app/forks` lists other repositories (the forks of `o/app`, private ones
    /// too: their names, descriptions, default branches), as `/users/X/repos` would, which
    /// `ALLOW_OTHER_REPO_READS=false` refuses; GraphQL's `Repository.forks` is refused too (not an
    /// edge the walk knows). The REST route passes as a read of the listed repository.
    @Test func theForksOfTheListedRepositoryAreNotListedThroughREST() async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh(["api", "repos/o/app/forks"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!ReachAttackOtherRepositoryGhTests.received(scenario, "GET", "/repos/o/app/forks"), "the forks were asked of GitHub")
        let graphQL = try await scenario.gh([
            "api", "graphql", "-f", #"query=query ForksRead { repository(owner: "o", name: "app") { forks(first: 10) { nodes { nameWithOwner } } } }"#,
        ])
        #expect(graphQL.output.contains("ALLOW_OTHER_REPO_READS=false"), "GraphQL refuses the same list: \(graphQL.output)")
        scenario.expectNoCanary()
    }
}

/// The session's branches: what the ledger records as the tip of a branch the agent created.
struct ReachAttackLedgerTipGhTests {
    static let requested = String(repeating: "4", count: 40)
    static let chosen = String(repeating: "1", count: 40)

    /// GitHub sets a `createRef`'s ref to exactly its `oid`, yet the ledger keeps the tip the
    /// answer shows at `data.createRef.ref.target.oid`: a place the client's own selection set
    /// fills, through aliases, with any text it likes (here `oid: messageHeadline`, a commit
    /// message the session wrote: the fixture answers with what GitHub would put there). The
    /// branch is then the agent's "while GitHub's tip is that commit or descends from it" for a
    /// commit of the session's choosing, such as the repository's first one: a branch of the
    /// same name that someone else re-creates later is then taken for the agent's.
    @Test func theLedgerDoesNotTakeATipFromAnAliasedAnswer() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        let created = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation CreateRefAliasedTip { createRef(input: {repositoryId: "R_kgDOfixture", name: "refs/heads/claude/aliased", oid: "\#(Self.requested)"}) { ref { target { ... on Commit { oid: messageHeadline } } } } }"#,
        ])
        #expect(created.status == 0, "\(created.output)")
        let state = (try? String(contentsOfFile: scenario.agent.directory.sub("state/branches"), encoding: .utf8)) ?? ""
        #expect(state.contains("own\to/app\trefs/heads/claude/aliased\t"), "the created branch is the agent's: \(state)")
        #expect(
            !state.contains("refs/heads/claude/aliased\t\(Self.chosen)"),
            "the ledger took the tip from an aliased field of the answer, not the oid GitHub set: \(state)")
        scenario.expectNoCanary()
    }
}
