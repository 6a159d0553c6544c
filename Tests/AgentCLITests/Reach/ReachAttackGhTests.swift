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
