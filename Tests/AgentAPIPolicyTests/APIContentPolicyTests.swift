import AgentAPIPolicy
import AgentPolicy
import AgentTestSupport
import Foundation
import Testing

/// The content rules on API writes, decided without a socket: which routes are refused, which
/// lookups they ask for, and what the answers change.
struct APIContentPolicyTests {
    let policy = APIPolicy(
        refs: RefPolicy(settings: .defaults), settings: APISettings(allowPullRequestMerge: true), content: APIContentPolicy(rules: .defaults, held: nil))
    let repository = APIRepository.named(owner: "o", name: "r")
    static let protected = "path '.github/workflows/ci.yml' is protected (PROTECTED_PATHS)"

    func request(_ method: String, _ path: String, _ body: String) -> APIRequest {
        APIRequest(method: method, path: path, body: JSONValue.parse(Array(body.utf8)))
    }

    func message(_ decision: APIDecision) -> String? {
        if case .deny(let denial) = decision { return denial.message }
        return nil
    }

    struct Route: Sendable, CustomTestStringConvertible {
        let method: String
        let path: String
        let body: String
        let refusal: String?
        var testDescription: String { "\(method) \(path)" }
    }

    @Test(arguments: [
        Route(method: "PUT", path: "/repos/o/r/contents/.github/workflows/ci.yml", body: #"{"message":"m","content":"eA==","branch":"x"}"#, refusal: protected),
        Route(method: "DELETE", path: "/repos/o/r/contents/.github/workflows/ci.yml", body: #"{"message":"m","sha":"a","branch":"x"}"#, refusal: protected),
        Route(method: "PUT", path: "/REPOS/O/R/CONTENTS/.github/workflows/ci.yml", body: #"{"message":"m","content":"eA==","branch":"x"}"#, refusal: protected),
        Route(
            method: "PUT", path: "/repositories/7/contents/.github%2Fworkflows/ci.yml", body: #"{"message":"m","content":"eA==","branch":"x"}"#,
            refusal: protected),
        Route(
            method: "PUT", path: "/repos/o/r/contents/.github", body: #"{"message":"m","content":"eA==","branch":"x"}"#,
            refusal: "path '.github' is protected (PROTECTED_PATHS)"),
        Route(method: "PUT", path: "/repos/o/r/contents/.GitHub/workflows/ci.yml", body: #"{"message":"m","content":"eA==","branch":"x"}"#, refusal: nil),
        Route(method: "PUT", path: "/repos/o/r/contents/docs/ci.yml", body: #"{"message":"m","content":"eA==","branch":"x"}"#, refusal: nil),
        Route(
            method: "PUT", path: "/repos/o/r/contents/docs/ci.yml", body: #"{"message":"m","content":7,"branch":"x"}"#,
            refusal: "the request is refused: its 'content' is not a string"),
    ])
    func contentsRoutes(_ route: Route) {
        let decision = policy.decide(request(route.method, route.path, route.body))
        #expect(message(decision) == route.refusal, "\(decision)")
        if route.refusal == nil { #expect(decision == .allow) }
    }

    @Test func aRefUpdateLooksUpTheOldCommitThenCompares() {
        let update = request("PATCH", "/repos/o/r/git/refs/heads/claude/x", #"{"sha":"b"}"#)
        let target = ContentLookup.refTarget(repository, ref: "heads/claude/x")
        #expect(policy.decide(update) == .needs([.content(target)]))
        var facts = APIFacts()
        facts.content.answers[target] = .commit("a")
        let compare = ContentLookup.compare(repository, base: "a", head: "b")
        let backward = ContentLookup.compare(repository, base: "b", head: "a")
        #expect(policy.decide(update, facts: facts) == .needs([.content(compare), .content(backward)]))
        facts.content.answers[backward] = .files(ChangedFiles(paths: [], isComplete: true))  // a fast-forward
        facts.content.answers[compare] = .files(ChangedFiles(paths: ["src/x.c", ".github/workflows/ci.yml"], isComplete: true))
        #expect(message(policy.decide(update, facts: facts)) == Self.protected)
        facts.content.answers[compare] = .files(ChangedFiles(paths: ["src/x.c"], isComplete: true))
        #expect(policy.decide(update, facts: facts) == .allow)
        facts.content.answers[compare] = .files(ChangedFiles(paths: ["src/x.c"], isComplete: false))
        #expect(message(policy.decide(update, facts: facts))?.contains("more files than GitHub lists") == true)
        // A ref already at the commit changes nothing.
        facts.content.answers[target] = .commit("b")
        #expect(policy.decide(update, facts: facts) == .allow)
    }

    @Test func aBlockedBranchIsRefusedBeforeAnyLookup() {
        #expect(message(policy.decide(request("PATCH", "/repos/o/r/git/refs/heads/main", #"{"sha":"b"}"#))) == "branch 'main' is protected (BLOCKED_BRANCHES)")
    }

    @Test func aRefCreationComparesWithTheDefaultBranch() {
        let create = request("POST", "/repos/o/r/git/refs", #"{"ref":"refs/tags/v1","sha":"b"}"#)
        #expect(policy.decide(create) == .needs([.defaultBranch(repository)]))
        var facts = APIFacts()
        facts.defaultBranches[repository] = "main"
        let compare = ContentLookup.compare(repository, base: "main", head: "b")
        #expect(policy.decide(create, facts: facts) == .needs([.content(compare)]))
        facts.content.answers[compare] = .files(ChangedFiles(paths: [".github/actions/a/action.yml"], isComplete: true))
        #expect(message(policy.decide(create, facts: facts)) == "path '.github/actions/a/action.yml' is protected (PROTECTED_PATHS)")
    }

    @Test func mergesAskForTheirFilesOnceTheRouteIsSettled() {
        let merge = request("PUT", "/repos/o/r/pulls/3/merge", "{}")
        let files = ContentLookup.pullRequestFiles(repository, number: 3)
        // The route's lookup first: a merge into a blocked base needs no files.
        #expect(policy.decide(merge) == .needs([.pullRequest(repository, number: 3)]))
        var facts = APIFacts()
        facts.pullRequests[APIPullRequestKey(repository, 3)] = (base: "main", head: "feature")
        #expect(message(policy.decide(merge, facts: facts)) == "branch 'main' is protected (BLOCKED_BRANCHES)")
        facts.pullRequests[APIPullRequestKey(repository, 3)] = (base: "develop", head: "feature")
        #expect(policy.decide(merge, facts: facts) == .needs([.content(files)]))
        facts.content.answers[files] = .files(ChangedFiles(paths: ["README.md"], isComplete: true))
        #expect(policy.decide(merge, facts: facts) == .allow)
        facts.content.answers[files] = .files(ChangedFiles(paths: ["ci/x", ".github/workflows/ci.yml"], isComplete: true))
        #expect(message(policy.decide(merge, facts: facts)) == Self.protected)
        #expect(
            policy.decide(request("POST", "/repos/o/r/merges", #"{"base":"develop","head":"f"}"#))
                == .needs([.content(.compare(repository, base: "develop", head: "f"))]))
    }

    @Test func aSecretInTheBodyIsRefusedWithoutWaitingForTheRoutesLookups() {
        let key = SecretSamples.all[0].truePositive
        let body = #"{"message":"m","content":"\#(Data(key.utf8).base64EncodedString())"}"#
        // No branch: the route needs the default branch, the content is refused already.
        #expect(
            message(policy.decide(request("PUT", "/repos/o/r/contents/docs/x.md", body))) == "possible secret in 'docs/x.md' line 1: GitHub token (SECRET_SCAN)"
        )
    }

    @Test func anAllowedPathMustBeAllowedAsGitHubMayNormaliseItToo() throws {
        let rules = ContentRules(protectedPaths: [], secretScanAllow: [try PathPattern("test/fixtures/**")])
        let allowing = APIPolicy(refs: RefPolicy(settings: .defaults), settings: APISettings(), content: APIContentPolicy(rules: rules, held: nil))
        let content = Data("k=\(SecretSamples.all[0].truePositive)\n".utf8).base64EncodedString()
        func commit(_ path: String) throws -> APIDecision {
            let query =
                #"mutation { createCommitOnBranch(input: {branch: {branchName: "claude/x"}, message: {headline: "m"}, expectedHeadOid: "a", fileChanges: {additions: [{path: "\#(path)", contents: "\#(content)"}]}}) { commit { oid } } }"#
            let body = "{\"query\":\(String(decoding: try JSONEncoder().encode(query), as: UTF8.self))}"
            return allowing.decide(request("POST", "/graphql", body))
        }
        #expect(try commit("test/fixtures/keys.env") == .allow)
        let escaped = "test/fixtures/../../config/prod.env"
        #expect(try message(commit(escaped)) == "possible secret in '\(escaped)' line 1: GitHub token (SECRET_SCAN)")
    }

    @Test func aForkSyncComparesWithTheParentsBranch() {
        let sync = request("POST", "/repos/o/r/merge-upstream", #"{"branch":"develop"}"#)
        let parent = ContentLookup.forkParent(repository)
        #expect(policy.decide(sync) == .needs([.content(parent)]))
        var facts = APIFacts()
        facts.content.answers[parent] = .repository(.named(owner: "up", name: "r"), defaultBranch: "main")
        let compare = ContentLookup.compare(repository, base: "develop", head: "up:develop")
        #expect(policy.decide(sync, facts: facts) == .needs([.content(compare)]))
        facts.content.answers[compare] = .files(ChangedFiles(paths: [".github/workflows/ci.yml"], isComplete: true))
        #expect(message(policy.decide(sync, facts: facts)) == Self.protected)
        facts.content.answers[parent] = .other
        #expect(policy.decide(sync, facts: facts) == .allow, "not a fork: nothing to bring")
    }

    @Test func aRefUpdateThatIsNotAFastForwardIsComparedBothWays() {
        let update = request("PATCH", "/repos/o/r/git/refs/heads/claude/x", #"{"sha":"b"}"#)
        var facts = APIFacts()
        facts.content.answers[.refTarget(repository, ref: "heads/claude/x")] = .commit("a")
        let forward = ContentLookup.compare(repository, base: "a", head: "b")
        let backward = ContentLookup.compare(repository, base: "b", head: "a")
        #expect(policy.decide(update, facts: facts) == .needs([.content(forward), .content(backward)]))
        facts.content.answers[forward] = .files(ChangedFiles(paths: ["docs/x.md"], isComplete: true))
        facts.content.answers[backward] = .files(ChangedFiles(paths: [".github/workflows/ci.yml"], isComplete: true))
        #expect(message(policy.decide(update, facts: facts)) == Self.protected, "the update would undo the old commit's workflow change")
        facts.content.answers[backward] = .files(ChangedFiles(paths: [], isComplete: true))
        #expect(policy.decide(update, facts: facts) == .allow)
    }

    @Test(arguments: [
        (".github/workflows/ci.yml", true), ("./.github/workflows/ci.yml", true), ("/.github/workflows/ci.yml", true),
        ("docs/../.github/workflows/ci.yml", true), (".github//workflows/ci.yml", true), (".github/./workflows/ci.yml", true),
        ("docs/ci.yml", false), (".github/workflows-old/ci.yml", false),
    ])
    func createCommitOnBranchPathsAsGitHubMayNormaliseThem(_ path: String, _ refused: Bool) {
        let query =
            #"mutation { createCommitOnBranch(input: {branch: {branchName: "claude/x"}, message: {headline: "m"}, expectedHeadOid: "a", fileChanges: {deletions: [{path: $p}]}}) { commit { oid } } }"#
            .replacingOccurrences(of: "$p", with: "\"\(path)\"")
        let body = "{\"query\":\(String(decoding: try! JSONEncoder().encode(query), as: UTF8.self))}"
        let decision = policy.decide(request("POST", "/graphql", body))
        #expect((message(decision) == "path '\(path)' is protected (PROTECTED_PATHS)") == refused, "\(decision)")
        if !refused { #expect(decision == .allow) }
    }

    @Test func withTheRulesOffNothingChanges() {
        let off = APIPolicy(refs: RefPolicy(settings: .defaults), settings: APISettings(), content: APIContentPolicy(rules: .disabled, held: nil))
        #expect(off.decide(request("PUT", "/repos/o/r/contents/.github/workflows/ci.yml", #"{"branch":"x","content":"eA=="}"#)) == .allow)
        #expect(off.decide(request("PATCH", "/repos/o/r/git/refs/heads/x", #"{"sha":"b"}"#)) == .allow)
        #expect(!off.needsBody(method: "POST", path: "/repos/o/r/issues/1/comments"))
        #expect(policy.needsBody(method: "POST", path: "/repos/o/r/issues/1/comments"))
        #expect(!policy.needsBody(method: "POST", path: "/repos/o/r/releases/1/assets"))
    }
}
