import AgentTestSupport
import Foundation
import Testing

/// PROTECTED_PATHS on pushes through real git: every way a commit can touch a workflow is
/// refused for its ref, natively; what the upstream already has is not a change.
struct ProtectedPathsTests {
    static let ci = ".github/workflows/ci.yml"

    struct Touch: Sendable, CustomTestStringConvertible {
        let name: String
        /// The path the refusal names.
        let path: String
        let make: @Sendable (ContentScenario) async throws -> Void
        var testDescription: String { name }
    }

    static let touches: [Touch] = [
        Touch(name: "add", path: ".github/workflows/new.yml") { scenario in
            try scenario.write(".github/workflows/new.yml", "on: push\n")
            try await scenario.commitAll("add a workflow")
        },
        Touch(name: "modify", path: ci) { scenario in
            try scenario.write(ci, "on: workflow_dispatch\n")
            try await scenario.commitAll("modify the workflow")
        },
        Touch(name: "delete", path: ci) { scenario in
            try await scenario.run("rm", "-q", ci)
            try await scenario.commitAll("delete the workflow")
        },
        Touch(name: "rename out of the folder", path: ci) { scenario in
            try await scenario.run("mv", ci, "docs/ci.yml")
            try await scenario.commitAll("move the workflow away")
        },
        Touch(name: "rename into the folder", path: ".github/workflows/guide.yml") { scenario in
            try await scenario.run("mv", "docs/guide.md", ".github/workflows/guide.yml")
            try await scenario.commitAll("move a file among the workflows")
        },
        Touch(name: "an unrelated history (a root commit carries every path)", path: ".github/actions/setup/action.yml") { scenario in
            try await scenario.run("checkout", "-q", "--orphan", "fresh")
            try await scenario.commitAll("start over, workflows included")
        },
        Touch(name: "mode change", path: ci) { scenario in
            try await scenario.run("update-index", "--chmod=+x", ci)
            try await scenario.run("commit", "-q", "-m", "make the workflow executable")
        },
        Touch(name: "symlink", path: ".github/workflows/link.yml") { scenario in
            try FileManager.default.createSymbolicLink(atPath: scenario.work + "/.github/workflows/link.yml", withDestinationPath: "../../docs/guide.md")
            try await scenario.commitAll("link a workflow")
        },
        Touch(name: "submodule (gitlink)", path: ".github/actions/sub") { scenario in
            let commit = try await scenario.run("rev-parse", "HEAD")
            try await scenario.run("update-index", "--add", "--cacheinfo", "160000,\(commit),.github/actions/sub")
            try await scenario.run("commit", "-q", "-m", "a submodule among the actions")
        },
        Touch(name: "a link where the workflows folder was", path: ".github/workflows") { scenario in
            try await scenario.run("rm", "-q", "-r", ".github/workflows")
            try FileManager.default.createSymbolicLink(atPath: scenario.work + "/.github/workflows", withDestinationPath: "../docs")
            try await scenario.commitAll("workflows elsewhere")
        },
        Touch(name: "in a middle commit, undone later", path: ".github/workflows/x.yml") { scenario in
            try scenario.write(".github/workflows/x.yml", "on: push\n")
            try await scenario.commitAll("add")
            try await scenario.run("rm", "-q", ".github/workflows/x.yml")
            try await scenario.commitAll("remove again")
            try scenario.write("docs/guide.md", "More documentation.\n")
            try await scenario.commitAll("unrelated")
        },
        Touch(name: "a merge commit that edits the workflow itself", path: ci) { scenario in
            try await scenario.run("checkout", "-q", "-b", "side")
            try scenario.write("docs/side.md", "side\n")
            try await scenario.commitAll("side work")
            try await scenario.run("checkout", "-q", "-b", "claude/x", "origin/main")
            try scenario.write("docs/main.md", "main\n")
            try await scenario.commitAll("main work")
            try await scenario.run("merge", "-q", "--no-ff", "--no-commit", "side")
            try scenario.write(ci, "on: workflow_dispatch\n")
            try await scenario.commitAll("merge side, and edit the workflow")
        },
        Touch(name: "a merge that keeps a stale parent's copy (undoing the upstream's change)", path: ci) { scenario in
            // The upstream's feature branch changed the workflow; a hand-made merge of main into
            // it takes main's older copy: equal to a parent, yet a change of the workflow.
            try scenario.write(ci, "on: [push]\n# hardened\n")
            try await scenario.commitAll("harden the workflow")
            try await scenario.pushDirectly("HEAD:refs/heads/feature")
            try await scenario.run("fetch", "-q", "origin")
            let tree = try await scenario.run("rev-parse", "origin/main^{tree}")
            let merge = try await scenario.run("commit-tree", tree, "-p", "origin/feature", "-p", "origin/main", "-m", "merge main")
            try await scenario.run("reset", "-q", "--hard", merge)
        },
    ]

    @Test(arguments: touches)
    func eachWayToTouchAProtectedPathIsRefused(_ touch: Touch) async throws {
        let scenario = try await ContentScenario.start()
        try await touch.make(scenario)
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", ContentScenario.protected(touch.path))
        #expect(scenario.git.agent.auditLog.contains("refs/heads/claude/x: \(ContentScenario.protected(touch.path))"))
    }

    @Test func mergingTheUpstreamsOwnBranchThatChangedAWorkflowIsNotAChange() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write(Self.ci, "on: [push]\n# changed upstream\n")
        try await scenario.commitAll("the upstream changes its workflow")
        try await scenario.pushDirectly("HEAD:refs/heads/upstream-work")
        try await scenario.run("checkout", "-q", "-b", "claude/x", "origin/main")
        try scenario.write("docs/mine.md", "mine\n")
        try await scenario.commitAll("my work")
        try await scenario.run("fetch", "-q", "origin")
        try await scenario.run("merge", "-q", "--no-edit", "origin/upstream-work")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectLanded(result, "claude/x")
    }

    /// A fork's pull request lives in the upstream under refs/pull/N/head: not on any branch, so
    /// pushing its commit to a branch is judged like any new commit.
    @Test func aCommitOnlyAPullRequestRefHoldsIsNew() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write(Self.ci, "on: push\njobs: {exfiltrate: {}}\n")
        try await scenario.commitAll("a workflow from a fork")
        try await scenario.pushDirectly("HEAD:refs/pull/1/head")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", ContentScenario.protected(Self.ci))
    }

    @Test func anotherLetterCaseIsAnotherPathAndLands() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write(".GitHub/workflows/ci.yml", "on: push\n")
        try await scenario.commitAll("not a workflow for GitHub")
        try await scenario.expectLanded(try await scenario.push("origin", "HEAD:claude/x"), "claude/x")
    }

    @Test func onlyTheRefThatTouchesThePathIsRefusedUnlessAtomic() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write("docs/guide.md", "Better documentation.\n")
        let clean = try await scenario.commitAll("docs")
        try scenario.write(Self.ci, "on: workflow_dispatch\n")
        try await scenario.commitAll("workflow")
        let atomic = try await scenario.push("--atomic", "origin", "HEAD~1:refs/heads/claude/docs", "HEAD:claude/x")
        try await scenario.expectRefused(atomic, source: "HEAD~1", "claude/docs", "atomic push failed")
        let result = try await scenario.push("origin", "HEAD~1:refs/heads/claude/docs", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", ContentScenario.protected(Self.ci))
        #expect(try await scenario.serverRef("refs/heads/claude/docs") == clean)
    }

    @Test func aTagAtACommitThatChangesAWorkflowIsRefusedLikeABranch() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write(Self.ci, "on: workflow_dispatch\n")
        try await scenario.commitAll("workflow")
        try await scenario.run("tag", "-a", "v9", "-m", "release")
        let result = try await scenario.push("origin", "v9", "HEAD:refs/tags/v9-light")
        #expect(result.stderr.contains("! [remote rejected] v9 -> v9 (\(ContentScenario.protected(Self.ci)))"), "\(result.output)")
        #expect(result.stderr.contains("! [remote rejected] HEAD -> v9-light (\(ContentScenario.protected(Self.ci)))"), "\(result.output)")
        #expect(try await scenario.serverRef("refs/tags/v9") == nil)
        #expect(try await scenario.serverRef("refs/tags/v9-light") == nil)
    }

    @Test func theDefaultsProtectWorkflowsAndActionsAndStatusSaysSo() async throws {
        let scenario = try await ContentScenario.start()
        let status = try await scenario.git.agent.status()
        #expect(status.stdout.contains("protected paths: .github/workflows/**, .github/actions/**"), "\(status.output)")
        #expect(status.stdout.contains("secret scan: block"), "\(status.output)")
        let json = try await scenario.git.agent.status(["--json"])
        #expect(json.stdout.contains(#""policy_protected_paths":[".github/workflows/**",".github/actions/**"]"#), "\(json.output)")
        #expect(json.stdout.contains(#""policy_secret_scan":"block""#), "\(json.output)")
    }

    @Test func anEmptyListTurnsTheRuleOff() async throws {
        let scenario = try await ContentScenario.start(environment: ["PROTECTED_PATHS": "[]"])
        try scenario.write(Self.ci, "on: workflow_dispatch\n")
        try await scenario.commitAll("workflow")
        try await scenario.expectLanded(try await scenario.push("origin", "HEAD:claude/x"), "claude/x")
        let status = try await scenario.git.agent.status()
        #expect(status.stdout.contains("protected paths: none"), "\(status.output)")
    }

    @Test func otherPatternsProtectOtherPathsAndStatusListsThem() async throws {
        let scenario = try await ContentScenario.start(environment: ["PROTECTED_PATHS": #"["docs/**","Makefile"]"#])
        try scenario.write(Self.ci, "on: workflow_dispatch\n")
        try await scenario.commitAll("workflow")
        try await scenario.expectLanded(try await scenario.push("origin", "HEAD:claude/ok"), "claude/ok")
        try scenario.write("docs/guide.md", "changed\n")
        try await scenario.commitAll("docs")
        try await scenario.expectRefused(try await scenario.push("origin", "HEAD:claude/x"), "claude/x", ContentScenario.protected("docs/guide.md"))
        let status = try await scenario.git.agent.status()
        #expect(status.stdout.contains("protected paths: docs/**, Makefile"), "\(status.output)")
        let json = try await scenario.git.agent.status(["--json"])
        #expect(json.stdout.contains(#""policy_protected_paths":["docs/**","Makefile"]"#), "\(json.output)")
    }
}
