import AgentAPIPolicy
import AgentPolicy
import Testing

/// The token's reach on REST routes: only listed repositories are written, nothing leaves them,
/// approvals and bases follow their settings, and unknown writes stay refused.
struct ReachRESTTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        var body: String? = nil
        /// `nil`: allowed.
        let code: DenialCode?
        var testDescription: String { "\(method) \(path) → \(code?.rawValue ?? "allow")" }
    }

    static let writes: [Case] = [
        Case(method: "POST", path: "/repos/o/app/issues", body: "{}", code: nil),
        Case(method: "POST", path: "/REPOS/O/APP/issues", body: "{}", code: nil),
        Case(method: "POST", path: "/repos/o/app.git/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repositories/1/issues", body: "{}", code: nil),
        Case(method: "POST", path: "/repos/lib/anything/issues", body: "{}", code: nil),
        Case(method: "POST", path: "/repos/x/other/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repos/X/OTHER/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repos/x/other.git/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repos/x%2Fother/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repos/o/app-evil/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repositories/2/issues", body: "{}", code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repositories/abc/issues", body: "{}", code: .apiRequestInvalid),
        Case(method: "PUT", path: "/repos/x/other/contents/a.txt", body: #"{"branch":"claude/x"}"#, code: .repositoryNotAllowed),
        Case(method: "POST", path: "/repos/x/other/git/refs", body: #"{"ref":"refs/heads/claude/x","sha":"a"}"#, code: .repositoryNotAllowed),
        Case(method: "DELETE", path: "/repositories/2/git/refs/heads/claude/x", code: .repositoryNotAllowed),
        Case(method: "PATCH", path: "/repos/x/other", body: #"{"description":"d"}"#, code: .repositoryNotAllowed),
        // Leaving the listed repositories, whatever the lists say.
        Case(method: "POST", path: "/user/repos", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/orgs/o/repos", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/repos/o/app/generate", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/repos/o/app/forks", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/Repos/O/App/Forks", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/repositories/1/forks", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/repos/o/app/transfer", body: "{}", code: .repositoryEscape),
        Case(method: "PUT", path: "/repos/o/app/import", body: "{}", code: .repositoryEscape),
        Case(method: "PATCH", path: "/repos/o/app/import", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/gists", body: "{}", code: .repositoryEscape),
        Case(method: "PATCH", path: "/gists/1", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/gists/1/forks", code: .repositoryEscape),
        Case(method: "PUT", path: "/gists/1/star", code: .repositoryEscape),
        Case(method: "PATCH", path: "/user/repository_invitations/1", code: .repositoryEscape),
        Case(method: "DELETE", path: "/user/repository_invitations/1", code: .repositoryEscape),
        Case(method: "PUT", path: "/user/installations/1/repositories/2", code: .repositoryEscape),
        Case(method: "POST", path: "/user/migrations", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/orgs/o/migrations", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/user/keys", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/user/codespaces", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/repos/o/app/codespaces", body: "{}", code: .repositoryEscape),
        Case(method: "POST", path: "/app/installations/1/access_tokens", body: "{}", code: .repositoryEscape),
        Case(method: "DELETE", path: "/installation/token", code: .repositoryEscape),
        // Unknown writes: refused by name (ALLOWED_API_WRITES can add them).
        Case(method: "POST", path: "/repos/o/app/dispatches", body: "{}", code: .apiWriteNotAllowed),
        Case(method: "PUT", path: "/user/following/x", code: .apiWriteNotAllowed),
        Case(method: "POST", path: "/markdown", body: "{}", code: .apiWriteNotAllowed),
        Case(method: "PUT", path: "/notifications", body: "{}", code: .apiWriteNotAllowed),
        Case(method: "DELETE", path: "/user/starred/o/app", code: .apiWriteNotAllowed),
        Case(method: "POST", path: "/repos/o/app/something-new", body: "{}", code: .apiWriteNotAllowed),
    ]

    @Test(arguments: writes)
    func decidesWrite(_ testCase: Case) {
        let decision = Reach.policy().decide(Reach.request(testCase.method, testCase.path, testCase.body), facts: Reach.facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        if testCase.code == nil { #expect(decision == .allow) }
    }

    @Test func anIdIsLookedUpBeforeAnythingElse() {
        let decision = Reach.policy().decide(Reach.request("POST", "/repositories/2/issues", "{}"))
        #expect(decision == .needs([.reach(.repositoryName(id: "2"))]))
    }

    @Test(arguments: ["POST /user/repos", "POST /repos/*/*/forks", "POST /gists", "PATCH /user/repository_invitations/*", "POST /repos/*/*/transfer"])
    func escapesStayRefusedWhateverAllowedAPIWritesSays(_ extra: String) {
        let policy = Reach.policy(extraWrites: [extra])
        let parts = extra.split(separator: " ")
        let path = parts[1].replacingOccurrences(of: "*", with: "o").replacingOccurrences(of: "/o/o/", with: "/o/app/")
        #expect(Reach.denial(policy.decide(Reach.request(String(parts[0]), path, "{}")))?.code == .repositoryEscape)
    }

    @Test func escapeMessagesNameTheRule() {
        let denial = Reach.denial(Reach.policy().decide(Reach.request("POST", "/repos/o/app/forks", "{}")))
        #expect(denial?.message == "forking a repository is not allowed through the agent: it leaves the repositories in ALLOWED_REPOS")
    }

    @Test func extraWritesStillNeedAListedRepository() {
        let policy = Reach.policy(extraWrites: ["POST /repos/*/*/dispatches"])
        #expect(policy.decide(Reach.request("POST", "/repos/o/app/dispatches", "{}")) == .allow)
        #expect(Reach.denial(policy.decide(Reach.request("POST", "/repos/x/other/dispatches", "{}")))?.code == .repositoryNotAllowed)
    }

    static let approvals: [Case] = [
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":"APPROVE"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":"approve"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":"Approve","body":"lgtm"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/Repos/o/app/Pulls/1/Reviews", body: #"{"event":"APPROVE"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/repositories/1/pulls/1/reviews", body: #"{"event":"APPROVE"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews/9/events", body: #"{"event":"APPROVE"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "PUT", path: "/repos/o/app/pulls/1/reviews/9/dismissals", body: #"{"message":"m"}"#, code: .pullRequestApprovalDisabled),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":["APPROVE"]}"#, code: .apiRequestInvalid),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":"COMMENT","body":"x"}"#, code: nil),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"event":"REQUEST_CHANGES","body":"x"}"#, code: nil),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews", body: #"{"body":"pending"}"#, code: nil),
        Case(method: "POST", path: "/repos/o/app/pulls/1/reviews/9/events", body: #"{"event":"COMMENT"}"#, code: nil),
    ]

    @Test(arguments: approvals)
    func decidesApproval(_ testCase: Case) {
        let decision = Reach.policy().decide(Reach.request(testCase.method, testCase.path, testCase.body), facts: Reach.facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        if testCase.code == .pullRequestApprovalDisabled {
            #expect(Reach.denial(decision)?.message.hasSuffix("(ALLOW_PR_APPROVE=false)") == true)
            #expect(Reach.policy(approve: true).decide(Reach.request(testCase.method, testCase.path, testCase.body), facts: Reach.facts) == .allow)
        }
    }

    @Test func reviewRoutesReadTheirBody() {
        #expect(Reach.policy().needsBody(method: "POST", path: "/repos/o/app/pulls/1/reviews"))
        #expect(Reach.policy().needsBody(method: "POST", path: "/repos/o/app/pulls/1/reviews/9/events"))
        #expect(Reach.policy().needsBody(method: "POST", path: "/repos/o/app/pulls"))
    }

    static let bases: [Case] = [
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"develop","head":"claude/x"}"#, code: nil),
        // GitHub takes a base literally: `refs/heads/develop` is not the branch `develop` to it.
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"refs/heads/develop","head":"claude/x"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"release/1.2","head":"claude/x"}"#, code: nil),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"release/1.2/x","head":"claude/x"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"main","head":"claude/x"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"Develop","head":"claude/x"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":"refs/tags/develop"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"head":"claude/x"}"#, code: .apiRequestInvalid),
        Case(method: "POST", path: "/repos/o/app/pulls", body: #"{"base":1}"#, code: .apiRequestInvalid),
        Case(method: "PATCH", path: "/repos/o/app/pulls/1", body: #"{"base":"feature/y"}"#, code: .pullRequestBaseNotAllowed),
        Case(method: "PATCH", path: "/repos/o/app/pulls/1", body: #"{"title":"t"}"#, code: nil),
    ]

    @Test(arguments: bases)
    func decidesBase(_ testCase: Case) {
        let policy = Reach.policy(bases: ["develop", "release/*"])
        let decision = policy.decide(Reach.request(testCase.method, testCase.path, testCase.body), facts: Reach.facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        #expect(Reach.policy().decide(Reach.request(testCase.method, testCase.path, testCase.body), facts: Reach.facts).isAllowedOrOther(testCase))
    }

    @Test func baseRefusalsSayWhichBasesAreAllowed() {
        let decision = Reach.policy(bases: ["develop", "release/*"]).decide(Reach.request("POST", "/repos/o/app/pulls", #"{"base":"main"}"#))
        #expect(Reach.denial(decision)?.message == "pull requests into 'main' are not allowed: it does not match PR_BASE_BRANCHES (develop, release/*)")
    }

    @Test func updatingABranchInAForkOutsideTheListIsRefused() {
        var facts = Reach.facts
        let repository = APIRepository.named(owner: "o", name: "app")
        let update = Reach.request("PUT", "/repos/o/app/pulls/2/update-branch", "{}")
        #expect(Reach.policy().decide(update) == .needs([.pullRequest(repository, number: 2)]))
        facts.pullRequests[APIPullRequestKey(repository, 2)] = (base: "develop", head: "feature")
        facts.reach.pullRequestHeadRepositories[APIPullRequestKey(repository, 2)] = "x/fork"
        #expect(Reach.denial(Reach.policy().decide(update, facts: facts))?.message == "repository 'x/fork' is not in ALLOWED_REPOS (o/app, lib/*)")
        facts.reach.pullRequestHeadRepositories[APIPullRequestKey(repository, 2)] = "o/app"
        #expect(Reach.policy().decide(update, facts: facts) == .allow)
    }

    @Test func reopeningAPullRequestIsHeldToTheBases() {
        let repository = APIRepository.named(owner: "o", name: "app")
        let reopen = Reach.request("PATCH", "/repos/o/app/pulls/2", #"{"state":"open"}"#)
        let policy = Reach.policy(bases: ["develop"])
        #expect(policy.decide(reopen) == .needs([.pullRequest(repository, number: 2)]), "the base is looked up")
        var facts = APIFacts()
        facts.pullRequests[APIPullRequestKey(repository, 2)] = (base: "main", head: "feature")
        #expect(
            Reach.denial(policy.decide(reopen, facts: facts))?.message
                == "pull requests into 'main' are not allowed: it does not match PR_BASE_BRANCHES (develop)")
        facts.pullRequests[APIPullRequestKey(repository, 2)] = (base: "develop", head: "feature")
        #expect(policy.decide(reopen, facts: facts) == .allow)
        #expect(Reach.policy().decide(reopen) == .allow, "without PR_BASE_BRANCHES nothing is looked up")
        #expect(policy.decide(Reach.request("PATCH", "/repos/o/app/pulls/2", #"{"state":"closed"}"#)) == .allow)
    }

    /// `POST …/merges` is the REST form of GraphQL `mergeBranch`: behind `ALLOW_PR_MERGE` too.
    @Test func aBranchMergeNeedsALLOWPRMERGE() {
        let merge = Reach.request("POST", "/repos/o/app/merges", #"{"base":"develop","head":"claude/x"}"#)
        #expect(Reach.denial(Reach.policy().decide(merge))?.message == "merging pull requests is not allowed (ALLOW_PR_MERGE=false)")
    }

    static let reads: [Case] = [
        Case(method: "GET", path: "/repos/o/app", code: nil),
        Case(method: "GET", path: "/repos/O/App/contents/a", code: nil),
        Case(method: "GET", path: "/repositories/1/readme", code: nil),
        Case(method: "GET", path: "/user", code: nil),
        Case(method: "GET", path: "/", code: nil),
        Case(method: "GET", path: "/users/octocat", code: nil),
        Case(method: "GET", path: "/rate_limit", code: nil),
        Case(method: "HEAD", path: "/repos/x/other", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/repos/x/other/contents/secret.txt", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/repos/x%2Fother/readme", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/repositories/2/readme", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/search/code", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/user/repos", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/users/x/repos", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/orgs/x/repos", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/gists/1", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/notifications", code: .repositoryNotAllowed),
        Case(method: "GET", path: "/networks/x/other/events", code: .repositoryNotAllowed),
    ]

    @Test(arguments: reads)
    func decidesReadWithOtherRepositoryReadsOff(_ testCase: Case) {
        let decision = Reach.policy(allowOtherReads: false).decide(Reach.request(testCase.method, testCase.path), facts: Reach.facts)
        #expect(Reach.denial(decision)?.code == testCase.code, "\(decision)")
        #expect(Reach.policy().decide(Reach.request(testCase.method, testCase.path), facts: Reach.facts) == .allow, "reads are allowed by default")
    }

    @Test func webReads() {
        let strict = Reach.policy(allowOtherReads: false)
        #expect(strict.webReadDenial(path: "/o/app/pull/1") == nil)
        #expect(strict.webReadDenial(path: "/x/other/blob/main/a.txt")?.code == .repositoryNotAllowed)
        #expect(strict.webReadDenial(path: "/login")?.code == .repositoryNotAllowed)
        #expect(Reach.policy().webReadDenial(path: "/x/other") == nil)
    }
}

extension APIDecision {
    /// Without `PR_BASE_BRANCHES`, only the other rules speak.
    fileprivate func isAllowedOrOther(_ testCase: ReachRESTTests.Case) -> Bool {
        if case .deny(let denial) = self { return denial.code != .pullRequestBaseNotAllowed }
        return true
    }
}
