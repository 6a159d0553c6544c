import AgentPolicy
import Testing

/// `ALLOW_FORCE_PUSH=own` / `ALLOW_BRANCH_DELETE=own`: the agent rewrites and deletes only the
/// branches it created.
struct OwnBranchesTests {
    @Test(arguments: [
        ("true", BranchRewrite.always), ("1", .always), ("YES", .always), ("own", .ownBranches), ("Own", .ownBranches), ("false", .never),
        ("off", .never),
    ])
    func settingValues(_ text: String, _ expected: BranchRewrite) {
        #expect(BranchRewrite(setting: text) == expected)
    }

    @Test(arguments: ["", "mine", "maybe", "own "])
    func otherValuesAreRefused(_ text: String) {
        #expect(BranchRewrite(setting: text) == nil)
    }

    @Test func ownIsTheDefault() {
        #expect(PolicySettings.defaults.allowForcePush == .ownBranches)
        #expect(PolicySettings.defaults.allowBranchDelete == .ownBranches)
    }

    @Test func theSetIsPerRepositoryAndBounded() {
        let own = OwnBranches(capacity: 2)
        #expect(own.insert(branch: "refs/heads/claude/x", repository: "Octo/App"))
        #expect(own.contains(branch: "refs/heads/claude/x", repository: "octo/app"), "repositories compare as GitHub compares them")
        #expect(!own.contains(branch: "refs/heads/Claude/x", repository: "octo/app"), "branch names are case-sensitive")
        #expect(!own.contains(branch: "refs/heads/claude/x", repository: "octo/other"))
        #expect(own.insert(branch: "refs/heads/claude/y", repository: "octo/app"))
        #expect(!own.insert(branch: "refs/heads/claude/z", repository: "octo/app"), "full: a new branch is simply not the agent's")
        #expect(own.remove(branch: "refs/heads/claude/x", repository: "OCTO/app"))
        #expect(!own.contains(branch: "refs/heads/claude/x", repository: "octo/app"), "a deleted branch stops being the agent's")
        #expect(own.entries.map(\.branch) == ["refs/heads/claude/y"])
    }

    @Test func thePlannerSeesOwnership() throws {
        let planner = PushPlanner(policy: RefPolicy(settings: .defaults))
        let refspec = try #require(PushRefspec.parse("+HEAD:refs/heads/claude/x"))
        let old = String(repeating: "a", count: 40)
        let new = String(repeating: "b", count: 40)
        var facts = PushFacts(newID: new, remoteID: old, ancestry: .notFastForward)
        #expect(
            planner.plan([(refspec, facts)])[0].outcome
                == .reject(
                    reason: "force-pushing branch 'claude/x' is not allowed: the agent did not create it (ALLOW_FORCE_PUSH=own)",
                    code: "force-push-disabled"))
        facts.isOwnBranch = true
        #expect(planner.plan([(refspec, facts)])[0].outcome == .push(newID: new))
        let deletion = try #require(PushRefspec.parse(":refs/heads/claude/x"))
        #expect(planner.plan([(deletion, PushFacts(newID: nil, remoteID: old, ancestry: .fastForward))])[0].isRejected)
        var own = PushFacts(newID: nil, remoteID: old, ancestry: .fastForward)
        own.isOwnBranch = true
        #expect(planner.plan([(deletion, own)])[0].outcome == .delete)
    }

    @Test func recreatingSomeoneElsesDeletedBranchMustKeepItsTip() {
        let tip = String(repeating: "a", count: 40)
        let denial = RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: tip, containsDeletedTip: false, settings: .defaults)
        #expect(denial?.message == "re-creating branch 'claude/x' without its earlier tip aaaaaaa would rewrite its history (ALLOW_FORCE_PUSH=own)")
        let open = PolicySettings(blockedBranches: [], allowForcePush: true)
        #expect(RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: tip, containsDeletedTip: false, settings: open) == nil)
    }
}
