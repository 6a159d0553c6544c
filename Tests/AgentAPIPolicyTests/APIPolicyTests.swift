import AgentAPIPolicy
import AgentPolicy
import Foundation
import Testing

struct APIPolicyTests {
    let policy = APIPolicy(refs: RefPolicy(settings: .defaults), settings: APISettings())

    func request(_ method: String, _ path: String, _ body: String? = nil) -> APIRequest {
        APIRequest(method: method, path: path, body: body.flatMap { JSONValue.parse(Array($0.utf8)) })
    }

    func denial(_ decision: APIDecision) -> Denial? {
        if case .deny(let denial) = decision { return denial }
        return nil
    }

    @Test(arguments: ["GET", "HEAD", "get"])
    func readsPass(_ method: String) {
        #expect(policy.decide(request(method, "/repos/o/r/git/refs/heads/main")) == .allow)
    }

    @Test(arguments: [
        "/repos/o/r/git/refs/heads/main", "/repos/O/R/git/refs/heads/main", "/Repos/o/r/Git/Refs/heads/main",
        "/repositories/42/git/refs/heads/main", "/repos/o/r/git/refs/heads%2Fmain", "/repos/o/r/git/refs/refs/heads/main",
        "/repos/o/r/git/refs/heads/main/", "/repos/o/r/git/refs/%68eads/main",
    ])
    func everySpellingOfARefPatchToMainIsDenied(_ path: String) {
        let decision = policy.decide(request("PATCH", path, #"{"sha":"a"}"#))
        #expect(denial(decision)?.code == .branchProtected, "\(path): \(decision)")
    }

    @Test(arguments: ["/repos/o/r/git/refs/heads%252Fmain", "/repos/o/../o/r/git/refs/heads/main", "/repos//o/r/git/refs/x", "/repos/o/r/%zz", "repos/o/r"])
    func trickyPathsAreRefused(_ path: String) {
        #expect(denial(policy.decide(request("PATCH", path, "{}")))?.code == .apiRequestInvalid, "\(path)")
    }

    @Test func contentsWithoutABranchAsksForTheDefaultBranch() {
        let put = request("PUT", "/repos/o/r/contents/a.txt", #"{"message":"m","content":""}"#)
        let repository = APIRepository.named(owner: "o", name: "r")
        #expect(policy.decide(put) == .needs([.defaultBranch(repository)]))
        var facts = APIFacts()
        facts.defaultBranches[repository] = "main"
        #expect(denial(policy.decide(put, facts: facts))?.message == "branch 'main' is protected (BLOCKED_BRANCHES)")
        facts.defaultBranches[repository] = "develop"
        #expect(policy.decide(put, facts: facts) == .allow)
        #expect(policy.decide(request("PUT", "/repos/o/r/contents/a.txt", #"{"branch":"claude/x"}"#)) == .allow)
    }

    @Test func pullRequestRoutesUseThePullRequestsBranches() {
        let repository = APIRepository.named(owner: "o", name: "r")
        var facts = APIFacts()
        facts.pullRequests[APIPullRequestKey(repository, 3)] = (base: "main", head: "main")
        let update = request("PUT", "/repos/o/r/pulls/3/update-branch", "{}")
        #expect(policy.decide(update) == .needs([.pullRequest(repository, number: 3)]))
        #expect(denial(policy.decide(update, facts: facts))?.code == .branchProtected)
        #expect(denial(policy.decide(request("PUT", "/repos/o/r/pulls/3/merge", "{}")))?.code == .pullRequestMergeDisabled)
        let merging = APIPolicy(refs: policy.refs, settings: APISettings(allowPullRequestMerge: true))
        #expect(denial(merging.decide(request("PUT", "/repos/o/r/pulls/3/merge", "{}"), facts: facts))?.code == .branchProtected)
        facts.pullRequests[APIPullRequestKey(repository, 3)] = (base: "develop", head: "x")
        #expect(merging.decide(request("PUT", "/repos/o/r/pulls/3/merge", "{}"), facts: facts) == .allow)
    }

    @Test func administrationAndUnknownWrites() {
        #expect(denial(policy.decide(request("PATCH", "/repos/o/r", #"{"private":true}"#)))?.code == .apiAdministration)
        #expect(denial(policy.decide(request("PATCH", "/repos/o/r", #"{"archived":true,"description":"x"}"#)))?.message.hasSuffix("changes archived") == true)
        #expect(policy.decide(request("PATCH", "/repos/o/r", #"{"description":"new words"}"#)) == .allow)
        for path in [
            "/repos/o/r/collaborators/eve", "/repos/o/r/hooks", "/repos/o/r/keys", "/repos/o/r/actions/secrets/X", "/repos/o/r/rulesets/1",
        ] {
            #expect(denial(policy.decide(request("PUT", path, "{}")))?.code == .apiAdministration, "\(path)")
        }
        // Leaving the listed repositories is its own rule (ReachRESTTests).
        #expect(denial(policy.decide(request("PUT", "/repos/o/r/transfer", "{}")))?.code == .repositoryEscape)
        #expect(denial(policy.decide(request("POST", "/user/repos", "{}")))?.code == .repositoryEscape)
        #expect(denial(policy.decide(request("POST", "/user/emails", "{}")))?.code == .apiWriteNotAllowed)
        let extended = APIPolicy(refs: policy.refs, settings: APISettings(extraWrites: [try! APIWritePattern("POST /repos/*/*/dispatches")]))
        #expect(extended.decide(request("POST", "/repos/o/r/dispatches", "{}")) == .allow)
        #expect(denial(extended.decide(request("POST", "/repos/o/r/other", "{}")))?.code == .apiWriteNotAllowed)
    }

    func graphQL(_ query: String, variables: String = "null", operationName: String? = nil) -> APIRequest {
        let escaped = query.replacingOccurrences(of: "\"", with: "\\\"")
        let name = operationName.map { ",\"operationName\":\"\($0)\"" } ?? ""
        return request("POST", "/graphql", "{\"query\":\"\(escaped)\",\"variables\":\(variables)\(name)}")
    }

    @Test func graphQLQueriesPassAndMutationsAreClassified() {
        #expect(policy.decide(graphQL("query { viewer { login } }")) == .allow)
        #expect(policy.decide(graphQL("{ viewer { login } }")) == .allow)
        #expect(policy.decide(graphQL(#"mutation { createPullRequest(input: {baseRefName: "main", headRefName: "x"}) { clientMutationId } }"#)) == .allow)
        #expect(policy.decide(graphQL(#"mutation { addComment(input: {subjectId: "I", body: "hi"}) { clientMutationId } }"#)) == .allow)
        #expect(
            denial(policy.decide(graphQL(#"mutation { updatePullRequest(input: {pullRequestId: "P", baseRefName: "main"}) { clientMutationId } }"#)))?.code
                == .branchProtected)
        #expect(
            denial(policy.decide(graphQL(#"mutation { createRef(input: {name: "refs/heads/main", oid: "a", repositoryId: "R"}) { clientMutationId } }"#)))?.code
                == .branchProtected)
        #expect(
            policy.decide(graphQL(#"mutation { createRef(input: {name: "refs/heads/claude/x", oid: "a", repositoryId: "R"}) { clientMutationId } }"#)) == .allow
        )
        #expect(
            denial(policy.decide(graphQL(#"mutation { createLinkedBranch(input: {issueId: "I", oid: "a"}) { clientMutationId } }"#)))?.code
                == .apiRequestInvalid)
        #expect(
            denial(
                policy.decide(
                    graphQL(
                        #"mutation { a: addComment(input: {subjectId: "I", body: "x"}) { clientMutationId } b: deleteRepository(input: {}) { clientMutationId } }"#
                    )))?.message == "GraphQL mutation 'deleteRepository' is not allowed through the agent")
    }

    @Test func graphQLRefsNamedByIdAreLookedUp() {
        let update = graphQL(#"mutation { updateRef(input: {refId: "REF_1", oid: "b", force: true}) { clientMutationId } }"#)
        #expect(policy.decide(update) == .needs([.node(id: "REF_1")]))
        var facts = APIFacts()
        facts.nodes["REF_1"] = .reference(fullName: "refs/heads/main")
        #expect(denial(policy.decide(update, facts: facts))?.code == .branchProtected)
        facts.nodes["REF_1"] = .reference(fullName: "refs/heads/claude/x")
        #expect(denial(policy.decide(update, facts: facts))?.code == .forcePushDisabled, "ALLOW_FORCE_PUSH=own: not the agent's branch")
        let open = APIPolicy(refs: RefPolicy(settings: PolicySettings(blockedBranches: [], allowForcePush: true)), settings: APISettings())
        #expect(open.decide(update, facts: facts) == .allow)
        let delete = graphQL(#"mutation($id: ID!) { deleteRef(input: {refId: $id}) { clientMutationId } }"#, variables: #"{"id":"REF_2"}"#)
        facts.nodes["REF_2"] = .reference(fullName: "refs/tags/v1")
        #expect(denial(policy.decide(delete, facts: facts))?.code == .tagUpdateDisabled)
        let revert = graphQL(#"mutation { revertPullRequest(input: {pullRequestId: "PR_1"}) { clientMutationId } }"#)
        facts.nodes["PR_1"] = .pullRequest(number: 4, base: "main", head: "feature")
        #expect(policy.decide(revert, facts: facts) == .allow, "creates revert-4-feature")
        let strict = APIPolicy(
            refs: RefPolicy(settings: PolicySettings(blockedBranches: [], allowedBranchPatterns: [try! BranchPattern("claude/**")])), settings: APISettings())
        #expect(denial(strict.decide(revert, facts: facts))?.message == "branch 'revert-4-feature' does not match ALLOWED_BRANCH_PATTERNS (claude/**)")
    }

    @Test func graphQLOperationSelection() {
        let document = #"query Read { viewer { login } } mutation Write { deleteRef(input: {refId: "X"}) { clientMutationId } }"#
        #expect(policy.decide(graphQL(document, operationName: "Read")) == .allow)
        #expect(policy.decide(graphQL(document, operationName: "Write")) == .needs([.node(id: "X")]))
        #expect(denial(policy.decide(graphQL(document)))?.code == .apiRequestInvalid)
        #expect(denial(policy.decide(graphQL(document, operationName: "Missing")))?.code == .apiRequestInvalid)
        #expect(denial(policy.decide(graphQL("mutation { ...A } fragment A on Mutation { ...A }")))?.code == .apiRequestInvalid)
        #expect(denial(policy.decide(graphQL("subscription { x }")))?.code == .apiRequestInvalid)
        #expect(denial(policy.decide(graphQL("type Query { x: Int }")))?.code == .apiRequestInvalid)
    }

    /// Two copies of a key: GitHub would use the last, another reader the first. Refused.
    @Test(arguments: [
        ("PUT", "/repos/o/r/contents/a.txt", #"{"message":"m","content":"","branch":"claude/x","branch":"main"}"#),
        ("POST", "/repos/o/r/git/refs", #"{"ref":"refs/heads/claude/x","sha":"a","ref":"refs/heads/main"}"#),
        (
            "POST", "/graphql",
            #"{"query":"mutation { addComment(input: {subjectId: \"I\", body: \"x\"}) { clientMutationId } }","query":"mutation { deleteRepository(input: {}) { clientMutationId } }"}"#
        ),
        ("POST", "/graphql", #"{"query":"{ viewer { login } }","variables":{"b":"claude/x","b":"main"}}"#),
        ("PATCH", "/repos/o/r/pulls/1", #"{"title":"t","base":"develop","\u0062ase":"main"}"#),
    ])
    func bodiesWithRepeatedKeysAreRefused(_ method: String, _ path: String, _ body: String) {
        let decision = policy.decide(APIRequest(method: method, path: path, bodyBytes: Array(body.utf8)))
        #expect(denial(decision)?.message.contains("a key given twice") == true, "\(decision)")
    }

    @Test func emptyAndMalformedBodies() {
        let update = APIRequest(method: "PUT", path: "/repos/o/r/contents/a.txt", bodyBytes: Array("{\"branch\":\"main\"} trailing".utf8))
        #expect(denial(policy.decide(update))?.code == .apiRequestInvalid)
        let empty = APIRequest(method: "PUT", path: "/repos/o/r/pulls/3/update-branch", bodyBytes: Array(" \n".utf8))
        #expect(empty.bodyIsUnreadable == false)
        #expect(policy.decide(empty) == .needs([.pullRequest(.named(owner: "o", name: "r"), number: 3)]))
    }

    @Test func graphQLVariablesFallBackToTheirDefaults() {
        let mutation = #"mutation($b: String = "main") { createCommitOnBranch(input: {branch: {branchName: $b}, expectedHeadOid: "a"}) { clientMutationId } }"#
        #expect(denial(policy.decide(graphQL(mutation)))?.code == .branchProtected)
        #expect(policy.decide(graphQL(mutation, variables: #"{"b":"claude/x"}"#)) == .allow)
        #expect(denial(policy.decide(graphQL(mutation, variables: #"{"b":null}"#)))?.code == .apiRequestInvalid)
        #expect(denial(policy.decide(graphQL(mutation, variables: #""main""#)))?.code == .apiRequestInvalid, "variables that are not an object")
    }

    @Test func graphQLDocumentsAServerWouldReadDifferentlyAreRefused() {
        let repeated =
            #"mutation { createRef(input: {name: "refs/heads/claude/x", name: "refs/heads/main", oid: "a", repositoryId: "R"}) { clientMutationId } }"#
        #expect(denial(policy.decide(graphQL(repeated)))?.message.contains("input field 'name' is given twice") == true)
        let twice =
            #"mutation A { addComment(input: {subjectId: "I", body: "x"}) { clientMutationId } } mutation A { deleteRepository(input: {}) { clientMutationId } }"#
        #expect(denial(policy.decide(graphQL(twice, operationName: "A")))?.message.contains("operation 'A' is defined twice") == true)
        // Fragments that spread each other twice per level: 2^30 fields if expanded.
        var fragments = "mutation { ...F0 }"
        for level in 0..<30 { fragments += " fragment F\(level) on Mutation { ...F\(level + 1) ...F\(level + 1) }" }
        fragments += #" fragment F30 on Mutation { addComment(input: {subjectId: "I", body: "x"}) { clientMutationId } }"#
        #expect(denial(policy.decide(graphQL(fragments)))?.message.contains("more than 1000 fields") == true)
        let deep = "query " + String(repeating: "{ a ", count: 50_000) + String(repeating: "}", count: 50_000)
        #expect(denial(policy.decide(graphQL(deep)))?.message.contains("nests deeper than 64 levels") == true)
    }
}
