import AgentTestSupport
import Foundation
import Testing

/// The session's branches through the API, as through git: a branch the API created is the
/// agent's (it may then delete it), deleting someone else's branch records its tip first (looked
/// up), and re-creating it must keep that tip (GitHub's compare).
struct BranchLifecycleGhTests {
    static let tip = String(repeating: "2", count: 40)
    static let ahead = String(repeating: "5", count: 40)
    static let diverged = String(repeating: "6", count: 40)

    @Test func aBranchCreatedThroughTheAPIIsTheAgents() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#])
        let refused = try await scenario.gh(["api", "-X", "DELETE", "repos/o/app/git/refs/heads/claude/made-by-api"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("the agent did not create it (ALLOW_BRANCH_DELETE=own)"), "\(refused.output)")

        let created = try await scenario.gh([
            "api", "-X", "POST", "repos/o/app/git/refs", "-f", "ref=refs/heads/claude/made-by-api", "-f", "sha=\(String(repeating: "4", count: 40))",
        ])
        #expect(created.status == 0, "\(created.output)")
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("the agent's own branches: 1 (o/app refs/heads/claude/made-by-api)"), "\(status.output)")

        let deleted = try await scenario.gh(["api", "-X", "DELETE", "repos/o/app/git/refs/heads/claude/made-by-api"])
        #expect(deleted.status == 0, "the agent created it: \(deleted.output)")
        let after = try await scenario.agent.status()
        #expect(after.stdout.contains("the agent's own branches: 0"), "a deleted branch stops being the agent's: \(after.output)")
        scenario.expectNoCanary()
    }

    @Test func deletingAndRecreatingSomeoneElsesBranchThroughTheAPI() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOWED_REPOS": #"["o/app"]"#, "ALLOW_BRANCH_DELETE": "true"])
        let deleted = try await scenario.gh(["api", "-X", "DELETE", "repos/o/app/git/refs/heads/claude/x"])
        #expect(deleted.status == 0, "\(deleted.output)")
        let requests = scenario.github.requests.map { "\($0.method) \($0.uri)" }
        let lookup = try #require(requests.firstIndex(of: "GET /repos/o/app/git/ref/heads/claude/x"), "the tip is looked up: \(requests)")
        let deletion = try #require(requests.firstIndex(of: "DELETE /repos/o/app/git/refs/heads/claude/x"))
        #expect(lookup < deletion, "and recorded before the deletion is forwarded")

        let rewrite = try await scenario.gh(["api", "-X", "POST", "repos/o/app/git/refs", "-f", "ref=refs/heads/claude/x", "-f", "sha=\(Self.diverged)"])
        #expect(rewrite.status != 0)
        #expect(
            rewrite.stderr.contains("re-creating branch 'claude/x' without its earlier tip 2222222 would rewrite its history (ALLOW_FORCE_PUSH=own)"),
            "\(rewrite.output)")
        #expect(!scenario.github.requests.contains { $0.method == "POST" && $0.uri == "/repos/o/app/git/refs" })

        let grown = try await scenario.gh(["api", "-X", "POST", "repos/o/app/git/refs", "-f", "ref=refs/heads/claude/x", "-f", "sha=\(Self.ahead)"])
        #expect(grown.status == 0, "a re-creation that keeps the tip passes: \(grown.output)")
        let status = try await scenario.agent.status()
        #expect(status.stdout.contains("the agent's own branches: 0"), "it stays someone else's: \(status.output)")

        // The same through GraphQL: deleteRef of a ref node records its target.
        let graphQL = try await scenario.gh([
            "api", "graphql", "-f", #"query=mutation DeleteRef { deleteRef(input: {refId: "REF_claude_x"}) { clientMutationId } }"#,
        ])
        #expect(graphQL.status == 0, "\(graphQL.output)")
    }
}
