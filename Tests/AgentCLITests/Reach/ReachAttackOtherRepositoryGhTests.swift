import AgentTestSupport
import Foundation
import Testing

/// Findings of the second attack on issue 15: requests on the listed repository's own routes
/// that name, or answer with, another repository's content, through stock gh on gh.sock.
///
/// GitHub lets a route of one repository name a branch of another one in its network
/// (`USER:BRANCH`, `USER:REPO:BRANCH`, `head_repo`), and its REST timeline embeds the issues and
/// pull requests of other repositories that cross-reference an issue; the GraphQL walk refuses the
/// same reads (`Ref.compare`, `CrossReferencedEvent.source`, a `headRepositoryId` outside the
/// list), the REST routes do not.
struct ReachAttackOtherRepositoryGhTests {
    static func start(_ environment: [String: String] = [:]) async throws -> GhScenario {
        var settings = ["ALLOWED_REPOS": #"["o/app"]"#, "ALLOW_OTHER_REPO_READS": "false"]
        settings.merge(environment) { $1 }
        return try await GhScenario.start(environment: settings)
    }

    static func received(_ scenario: GhScenario, _ method: String, _ path: String) -> Bool {
        scenario.github.requests.contains { $0.method == method && $0.uri.split(separator: "?").first.map(String.init) == path }
    }

    static func receivedBody(_ scenario: GhScenario, _ marker: String) -> Bool {
        scenario.github.requests.contains { String(decoding: $0.bodyPrefix, as: UTF8.self).contains(marker) }
    }

    /// `GET /repos/o/app/compare/main...x:secret` (or `x:other:secret`) compares with a branch of
    /// another repository in the network and answers with its commits and patches: reading
    /// `x/other` through `o/app`'s route, which GraphQL's `Ref.compare` is refused for.
    @Test func aCompareWithAnotherRepositorysBranchIsRefused() async throws {
        let scenario = try await Self.start()
        for head in ["x:secret", "x:other:secret"] {
            let result = try await scenario.gh(["api", "repos/o/app/compare/main...\(head)"])
            #expect(result.status != 0, "\(head): \(result.output)")
            #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
            #expect(!Self.received(scenario, "GET", "/repos/o/app/compare/main...\(head)"), "the compare with \(head) reached GitHub")
        }
        scenario.expectNoCanary()
    }

    /// `GET /repos/o/app/issues/7/timeline`: GitHub's `cross-referenced` events carry the whole
    /// referencing issue or pull request (`source.issue`: title, body, its repository), in any
    /// repository the token can read. GraphQL's `CrossReferencedEvent.source` is refused for it;
    /// the REST timeline passes as a read of the listed repository.
    @Test func theRESTTimelineDoesNotCarryOtherRepositoriesIssues() async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh(["api", "repos/o/app/issues/7/timeline"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!Self.received(scenario, "GET", "/repos/o/app/issues/7/timeline"), "the timeline was asked of GitHub")
        scenario.expectNoCanary()
    }

    /// A pull request into `o/app` from a branch of another repository (REST `head: "x:secret"`
    /// or `head_repo`, GraphQL `headRefName: "x:secret"`) brings that repository's commits into
    /// `o/app`, where the walk lets them be read (`files`, `commits`); GraphQL's
    /// `headRepositoryId` outside the list is refused, these spellings are not.
    @Test func aPullRequestFromAnotherRepositorysBranchIsRefused() async throws {
        let scenario = try await Self.start()
        let rest = try await scenario.gh(["api", "-X", "POST", "repos/o/app/pulls", "-f", "head=x:secret", "-f", "base=main", "-f", "title=t"])
        #expect(rest.status != 0, "\(rest.output)")
        #expect(rest.output.contains("ALLOWED_REPOS"), "the refusal names the list: \(rest.output)")
        let headRepo = try await scenario.gh([
            "api", "-X", "POST", "repos/o/app/pulls", "-f", "head=secret", "-f", "head_repo=other", "-f", "base=main", "-f", "title=t",
        ])
        #expect(headRepo.status != 0, "\(headRepo.output)")
        #expect(!Self.received(scenario, "POST", "/repos/o/app/pulls"), "a pull request from another repository was asked of GitHub")

        let graphQL = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation CrossRepositoryPull { createPullRequest(input: {repositoryId: "R_kgDOfixture", headRefName: "x:secret", baseRefName: "main", title: "t"}) { pullRequest { number } } }"#,
        ])
        #expect(graphQL.status != 0, "\(graphQL.output)")
        #expect(graphQL.output.contains("ALLOWED_REPOS"), "the refusal names the list: \(graphQL.output)")
        #expect(!Self.receivedBody(scenario, "CrossRepositoryPull"), "the mutation reached GitHub")

        // A pull request from a branch of the listed repository itself still passes.
        let here = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation SameRepositoryPull { createPullRequest(input: {repositoryId: "R_kgDOfixture", headRefName: "claude/x", baseRefName: "main", title: "t"}) { clientMutationId } }"#,
        ])
        #expect(!here.output.contains("ALLOWED_REPOS"), "\(here.output)")
        #expect(Self.receivedBody(scenario, "SameRepositoryPull"))
        scenario.expectNoCanary()
    }
}

extension ReachAttackOtherRepositoryGhTests {
    /// `POST /repos/o/app/merge-upstream` merges the branch of the same name of `o/app`'s parent
    /// (a repository outside the list, which the walk lets be read only for who it is) into
    /// `o/app`, where its content can then be read.
    @Test func syncingWithTheUpstreamRepositoryIsRefused() async throws {
        let scenario = try await Self.start()
        let result = try await scenario.gh(["api", "-X", "POST", "repos/o/app/merge-upstream", "-f", "branch=claude/x"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("ALLOW_OTHER_REPO_READS=false"), "the refusal names the setting: \(result.output)")
        #expect(!Self.received(scenario, "POST", "/repos/o/app/merge-upstream"), "the merge from the parent reached GitHub")
        scenario.expectNoCanary()
    }
}

/// `PR_BASE_BRANCHES` decides re-opening (`reopenPullRequest`, `PATCH …/pulls/N` with
/// `state: open`), but GitHub re-opens a pull request two more ways, both passed unlooked: the
/// Issues API on the pull request's number (every pull request is an issue), and GraphQL
/// `updatePullRequest` with `state: OPEN`. The fixture's pull request 1 (`PR_kwDOmerged`) goes
/// into `main`.
struct ReachAttackReopenGhTests {
    @Test func reopeningAPullRequestThroughTheIssuesAPIIsHeldToPRBaseBranches() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#, "PR_BASE_BRANCHES": #"["develop"]"#])
        let result = try await scenario.gh(["api", "-X", "PATCH", "repos/o/app/issues/1", "-f", "state=open"])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("PR_BASE_BRANCHES (develop)"), "the refusal names the setting: \(result.output)")
        #expect(!ReachAttackOtherRepositoryGhTests.received(scenario, "PATCH", "/repos/o/app/issues/1"), "the re-opening reached GitHub")
        scenario.expectNoCanary()
    }

    /// Re-opening an issue that is not a pull request (GitHub has no pull request 7) is not held.
    @Test func reopeningAPlainIssueStillPasses() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#, "PR_BASE_BRANCHES": #"["develop"]"#])
        let result = try await scenario.gh(["api", "-X", "PATCH", "repos/o/app/issues/7", "-f", "state=open"])
        #expect(!result.output.contains("PR_BASE_BRANCHES"), "\(result.output)")
        #expect(ReachAttackOtherRepositoryGhTests.received(scenario, "PATCH", "/repos/o/app/issues/7"), "the re-opening did not reach GitHub")
        scenario.expectNoCanary()
    }

    @Test func reopeningAPullRequestWithUpdatePullRequestIsHeldToPRBaseBranches() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#, "PR_BASE_BRANCHES": #"["develop"]"#])
        let result = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation UpdateStateOpen { updatePullRequest(input: {pullRequestId: "PR_kwDOmerged", state: OPEN}) { clientMutationId } }"#,
        ])
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("PR_BASE_BRANCHES (develop)"), "the refusal names the setting: \(result.output)")
        #expect(!ReachAttackOtherRepositoryGhTests.receivedBody(scenario, "UpdateStateOpen"), "the re-opening reached GitHub")
        scenario.expectNoCanary()
    }
}

/// `ALLOW_BRANCH_DELETE=own` / `ALLOW_FORCE_PUSH=own`: a field GitHub reads as a short branch
/// name (`createLinkedBranch`'s `name`, a rename's `new_name`) is parsed with `RefName.parse`,
/// which reads `heads/X` as `refs/heads/X`, while GitHub creates `refs/heads/heads/X`. With the
/// `oid` of someone else's branch (the fixture's `claude/made-by-api`, at 444…), the ledger makes
/// that branch the agent's, at the tip it already has: deleting or force-moving it then passes.
struct ReachAttackShortBranchNameGhTests {
    static let theirTip = String(repeating: "4", count: 40)

    @Test func aLinkedBranchNamedHeadsSlashXDoesNotMakeBranchXTheAgents() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        // Aliased to the fixture's answer for createRef (an object at data.createRef).
        let linked = try await scenario.gh([
            "api", "graphql", "-f",
            #"query=mutation CreateRef { createRef: createLinkedBranch(input: {issueId: "I_kwDOfixture7", repositoryId: "R_kgDOfixture", oid: "\#(Self.theirTip)", name: "heads/claude/made-by-api"}) { ref { id } } }"#,
        ])
        let state = (try? String(contentsOfFile: scenario.agent.directory.sub("state/branches"), encoding: .utf8)) ?? ""
        #expect(
            !state.contains("own\to/app\trefs/heads/claude/made-by-api\t"),
            "GitHub made refs/heads/heads/claude/made-by-api, not claude/made-by-api: \(linked.output) \(state)")

        let deleted = try await scenario.gh(["api", "-X", "DELETE", "repos/o/app/git/refs/heads/claude/made-by-api"])
        #expect(deleted.status != 0, "\(deleted.output)")
        #expect(deleted.stderr.contains("(ALLOW_BRANCH_DELETE=own)"), "\(deleted.output)")
        #expect(
            !scenario.github.requests.contains { $0.method == "DELETE" && $0.uri == "/repos/o/app/git/refs/heads/claude/made-by-api" },
            "someone else's claude/made-by-api was deleted")
        scenario.expectNoCanary()
    }
}
