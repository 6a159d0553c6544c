import AgentAPIPolicy
import AgentPolicy
import Testing

/// The token's reach in GraphQL: every repository a mutation names, by name or node id (looked
/// up), through aliases, fragments and variables; escapes by name; approvals; bases; and with
/// `ALLOW_OTHER_REPO_READS=false`, queries.
struct ReachGraphQLTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let query: String
        var variables = "null"
        /// `nil`: allowed.
        let code: DenialCode?
        var testDescription: String { name }
    }

    static let mutations: [Case] = [
        Case(
            name: "createIssue in the listed repository", query: #"mutation { createIssue(input: {repositoryId: "R_app", title: "t"}) { issue { url } } }"#,
            code: nil),
        Case(
            name: "createIssue elsewhere", query: #"mutation { createIssue(input: {repositoryId: "R_other", title: "t"}) { issue { url } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createIssue elsewhere, aliased",
            query: #"mutation { harmless: createIssue(input: {repositoryId: "R_other", title: "t"}) { issue { url } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createIssue elsewhere, through variables", query: #"mutation M($input: CreateIssueInput!) { createIssue(input: $input) { issue { url } } }"#,
            variables: #"{"input":{"repositoryId":"R_other","title":"t"}}"#, code: .repositoryNotAllowed),
        Case(
            name: "createIssue elsewhere, through a default value",
            query: #"mutation M($r: ID = "R_other") { createIssue(input: {repositoryId: $r, title: "t"}) { issue { url } } }"#, code: .repositoryNotAllowed),
        Case(
            name: "createIssue elsewhere, through a fragment",
            query:
                #"mutation { ...F } fragment F on Mutation { ... on Mutation { createIssue(input: {repositoryId: "R_other", title: "t"}) { issue { url } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "addComment on an issue elsewhere", query: #"mutation { addComment(input: {subjectId: "I_other", body: "x"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(name: "addComment here", query: #"mutation { addComment(input: {subjectId: "I_app", body: "x"}) { clientMutationId } }"#, code: nil),
        Case(
            name: "a listed and an unlisted field",
            query:
                #"mutation { a: addComment(input: {subjectId: "I_app", body: "x"}) { clientMutationId } b: addComment(input: {subjectId: "I_other", body: "x"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "transferIssue to another repository",
            query: #"mutation { transferIssue(input: {issueId: "I_app", repositoryId: "R_other"}) { issue { url } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createCommitOnBranch by name elsewhere",
            query:
                #"mutation { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "X/OTHER", branchName: "claude/x"}, message: {headline: "h"}, expectedHeadOid: "a"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createCommitOnBranch by name here, other case",
            query:
                #"mutation { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "O/App", branchName: "claude/x"}, message: {headline: "h"}, expectedHeadOid: "a"}) { clientMutationId } }"#,
            code: nil),
        Case(
            name: "createCommitOnBranch by a ref id elsewhere",
            query:
                #"mutation { createCommitOnBranch(input: {branch: {id: "REF_other"}, message: {headline: "h"}, expectedHeadOid: "a"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createCommitOnBranch without a repository",
            query:
                #"mutation { createCommitOnBranch(input: {branch: {branchName: "claude/x"}, message: {headline: "h"}, expectedHeadOid: "a"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "a mutation that names only a user",
            query: #"mutation { addAssigneesToAssignable(input: {assignableId: "U_1", assigneeIds: ["U_1"]}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(name: "addStar on a gist", query: #"mutation { addStar(input: {starrableId: "G_1"}) { clientMutationId } }"#, code: .repositoryNotAllowed),
        Case(
            name: "addStar on another repository", query: #"mutation { addStar(input: {starrableId: "R_other"}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "updatePullRequestBranch of a fork's branch",
            query: #"mutation { updatePullRequestBranch(input: {pullRequestId: "PR_fork"}) { clientMutationId } }"#, code: .repositoryNotAllowed),
        Case(
            name: "updatePullRequestBranch here", query: #"mutation { updatePullRequestBranch(input: {pullRequestId: "PR_app"}) { clientMutationId } }"#,
            code: nil),
        Case(
            name: "updateRefs elsewhere",
            query:
                #"mutation { updateRefs(input: {repositoryId: "R_other", refUpdates: [{name: "refs/heads/claude/x", afterOid: "a"}]}) { clientMutationId } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "createRepository", query: #"mutation { createRepository(input: {name: "n", visibility: PUBLIC}) { clientMutationId } }"#,
            code: .repositoryEscape),
        Case(
            name: "cloneTemplateRepository, aliased",
            query:
                #"mutation { x: cloneTemplateRepository(input: {repositoryId: "R_app", name: "n", ownerId: "U_1", visibility: PUBLIC}) { clientMutationId } }"#,
            code: .repositoryEscape),
        Case(name: "forkRepository", query: #"mutation { forkRepository(input: {repositoryId: "R_app"}) { clientMutationId } }"#, code: .repositoryEscape),
        Case(name: "createGist", query: #"mutation { createGist(input: {files: []}) { clientMutationId } }"#, code: .repositoryEscape),
        Case(
            name: "approval", query: #"mutation { addPullRequestReview(input: {pullRequestId: "PR_app", event: APPROVE}) { clientMutationId } }"#,
            code: .pullRequestApprovalDisabled),
        Case(
            name: "approval through a variable",
            query: #"mutation($e: PullRequestReviewEvent!) { addPullRequestReview(input: {pullRequestId: "PR_app", event: $e}) { clientMutationId } }"#,
            variables: #"{"e":"APPROVE"}"#, code: .pullRequestApprovalDisabled),
        Case(
            name: "approval under an alias in a fragment",
            query:
                #"mutation { ...F } fragment F on Mutation { ok: submitPullRequestReview(input: {pullRequestReviewId: "PRR_1", event: APPROVE}) { clientMutationId } }"#,
            code: .pullRequestApprovalDisabled),
        Case(
            name: "approval through the whole input",
            query: #"mutation($i: AddPullRequestReviewInput!) { addPullRequestReview(input: $i) { clientMutationId } }"#,
            variables: #"{"i":{"pullRequestId":"PR_app","event":"APPROVE"}}"#, code: .pullRequestApprovalDisabled),
        Case(
            name: "a comment review",
            query: #"mutation { addPullRequestReview(input: {pullRequestId: "PR_app", event: COMMENT, body: "x"}) { clientMutationId } }"#,
            code: nil),
        Case(
            name: "requesting changes",
            query: #"mutation { addPullRequestReview(input: {pullRequestId: "PR_app", event: REQUEST_CHANGES, body: "x"}) { clientMutationId } }"#,
            code: nil),
        Case(
            name: "dismissing a review",
            query: #"mutation { dismissPullRequestReview(input: {pullRequestReviewId: "PRR_1", message: "m"}) { clientMutationId } }"#,
            code: .pullRequestApprovalDisabled),
        Case(name: "ready for review", query: #"mutation { markPullRequestReadyForReview(input: {pullRequestId: "PR_app"}) { clientMutationId } }"#, code: nil),
        Case(
            name: "auto-merge", query: #"mutation { enablePullRequestAutoMerge(input: {pullRequestId: "PR_app"}) { clientMutationId } }"#,
            code: .pullRequestMergeDisabled),
        Case(
            name: "merge queue", query: #"mutation { enqueuePullRequest(input: {pullRequestId: "PR_app"}) { clientMutationId } }"#,
            code: .pullRequestMergeDisabled),
        Case(
            name: "mergeBranch", query: #"mutation { mergeBranch(input: {repositoryId: "R_app", base: "develop", head: "x"}) { clientMutationId } }"#,
            code: .pullRequestMergeDisabled),
    ]

    @Test(arguments: mutations)
    func decidesMutation(_ testCase: Case) {
        var facts = Reach.facts
        facts.reach.nodeOwners["PRR_1"] = .repository("o/app")
        let decision = Reach.policy().decide(Reach.graphQL(testCase.query, variables: testCase.variables), facts: facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        if testCase.code == nil { #expect(decision == .allow) }
    }

    @Test func idsAreLookedUpButNotNamesOfPeople() {
        let request = Reach.graphQL(
            #"mutation { createIssue(input: {repositoryId: "R_9", title: "t", assigneeIds: ["U_7"], labelIds: ["L_1"], clientMutationId: "c"}) { clientMutationId } }"#
        )
        #expect(Reach.policy().decide(request) == .needs([.node(id: "R_9")]))
    }

    @Test func refusalsNameTheRepository() {
        let decision = Reach.policy().decide(
            Reach.graphQL(#"mutation { createIssue(input: {repositoryId: "R_other", title: "t"}) { clientMutationId } }"#), facts: Reach.facts)
        #expect(Reach.denial(decision)?.message == "repository 'x/other' is not in ALLOWED_REPOS (o/app, lib/*)")
        let escape = Reach.policy().decide(Reach.graphQL(#"mutation { createRepository(input: {name: "n"}) { clientMutationId } }"#))
        #expect(
            Reach.denial(escape)?.message
                == "GraphQL mutation 'createRepository' (creating a repository) is not allowed through the agent: it leaves the repositories in ALLOWED_REPOS")
    }

    @Test func basesOfPullRequests() {
        let policy = Reach.policy(bases: ["develop"])
        let create =
            #"mutation { createPullRequest(input: {repositoryId: "R_app", baseRefName: "BASE", headRefName: "claude/x", title: "t"}) { clientMutationId } }"#
        #expect(policy.decide(Reach.graphQL(create.replacingOccurrences(of: "BASE", with: "develop")), facts: Reach.facts) == .allow)
        #expect(
            Reach.denial(policy.decide(Reach.graphQL(create.replacingOccurrences(of: "BASE", with: "main")), facts: Reach.facts))?.code
                == .pullRequestBaseNotAllowed)
        let retarget = #"mutation { updatePullRequest(input: {pullRequestId: "PR_app", baseRefName: "feature/y"}) { clientMutationId } }"#
        #expect(Reach.denial(policy.decide(Reach.graphQL(retarget), facts: Reach.facts))?.code == .pullRequestBaseNotAllowed)
    }

    @Test func reopeningAPullRequestIsHeldToTheBases() {
        let reopen = Reach.graphQL(#"mutation { reopenPullRequest(input: {pullRequestId: "PR_app"}) { clientMutationId } }"#)
        #expect(Reach.denial(Reach.policy(bases: ["main"]).decide(reopen, facts: Reach.facts))?.code == .pullRequestBaseNotAllowed)
        #expect(Reach.policy(bases: ["develop"]).decide(reopen, facts: Reach.facts) == .allow)
        #expect(Reach.policy().decide(reopen, facts: Reach.facts) == .allow)
    }

    @Test func aReplysCommentIsLookedUpToItsRepository() {
        let reply = Reach.graphQL(
            #"mutation { addPullRequestReviewComment(input: {pullRequestReviewId: "PRR_1", inReplyTo: "C_other", body: "x"}) { clientMutationId } }"#)
        var facts = Reach.facts
        facts.reach.nodeOwners["PRR_1"] = .repository("o/app")
        #expect(Reach.policy().decide(reply, facts: facts) == .needs([.node(id: "C_other")]))
        facts.reach.nodeOwners["C_other"] = .repository("x/other")
        #expect(Reach.denial(Reach.policy().decide(reply, facts: facts))?.code == .repositoryNotAllowed)
        facts.reach.nodeOwners["C_other"] = .repository("o/app")
        #expect(Reach.policy().decide(reply, facts: facts) == .allow)
    }

    @Test func ownBranchesOfTheRepositoryTheRefIsIn() {
        let delete = Reach.graphQL(#"mutation { deleteRef(input: {refId: "REF_x"}) { clientMutationId } }"#)
        #expect(Reach.denial(Reach.policy().decide(delete, facts: Reach.facts))?.code == .branchDeleteDisabled)
        let ledger = FixedLedger(own: ["o/app refs/heads/claude/x"])
        #expect(
            Reach.policy(ledger: ledger).decide(delete, facts: Reach.facts) == .needs([.reach(.branchTip(repository: "o/app", branch: "refs/heads/claude/x"))]),
            "is the branch still at the agent's tip?")
        var facts = Reach.facts
        facts.reach.setBranchTip(FixedLedger.fixtureTip, repository: "o/app", branch: "refs/heads/claude/x")
        #expect(Reach.policy(ledger: ledger).decide(delete, facts: facts) == .allow)
        let elsewhere = Reach.graphQL(#"mutation { deleteRef(input: {refId: "REF_other"}) { clientMutationId } }"#)
        #expect(Reach.denial(Reach.policy(ledger: ledger).decide(elsewhere, facts: Reach.facts))?.code != nil)
    }

    static let queries: [Case] = [
        Case(name: "the listed repository", query: #"query { repository(owner: "o", name: "app") { pullRequests(first: 5) { nodes { title } } } }"#, code: nil),
        Case(name: "viewer's login", query: "query { viewer { login } }", code: nil),
        Case(
            name: "a fork's parent's name", query: #"query { repository(owner: "o", name: "app") { parent { name owner { login } } } }"#, code: nil),
        Case(
            name: "another repository", query: #"query { repository(owner: "x", name: "other") { object(expression: "HEAD:a") { id } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "another repository through variables", query: #"query($o: String!, $n: String!) { repository(owner: $o, name: $n) { id } }"#,
            variables: #"{"o":"x","n":"other"}"#, code: .repositoryNotAllowed),
        Case(name: "another repository under an alias", query: #"query { r: repository(owner: "X", name: "Other") { id } }"#, code: .repositoryNotAllowed),
        Case(name: "search", query: #"query { search(query: "secret", type: REPOSITORY, first: 5) { nodes { __typename } } }"#, code: .repositoryNotAllowed),
        Case(name: "the viewer's repositories", query: "query { viewer { repositories(first: 5) { nodes { name } } } }", code: .repositoryNotAllowed),
        Case(name: "the viewer's issues everywhere", query: "query { viewer { issues(first: 5) { nodes { body } } } }", code: .repositoryNotAllowed),
        Case(name: "forks", query: #"query { repository(owner: "o", name: "app") { forks(first: 5) { nodes { name } } } }"#, code: .repositoryNotAllowed),
        Case(
            name: "a parent's content", query: #"query { repository(owner: "o", name: "app") { parent { object(expression: "HEAD:a") { id } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "an owner's other repository",
            query: #"query { repository(owner: "o", name: "app") { owner { repository(name: "secret") { id } } } }"#, code: .repositoryNotAllowed),
        Case(
            name: "through a fragment", query: #"query { ...Q } fragment Q on Query { viewer { repositories(first: 1) { nodes { name } } } }"#,
            code: .repositoryNotAllowed),
        Case(name: "a node elsewhere", query: #"query { node(id: "R_other") { id } }"#, code: .repositoryNotAllowed),
        Case(name: "a node here", query: #"query { node(id: "R_app") { id } }"#, code: nil),
        Case(name: "a gist node", query: #"query { nodes(ids: ["G_1"]) { id } }"#, code: .repositoryNotAllowed),
        Case(name: "resource", query: #"query { resource(url: "https://github.com/x/other") { __typename } }"#, code: .repositoryNotAllowed),
        Case(
            name: "an owner's pull requests everywhere",
            query: #"query { repository(owner: "o", name: "app") { owner { ... on User { pullRequests(first: 5) { nodes { repository { id } } } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "a follower's pull requests", query: "query { viewer { followers(first: 5) { nodes { pullRequests(first: 5) { nodes { title } } } } } }",
            code: .repositoryNotAllowed),
        Case(
            name: "an issue transferred from elsewhere",
            query:
                #"query { repository(owner: "o", name: "app") { issue(number: 7) { timelineItems(first: 5) { nodes { ... on TransferredEvent { fromRepository { object(expression: "HEAD:a") { id } } } } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "a commit of another repository that referenced an issue",
            query:
                #"query { repository(owner: "o", name: "app") { issue(number: 7) { timelineItems(first: 5) { nodes { ... on ReferencedEvent { commit { message } } } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "a fork's head ref",
            query: #"query { repository(owner: "o", name: "app") { pullRequest(number: 2) { headRef { repository { id } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "pull requests of other repositories that close an issue",
            query:
                #"query { repository(owner: "o", name: "app") { issue(number: 7) { closedByPullRequestsReferences(first: 5) { nodes { repository { id } } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "an edge the schema does not list",
            query: #"query { repository(owner: "o", name: "app") { pullRequest(number: 1) { someNewEdge { id } } } }"#, code: .repositoryNotAllowed),
        Case(
            name: "an issue's own repository, through a fragment on an interface",
            query:
                #"query { repository(owner: "o", name: "app") { issue(number: 7) { ... on Comment { author { login } } repository { object(expression: "HEAD:a") { ... on Blob { text } } } } } }"#,
            code: nil),
        Case(
            name: "gh pr view",
            query:
                #"query PullRequestByNumber($owner: String!, $repo: String!) { repository(owner: $owner, name: $repo) { pullRequest(number: 1) { url author { login ... on User { id name } } headRepositoryOwner { id login } headRepository { id name } reviewRequests(first: 100) { nodes { requestedReviewer { __typename ... on User { login } ... on Team { organization { login } name slug } } } } reviews(first: 100) { nodes { author { login } commit { oid } reactionGroups { content users { totalCount } } } } projectCards(first: 100) { nodes { project { name } column { name } } } milestone { title } statusCheckRollup: commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 100) { nodes { __typename ... on StatusContext { context } ... on CheckRun { name checkSuite { workflowRun { workflow { name } } } } } } } } } } } } }"#,
            variables: #"{"owner":"o","repo":"app"}"#, code: nil),
        Case(
            name: "gh pr status",
            query:
                #"fragment pr on PullRequest { number headRepositoryOwner { login } baseRef { branchProtectionRule { requiresStrictStatusChecks } } } query PullRequestStatus($q: String!) { repository(owner: "o", name: "app") { defaultBranchRef { name } pullRequests(first: 10) { edges { node { ...pr latestReviews(first: 5) { nodes { author { login } } } } } } } viewerCreated: search(query: $q, type: ISSUE, first: 10) { totalCount: issueCount edges { node { ...pr } } } }"#,
            variables: #"{"q":"repo:o/app state:open is:pr author:@me"}"#, code: nil),
        Case(
            name: "gh pr edit's project items",
            query:
                #"query { repository(owner: "o", name: "app") { pullRequest(number: 1) { projectItems(first: 100) { nodes { id project { id title } } } projectCards(first: 100) { nodes { project { name } column { name } } } } } }"#,
            code: nil),
        Case(
            name: "a project's items",
            query:
                #"query { repository(owner: "o", name: "app") { pullRequest(number: 1) { projectItems(first: 100) { nodes { project { items(first: 5) { nodes { id } } } } } } } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "a search of other repositories",
            query: #"query { search(query: "repo:o/app OR repo:x/other", type: ISSUE, first: 10) { issueCount } }"#, code: .repositoryNotAllowed),
        Case(
            name: "a search by owner", query: #"query { search(query: "repo:o/app user:x", type: ISSUE, first: 10) { issueCount } }"#,
            code: .repositoryNotAllowed),
        Case(
            name: "gh repo view",
            query:
                #"fragment repo on Repository { id name owner { login } hasIssuesEnabled description hasWikiEnabled viewerPermission defaultBranchRef { name } } query RepositoryInfo { repository(owner: "o", name: "app") { ...repo parent { ...repo } mergeCommitAllowed } }"#,
            code: nil),
        Case(
            name: "gh issue view",
            query:
                #"query IssueByNumber { repository(owner: "o", name: "app") { hasIssuesEnabled issue: issueOrPullRequest(number: 7) { __typename ... on Issue { number author { login } labels(first: 100) { nodes { name } } comments(last: 1) { nodes { author { login } body reactionGroups { content users { totalCount } } } } } ... on PullRequest { number } } } }"#,
            code: nil),
        Case(
            name: "too many nodes", query: "query { nodes(ids: [\(Array(repeating: #""R_app""#, count: 101).joined(separator: ","))]) { id } }",
            code: .repositoryNotAllowed),
    ]

    @Test func aMutationsPayloadIsReadTheSameWay() {
        let leak = Reach.graphQL(
            #"mutation { addComment(input: {subjectId: "I_app", body: "x"}) { subject { ... on Issue { repository { owner { repositories(first: 5) { nodes { name } } } } } } } }"#
        )
        #expect(Reach.denial(Reach.policy(allowOtherReads: false).decide(leak, facts: Reach.facts))?.code == .repositoryNotAllowed)
        #expect(Reach.policy().decide(leak, facts: Reach.facts) == .allow, "reads of other repositories are allowed by default")
        let plain = Reach.graphQL(
            #"mutation { addComment(input: {subjectId: "I_app", body: "x"}) { commentEdge { node { url author { login } } } subject { id } } }"#)
        #expect(Reach.policy(allowOtherReads: false).decide(plain, facts: Reach.facts) == .allow)
    }

    @Test(arguments: queries)
    func queriesWithOtherRepositoryReadsOff(_ testCase: Case) {
        let decision = Reach.policy(allowOtherReads: false).decide(Reach.graphQL(testCase.query, variables: testCase.variables), facts: Reach.facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        if testCase.code == nil { #expect(decision == .allow) }
        #expect(Reach.policy().decide(Reach.graphQL(testCase.query, variables: testCase.variables), facts: Reach.facts) == .allow)
    }

    @Test func queriesThroughGETAreHeldTheSameWay() {
        let request = APIRequest(method: "GET", path: "/graphql", query: "query=%7Brepository(owner:%22x%22,name:%22other%22)%7Bid%7D%7D")
        #expect(Reach.denial(Reach.policy(allowOtherReads: false).decide(request))?.code == .repositoryNotAllowed)
    }
}
