import AgentPolicy
import Testing

/// `ALLOW_FORCE_PUSH=false` across a deletion: the deleted tip is remembered, and a re-creation
/// that does not contain it is a force-push.
struct DeletedBranchTipsTests {
    let tip = String(repeating: "a", count: 40)
    let other = String(repeating: "b", count: 40)
    let strict = PolicySettings(blockedBranches: [], allowForcePush: false)

    @Test func remembersPerRepositoryCaseInsensitively() {
        let tips = DeletedBranchTips(capacity: 2)
        #expect(tips.remember(tip: tip, branch: "refs/heads/x", repository: "Octo/App"))
        #expect(tips.tip(branch: "refs/heads/x", repository: "octo/app") == tip)
        #expect(tips.tip(branch: "refs/heads/x", repository: "octo/other") == nil)
        #expect(tips.tip(branch: "refs/heads/X", repository: "octo/app") == nil, "ref names are case-sensitive")
        #expect(tips.remember(tip: other, branch: "refs/heads/x", repository: "octo/app"), "a later deletion replaces the tip")
        #expect(tips.tip(branch: "refs/heads/x", repository: "octo/app") == other)
        #expect(tips.remember(tip: tip, branch: "refs/heads/y", repository: "octo/app"))
        #expect(!tips.remember(tip: tip, branch: "refs/heads/z", repository: "octo/app"), "full: the deletion must be refused")
    }

    @Test func recreationWithoutTheTipIsAForcePush() {
        let denial = RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: tip, containsDeletedTip: false, settings: strict)
        #expect(denial?.code == .forcePushDisabled)
        #expect(denial?.message == "re-creating branch 'claude/x' without its earlier tip aaaaaaa would rewrite its history (ALLOW_FORCE_PUSH=false)")
        #expect(RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: tip, containsDeletedTip: true, settings: strict) == nil)
        #expect(RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: nil, containsDeletedTip: false, settings: strict) == nil)
        let open = PolicySettings(blockedBranches: [], allowForcePush: true)
        #expect(RecreationRule.decide(branch: "refs/heads/claude/x", deletedTip: tip, containsDeletedTip: false, settings: open) == nil)
        #expect(RecreationRule.decide(branch: "refs/tags/v1", deletedTip: tip, containsDeletedTip: false, settings: strict) == nil)
    }

    @Test func thePlannerAppliesIt() throws {
        let planner = PushPlanner(policy: RefPolicy(settings: strict))
        let refspec = try #require(PushRefspec.parse("HEAD:refs/heads/claude/x"))
        let refused = planner.plan([(refspec, PushFacts(newID: other, remoteID: nil, ancestry: .fastForward, deletedTip: tip))])
        #expect(
            refused[0].outcome
                == .reject(
                    reason: "re-creating branch 'claude/x' without its earlier tip aaaaaaa would rewrite its history (ALLOW_FORCE_PUSH=false)",
                    code: "force-push-disabled"))
        let grown = planner.plan([(refspec, PushFacts(newID: other, remoteID: nil, ancestry: .fastForward, deletedTip: tip, containsDeletedTip: true))])
        #expect(grown[0].outcome == .push(newID: other))
        let atomic = planner.plan(
            [
                (refspec, PushFacts(newID: other, remoteID: nil, ancestry: .fastForward, deletedTip: tip)),
                (try #require(PushRefspec.parse("HEAD:refs/heads/y")), PushFacts(newID: other, remoteID: nil, ancestry: .fastForward)),
            ],
            isAtomic: true)
        #expect(atomic[1].outcome == .reject(reason: "atomic push failed", code: "atomic-push-failed"))
    }
}
