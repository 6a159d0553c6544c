import AgentAPIPolicy
import AgentPolicy
import Testing

/// The API side of the session's branches: deletions record the tip of someone else's branch
/// (looked up first), re-creations of a remembered branch must contain it (GitHub's compare),
/// creations are confirmed by GitHub's answer.
struct APIBranchChangesTests {
    let tip = String(repeating: "2", count: 40)
    let ahead = String(repeating: "5", count: 40)
    let diverged = String(repeating: "6", count: 40)

    @Test func deletingSomeoneElsesBranchLooksUpItsTipFirst() {
        let policy = Reach.policy(settings: PolicySettings(blockedBranches: [], allowBranchDelete: true))
        let delete = Reach.request("DELETE", "/repos/o/app/git/refs/heads/claude/x")
        #expect(policy.decide(delete) == .allow)
        #expect(policy.decideBranchChanges(delete, facts: APIFacts()) == .needs([.reach(.branchTip(repository: "o/app", branch: "refs/heads/claude/x"))]))
        var facts = APIFacts()
        facts.reach.setBranchTip(tip, repository: "o/app", branch: "refs/heads/claude/x")
        #expect(
            policy.decideBranchChanges(delete, facts: facts)
                == .changes([APIBranchChange(repository: "o/app", branch: "refs/heads/claude/x", kind: .deletion(tip: tip), wasOwn: false)]))
    }

    @Test func deletingTheAgentsOwnBranchNeedsNoTip() {
        let policy = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"]))
        let delete = Reach.request("DELETE", "/repos/O/App/git/refs/heads/claude/x")
        #expect(policy.decide(delete) == .needs([.reach(.branchTip(repository: "O/App", branch: "refs/heads/claude/x"))]), "is it still at the agent's tip?")
        var facts = APIFacts()
        facts.reach.setBranchTip(FixedLedger.fixtureTip, repository: "O/App", branch: "refs/heads/claude/x")
        #expect(policy.decide(delete, facts: facts) == .allow, "own: the agent created it and it holds the agent's tip")
        #expect(
            policy.decideBranchChanges(delete, facts: facts)
                == .changes([APIBranchChange(repository: "O/App", branch: "refs/heads/claude/x", kind: .deletion(tip: nil), wasOwn: true)]))
        #expect(Reach.denial(Reach.policy().decide(delete))?.code == .branchDeleteDisabled, "not the agent's: refused")
    }

    @Test func recreatingARememberedBranchMustContainItsTip() {
        let policy = Reach.policy(ledger: FixedLedger(tips: ["o/app refs/heads/claude/x": tip]))
        func create(_ sha: String) -> APIRequest {
            Reach.request("POST", "/repos/o/app/git/refs", #"{"ref":"refs/heads/claude/x","sha":"\#(sha)"}"#)
        }
        let lookup = ReachLookup.containment(repository: "o/app", ancestor: tip, descendant: diverged)
        #expect(policy.decideBranchChanges(create(diverged), facts: APIFacts()) == .needs([.reach(lookup)]))
        var facts = APIFacts()
        facts.reach.containments[lookup] = false
        guard case .deny(let denial) = policy.decideBranchChanges(create(diverged), facts: facts) else {
            Issue.record("a re-creation without the tip must be refused")
            return
        }
        #expect(denial.message == "re-creating branch 'claude/x' without its earlier tip 2222222 would rewrite its history (ALLOW_FORCE_PUSH=own)")
        facts.reach.containments[.containment(repository: "o/app", ancestor: tip, descendant: ahead)] = true
        #expect(
            policy.decideBranchChanges(create(ahead), facts: facts)
                == .changes([APIBranchChange(repository: "o/app", branch: "refs/heads/claude/x", kind: .creation(confirmedBy: .unconfirmable), wasOwn: false)]),
            "it stays someone else's")
        #expect(Reach.denial(policy.decide(create("../../x"))) == nil)
        guard case .deny = policy.decideBranchChanges(create("../../x?y"), facts: facts) else {
            Issue.record("a commit that is no object id must not reach a lookup path")
            return
        }
    }

    @Test func aNewBranchIsConfirmedByTheAnswer() {
        let create = Reach.request("POST", "/repositories/1/git/refs", #"{"ref":"refs/heads/claude/new","sha":"\#(ahead)"}"#)
        #expect(
            Reach.policy().decideBranchChanges(create, facts: Reach.facts)
                == .changes([
                    APIBranchChange(repository: "o/app", branch: "refs/heads/claude/new", kind: .creation(confirmedBy: .status(201)), wasOwn: false, tip: ahead)
                ]))
        let graphQL = Reach.graphQL(
            #"mutation { made: createRef(input: {repositoryId: "R_app", name: "refs/heads/claude/new", oid: "\#(ahead)"}) { ref { id } } }"#)
        #expect(
            Reach.policy().decideBranchChanges(graphQL, facts: Reach.facts)
                == .changes([
                    APIBranchChange(
                        repository: "o/app", branch: "refs/heads/claude/new", kind: .creation(confirmedBy: .graphQLField(key: "made")), wasOwn: false,
                        tip: ahead)
                ]))
    }

    @Test func renamingLooksUpTheOldTip() {
        let policy = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"]))
        let rename = Reach.request("POST", "/repos/o/app/branches/claude/x/rename", #"{"new_name":"claude/y"}"#)
        #expect(policy.decide(rename) == .needs([.reach(.branchTip(repository: "o/app", branch: "refs/heads/claude/x"))]))
        #expect(policy.decideBranchChanges(rename, facts: APIFacts()) == .needs([.reach(.branchTip(repository: "o/app", branch: "refs/heads/claude/x"))]))
        var facts = APIFacts()
        facts.reach.setBranchTip(tip, repository: "o/app", branch: "refs/heads/claude/x")
        #expect(policy.decide(rename, facts: facts) == .allow)
        guard case .changes(let changes) = policy.decideBranchChanges(rename, facts: facts) else {
            Issue.record("expected changes")
            return
        }
        #expect(changes.map(\.branch) == ["refs/heads/claude/x", "refs/heads/claude/y"])
        #expect(changes.last?.kind == .creation(confirmedBy: .status(201)), "the agent's branch, renamed, is still the agent's")
        let theirs = Reach.policy(settings: PolicySettings(blockedBranches: [], allowBranchDelete: true))
        guard case .changes(let renamed) = theirs.decideBranchChanges(rename, facts: facts) else {
            Issue.record("expected changes")
            return
        }
        #expect(renamed.last?.kind == .creation(confirmedBy: .unconfirmable), "someone else's branch, renamed, stays theirs")
    }

    @Test func graphQLDeletionsUseTheRefsTarget() {
        let policy = Reach.policy(settings: PolicySettings(blockedBranches: [], allowBranchDelete: true))
        let delete = Reach.graphQL(#"mutation { deleteRef(input: {refId: "REF_x"}) { clientMutationId } }"#)
        #expect(
            policy.decideBranchChanges(delete, facts: Reach.facts)
                == .changes([APIBranchChange(repository: "o/app", branch: "refs/heads/claude/x", kind: .deletion(tip: tip), wasOwn: false)]))
    }

    /// The tip rule of a git push, on the API: a branch in the ledger is the agent's only while
    /// GitHub's tip is the agent's last one or descends from it (GitHub's compare).
    @Test func aBranchRecreatedElsewhereIsNotTheAgents() {
        let policy = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"]))
        let forced = Reach.request("PATCH", "/repos/o/app/git/refs/heads/claude/x", #"{"sha":"\#(diverged)","force":true}"#)
        let delete = Reach.request("DELETE", "/repos/o/app/git/refs/heads/claude/x")
        let tipLookup = APILookup.reach(.branchTip(repository: "o/app", branch: "refs/heads/claude/x"))
        #expect(policy.decide(forced) == .needs([tipLookup]))
        var facts = APIFacts()
        facts.reach.setBranchTip(diverged, repository: "o/app", branch: "refs/heads/claude/x")
        let compare = ReachLookup.containment(repository: "o/app", ancestor: tip, descendant: diverged)
        #expect(policy.decide(forced, facts: facts) == .needs([.reach(compare)]))
        facts.reach.containments[compare] = false
        #expect(
            Reach.denial(policy.decide(forced, facts: facts))?.message
                == "force-pushing branch 'claude/x' is not allowed: the agent did not create it (ALLOW_FORCE_PUSH=own)")
        #expect(
            Reach.denial(policy.decide(delete, facts: facts))?.message
                == "deleting branch 'claude/x' is not allowed: the agent did not create it (ALLOW_BRANCH_DELETE=own)")
        facts.reach.containments[compare] = true
        #expect(policy.decide(forced, facts: facts) == .allow, "the agent's branch, grown by someone else, is still the agent's")
        facts.reach.setBranchTip(nil, repository: "o/app", branch: "refs/heads/claude/x")
        #expect(Reach.denial(policy.decide(delete, facts: facts))?.code == .branchDeleteDisabled, "a branch that is gone is not the agent's")
        let unknownTip = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"], ownTips: ["o/app refs/heads/claude/x": ""]))
        #expect(Reach.denial(unknownTip.decide(forced))?.code == .forcePushDisabled, "an unknown tip is not the agent's, and nothing is looked up")
        let fastForward = Reach.request("PATCH", "/repos/o/app/git/refs/heads/claude/x", #"{"sha":"\#(ahead)"}"#)
        #expect(policy.decide(fastForward) == .allow, "a fast-forward needs no ownership, and no lookup")
    }

    @Test func graphQLForcedUpdatesOfARecreatedBranchAreRefused() {
        let policy = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"]))
        var facts = Reach.facts
        facts.reach.setBranchTip(diverged, repository: "o/app", branch: "refs/heads/claude/x")
        facts.reach.containments[.containment(repository: "o/app", ancestor: tip, descendant: diverged)] = false
        for mutation in [
            #"mutation { updateRefs(input: {repositoryId: "R_app", refUpdates: [{name: "refs/heads/claude/x", afterOid: "\#(ahead)", force: true}]}) { clientMutationId } }"#,
            #"mutation { updateRef(input: {refId: "REF_x", oid: "\#(ahead)", force: true}) { clientMutationId } }"#,
        ] {
            #expect(Reach.denial(policy.decide(Reach.graphQL(mutation), facts: facts))?.code == .forcePushDisabled, "\(mutation)")
        }
        let delete = Reach.graphQL(#"mutation { deleteRef(input: {refId: "REF_x"}) { clientMutationId } }"#)
        #expect(Reach.denial(policy.decide(delete, facts: facts))?.code == .branchDeleteDisabled)
        facts.reach.setBranchTip(tip, repository: "o/app", branch: "refs/heads/claude/x")
        #expect(policy.decide(delete, facts: facts) == .allow, "untouched: still the agent's")
    }

    @Test func aForcedUpdateOfTheAgentsBranchKeepsItsNewTip() {
        let policy = Reach.policy(ledger: FixedLedger(own: ["o/app refs/heads/claude/x"]))
        let forced = Reach.request("PATCH", "/repos/o/app/git/refs/heads/claude/x", #"{"sha":"\#(diverged)","force":true}"#)
        var facts = APIFacts()
        facts.reach.setBranchTip(tip, repository: "o/app", branch: "refs/heads/claude/x")
        let change = APIBranchChange(repository: "o/app", branch: "refs/heads/claude/x", kind: .update(confirmedBy: .status(200)), wasOwn: true, tip: diverged)
        #expect(policy.decideBranchChanges(forced, facts: facts) == .changes([change]))
        let answer = JSONValue.parse(Array(#"{"ref":"refs/heads/claude/x","object":{"sha":"\#(ahead)"}}"#.utf8))
        #expect(change.answeredTip(answer) == ahead, "GitHub's answer names the tip")
        #expect(change.answeredTip(JSONValue.parse(Array(#"{"ref":"refs/heads/other","object":{"sha":"\#(ahead)"}}"#.utf8))) == nil)
        let theirs = Reach.policy(settings: PolicySettings(blockedBranches: [], allowForcePush: true))
        #expect(theirs.decideBranchChanges(forced, facts: facts) == .changes([]), "someone else's branch has no tip to keep")
    }
}
