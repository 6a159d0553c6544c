import AgentTestSupport
import Foundation
import Testing

/// PROTECTED_PATHS and SECRET_SCAN on GitHub API writes, through curl and gh on gh.sock against
/// the fixture API: each route is refused with the push's words and never reaches GitHub; clean
/// writes go through; nothing of a secret reaches an output.
struct ContentAPITests {
    static let ci = ".github/workflows/ci.yml"
    static let one = String(repeating: "1", count: 40)
    static let two = String(repeating: "2", count: 40)
    static let three = String(repeating: "3", count: 40)
    static let four = String(repeating: "4", count: 40)

    struct Write: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let path: String
        let body: String
        /// The refusal's message; `nil` when the write must reach GitHub.
        let refusal: String?
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func graphQL(_ query: String, operation: String) -> String {
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"query\":\"\(escaped)\",\"operationName\":\"\(operation)\"}"
    }

    static let protected = "path '.github/workflows/ci.yml' is protected (PROTECTED_PATHS)"
    static let key = SecretSamples.all[0].truePositive
    static let canary = AgentUnderTest.canaryToken

    static let writes: [Write] = [
        Write(
            name: "contents PUT on a workflow", method: "PUT", path: "/repos/o/app/contents/.github/workflows/ci.yml",
            body: #"{"message":"m","content":"eA==","branch":"claude/x"}"#, refusal: protected),
        Write(
            name: "contents PUT on a workflow, encoded", method: "PUT", path: "/repos/o/app/contents/%2Egithub/workflows%2Fci.yml",
            body: #"{"message":"m","content":"eA==","branch":"claude/x"}"#, refusal: protected),
        Write(
            name: "contents DELETE of a workflow", method: "DELETE", path: "/repos/o/app/contents/.github/workflows/ci.yml",
            body: #"{"message":"m","sha":"abc","branch":"claude/x"}"#, refusal: protected),
        Write(
            name: "contents PUT with a key in the file", method: "PUT", path: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"\#(base64("a\nb\n\(key)\n"))","branch":"claude/x"}"#,
            refusal: "possible secret in 'docs/new.md' line 3: GitHub token (SECRET_SCAN)"),
        Write(
            name: "contents PUT with the agent's token, base64 inside base64", method: "PUT", path: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"\#(base64("auth: " + base64("x:" + canary)))","branch":"claude/x"}"#,
            refusal: "possible secret in 'docs/new.md' line 1: the agent's GitHub token, base64-encoded (SECRET_SCAN)"),
        Write(
            name: "contents PUT naming a file after the agent's token", method: "PUT", path: "/repos/o/app/contents/notes/\(canary).md",
            body: #"{"message":"m","content":"eA==","branch":"claude/x"}"#,
            refusal: "possible secret in the request's path line 1: the agent's GitHub token (SECRET_SCAN)"),
        Write(
            name: "contents PUT naming a file after a key", method: "PUT", path: "/repos/o/app/contents/notes/\(key).md",
            body: #"{"message":"m","content":"eA==","branch":"claude/x"}"#,
            refusal: "possible secret in the name of a file line 1: GitHub token (SECRET_SCAN)"),
        Write(
            name: "contents PUT with a look-alike", method: "PUT", path: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"\#(base64("token: ghp_your_token_here\n"))","branch":"claude/x"}"#, refusal: nil),
        Write(
            name: "contents PUT on an allowed path with a key", method: "PUT", path: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"\#(base64(key))","branch":"claude/x"}"#, refusal: nil,
            environment: ["SECRET_SCAN_ALLOW": #"["docs/**"]"#]),
        Write(
            name: "contents PUT with content that is not base64", method: "PUT", path: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"eA==*","branch":"claude/x"}"#, refusal: "the request is refused: its 'content' is not base64 the agent can read"),
        Write(
            name: "ref update to a commit that changes a workflow", method: "PATCH", path: "/repos/o/app/git/refs/heads/claude/c",
            body: #"{"sha":"\#(two)"}"#, refusal: protected),
        Write(
            name: "ref update to a commit that does not", method: "PATCH", path: "/repos/o/app/git/refs/heads/claude/c", body: #"{"sha":"\#(three)"}"#,
            refusal: nil),
        Write(
            name: "ref update that undoes the old commit's workflow change (not a fast-forward)", method: "PATCH",
            path: "/repos/o/app/git/refs/heads/claude/c", body: #"{"sha":"\#(four)"}"#, refusal: protected),
        Write(
            name: "ref creation at a commit that changes a workflow", method: "POST", path: "/repos/o/app/git/refs",
            body: #"{"ref":"refs/heads/claude/new","sha":"\#(two)"}"#, refusal: protected),
        Write(
            name: "ref creation at a clean commit", method: "POST", path: "/repos/o/app/git/refs", body: #"{"ref":"refs/heads/claude/new","sha":"\#(three)"}"#,
            refusal: nil),
        Write(
            name: "merge of a branch that renames a workflow", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"claude/x","head":"feature"}"#,
            refusal: protected, environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "merge of more files than GitHub lists", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"claude/x","head":"huge"}"#,
            refusal: "the change touches more files than GitHub lists, so the agent cannot check them against PROTECTED_PATHS; push it with git",
            environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "merge of a clean branch", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"claude/x","head":"docs"}"#, refusal: nil,
            environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "pull request merge that brings an action change", method: "PUT", path: "/repos/o/app/pulls/3/merge", body: "{}",
            refusal: "path '.github/actions/setup/action.yml' is protected (PROTECTED_PATHS)", environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "a blob with a key", method: "POST", path: "/repos/o/app/git/blobs", body: #"{"content":"\#(base64(key))","encoding":"base64"}"#,
            refusal: "possible secret in the blob's content line 1: GitHub token (SECRET_SCAN)"),
        Write(
            name: "an issue comment with the agent's token, %-encoded", method: "POST", path: "/repos/o/app/issues/7/comments",
            body: #"{"body":"see https://x/?t=\#(canary.utf8.map { String(format: "%%%02x", $0) }.joined())"}"#,
            refusal: "possible secret in the request body line 1: the agent's GitHub token (SECRET_SCAN)"),
        Write(
            name: "an issue comment with the agent's token, JSON-escaped", method: "POST", path: "/repos/o/app/issues/7/comments",
            body: #"{"body":"\#(canary.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined())"}"#,
            refusal: "possible secret in the request body line 1: the agent's GitHub token (SECRET_SCAN)"),
        Write(
            name: "a pull request body with the agent's token, base64 (basic auth)", method: "POST", path: "/repos/o/app/pulls",
            body: #"{"title":"t","head":"claude/x","base":"develop","body":"curl -H 'Authorization: Basic \#(base64("x-access-token:" + canary))'"}"#,
            refusal: "possible secret in the request body line 1: the agent's GitHub token, base64-encoded (SECRET_SCAN)"),
        Write(
            name: "a pull request body with a well-known format (held secrets only)", method: "POST", path: "/repos/o/app/pulls",
            body: #"{"title":"t","head":"claude/x","base":"develop","body":"rotate \#(key)"}"#, refusal: nil),
        Write(
            name: "an issue body with the agent's token in a key", method: "POST", path: "/repos/o/app/issues",
            body: #"{"title":"t","body":"x","labels":{"\#(canary)":1}}"#,
            refusal: "possible secret in the request body line 1: the agent's GitHub token (SECRET_SCAN)"),
        Write(
            name: "an issue comment with a well-known format (held secrets only)", method: "POST", path: "/repos/o/app/issues/7/comments",
            body: #"{"body":"rotate \#(key)"}"#, refusal: nil),
        Write(
            name: "createCommitOnBranch adding a workflow", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation CommitFiles { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "abc", fileChanges: {additions: [{path: "docs/a.md", contents: "eA=="}, {path: ".github/workflows/ci.yml", contents: "eA=="}]}}) { commit { oid } } }"#,
                operation: "CommitFiles"), refusal: protected),
        Write(
            name: "createCommitOnBranch deleting a workflow", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation CommitFiles { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "abc", fileChanges: {deletions: [{path: ".github/workflows/ci.yml"}]}}) { commit { oid } } }"#,
                operation: "CommitFiles"), refusal: protected),
        Write(
            name: "createCommitOnBranch adding a key", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation CommitFiles { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "abc", fileChanges: {additions: [{path: "config/prod.env", contents: "\#(base64("A=1\nB=2\nK=\(key)\n"))"}]}}) { commit { oid } } }"#,
                operation: "CommitFiles"), refusal: "possible secret in 'config/prod.env' line 3: GitHub token (SECRET_SCAN)"),
        Write(
            name: "createCommitOnBranch with clean files", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation CommitFiles { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "abc", fileChanges: {additions: [{path: "docs/a.md", contents: "eA=="}]}}) { commit { oid } } }"#,
                operation: "CommitFiles"), refusal: nil),
        Write(
            name: "createCommitOnBranch adding a workflow as ./path", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation CommitFiles { createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "o/app", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "abc", fileChanges: {additions: [{path: "./.github//workflows/x.yml", contents: "eA=="}]}}) { commit { oid } } }"#,
                operation: "CommitFiles"), refusal: "path './.github//workflows/x.yml' is protected (PROTECTED_PATHS)"),
        Write(
            name: "a release that creates its tag at a commit that changes a workflow", method: "POST", path: "/repos/o/app/releases",
            body: #"{"tag_name":"v9","target_commitish":"\#(two)"}"#, refusal: protected),
        Write(
            name: "a fork synced with its upstream that changed a workflow", method: "POST", path: "/repos/o/fork/merge-upstream",
            body: #"{"branch":"claude/x"}"#, refusal: protected),
        Write(
            name: "a fork synced with its upstream that changed documentation", method: "POST", path: "/repos/o/fork/merge-upstream",
            body: #"{"branch":"claude/docs"}"#, refusal: nil),
        Write(
            name: "a fork synced on a branch that is not a ref name (refused before any lookup)", method: "POST", path: "/repos/o/fork/merge-upstream",
            body: #"{"branch":"claude/x:y"}"#, refusal: "'claude/x:y' is not a valid ref name (it contains ':')"),
        Write(
            name: "a merge whose head is not a revision", method: "POST", path: "/repos/o/app/merges", body: #"{"base":"claude/x","head":"../../user"}"#,
            refusal: "the request is refused: '../../user' is not a branch, tag or commit the agent can compare", environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "updateRef to a commit that changes a workflow", method: "POST", path: "/graphql",
            body: graphQL(#"mutation MoveRef { updateRef(input: {refId: "REF_claude_c", oid: "\#(two)"}) { clientMutationId } }"#, operation: "MoveRef"),
            refusal: protected),
        Write(
            name: "updateRef to a clean commit", method: "POST", path: "/graphql",
            body: graphQL(#"mutation MoveRef { updateRef(input: {refId: "REF_claude_c", oid: "\#(three)"}) { clientMutationId } }"#, operation: "MoveRef"),
            refusal: nil),
        Write(
            name: "updateRef that undoes the old commit's workflow change", method: "POST", path: "/graphql",
            body: graphQL(#"mutation MoveRef { updateRef(input: {refId: "REF_claude_c", oid: "\#(four)"}) { clientMutationId } }"#, operation: "MoveRef"),
            refusal: protected),
        Write(
            name: "createRef at a commit that changes a workflow", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation MoveRef { createRef(input: {repositoryId: "R_kgDOfixture", name: "refs/heads/claude/new", oid: "\#(two)"}) { clientMutationId } }"#,
                operation: "MoveRef"), refusal: protected),
        Write(
            name: "mergeBranch bringing a workflow rename", method: "POST", path: "/graphql",
            body: graphQL(
                #"mutation MergeBranches { mergeBranch(input: {repositoryId: "R_kgDOfixture", base: "claude/x", head: "feature"}) { clientMutationId } }"#,
                operation: "MergeBranches"), refusal: protected, environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "mergePullRequest bringing an action change", method: "POST", path: "/graphql",
            body: graphQL(#"mutation MergeBranches { mergePullRequest(input: {pullRequestId: "PR_3"}) { clientMutationId } }"#, operation: "MergeBranches"),
            refusal: "path '.github/actions/setup/action.yml' is protected (PROTECTED_PATHS)", environment: ["ALLOW_PR_MERGE": "true"]),
        Write(
            name: "a mutation with the agent's token in a variable", method: "POST", path: "/graphql",
            body:
                #"{"query":"mutation C($b: String!) { addComment(input: {subjectId: \"I_1\", body: $b}) { clientMutationId } }","variables":{"b":"\#(canary)"}}"#,
            refusal: "possible secret in the request body line 1: the agent's GitHub token (SECRET_SCAN)"),
    ]

    @Test(arguments: writes)
    func eachWriteIsDecidedOnWhatItCarries(_ write: Write) async throws {
        let scenario = try await GhScenario.start(environment: write.environment)
        let result = try await scenario.curl([
            "-X", write.method, "-w", "\n%{http_code}", "http://localhost" + write.path, "-H", "Content-Type: application/json", "--data-binary", write.body,
        ])
        let lines = result.stdout.split(separator: "\n")
        // Lookups are POST /graphql too: a GraphQL write reached GitHub when its own body did.
        let reached = scenario.github.requests.contains {
            $0.method == write.method && $0.uri == write.path && (write.path != "/graphql" || $0.bodyPrefix == Data(write.body.utf8))
        }
        if let refusal = write.refusal {
            #expect(lines.last == "403", "\(result.output)")
            let message = lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["message"] as? String
            #expect(message == refusal, "\(result.output)")
            #expect(!reached, "the write reached GitHub")
            #expect(scenario.agent.auditLog.contains(refusal), "\(scenario.agent.auditLog)")
        } else {
            #expect(lines.last != "403", "\(result.output)")
            #expect(reached, "the write did not reach GitHub: \(result.output)")
        }
        for secret in [Self.key, Self.canary] {
            #expect(!result.output.contains(secret) && !scenario.agent.allOutput.contains(secret), "a secret reached an output")
        }
        scenario.expectNoCanary()
    }

    @Test func ghShowsTheRefusalAsUsual() async throws {
        let scenario = try await GhScenario.start()
        let result = try await scenario.gh([
            "api", "-X", "PUT", "repos/o/app/contents/.github/workflows/ci.yml", "-f", "message=m", "-f", "content=eA==", "-f", "branch=claude/x",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("gh: \(Self.protected) (HTTP 403)"), "\(result.output)")
        #expect(!scenario.github.requests.contains { $0.method == "PUT" })
    }
}
