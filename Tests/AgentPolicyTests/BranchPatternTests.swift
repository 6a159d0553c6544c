import AgentPolicy
import Testing

struct BranchPatternTests {
    struct Match: Sendable, CustomTestStringConvertible {
        let pattern: String
        let branch: String
        let matches: Bool
        var testDescription: String { "\(pattern) ~ \(branch)" }
    }

    @Test(arguments: [
        Match(pattern: "main", branch: "main", matches: true),
        Match(pattern: "main", branch: "Main", matches: false),
        Match(pattern: "refs/heads/main", branch: "main", matches: true),
        Match(pattern: "release/*", branch: "release/1.0", matches: true),
        Match(pattern: "release/*", branch: "release/", matches: true),
        Match(pattern: "release/*", branch: "release/1/2", matches: false),
        Match(pattern: "release/*", branch: "release", matches: false),
        Match(pattern: "claude/**", branch: "claude/a/b", matches: true),
        Match(pattern: "claude/**", branch: "claude", matches: false),
        Match(pattern: "**", branch: "any/thing/at/all", matches: true),
        Match(pattern: "*", branch: "a/b", matches: false),
        Match(pattern: "v?", branch: "v1", matches: true),
        Match(pattern: "v?", branch: "v/", matches: false),
        Match(pattern: "v[0-9]", branch: "v7", matches: true),
        Match(pattern: "v[0-9]", branch: "vx", matches: false),
        Match(pattern: "v[!0-9]", branch: "vx", matches: true),
        Match(pattern: "*-hotfix", branch: "prod-hotfix", matches: true),
        Match(pattern: "a*b*c", branch: "aXbYc", matches: true),
        Match(pattern: "a*b*c", branch: "aXbY", matches: false),
    ])
    func matching(_ example: Match) throws {
        #expect(try BranchPattern(example.pattern).matches(branch: example.branch) == example.matches)
    }

    @Test(arguments: ["", "refs/tags/v*", "feature/[a", "a***", "ma in", "a..b", "x/", "/x", "a:b", "x.lock", "a//b", "[z-a]"])
    func rejectsInvalidPatterns(_ pattern: String) {
        #expect(throws: BranchPatternError.self) { try BranchPattern(pattern) }
    }

    @Test func hostileNameStaysCheap() throws {
        // Backtracking matchers blow up on this; ours is O(pattern × name).
        let pattern = try BranchPattern("*a*a*a*a*a*a*a*a*a*b")
        #expect(!pattern.matches(branch: String(repeating: "a", count: 1000)))
    }
}
