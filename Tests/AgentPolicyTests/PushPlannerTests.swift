import AgentPolicy
import Testing

struct PushPlannerTests {
    /// Force-pushes and deletions open, so that these tests see the planner's own rules
    /// (`own`, the default, is in OwnBranchesTests).
    let planner = PushPlanner(
        policy: RefPolicy(settings: PolicySettings(blockedBranches: PolicySettings.defaults.blockedBranches, allowForcePush: true, allowBranchDelete: true)))
    let old = String(repeating: "a", count: 40)
    let new = String(repeating: "b", count: 40)

    func facts(new newID: String?, remote: String?, _ ancestry: PushFacts.Ancestry = .fastForward) -> PushFacts {
        PushFacts(newID: newID, remoteID: remote, ancestry: ancestry)
    }

    func refspec(_ text: String) throws -> PushRefspec { try #require(PushRefspec.parse(text)) }

    @Test func parsesRefspecs() throws {
        #expect(try refspec("+HEAD:refs/heads/x") == PushRefspec(source: "HEAD", destination: "refs/heads/x", isForceRequested: true))
        #expect(try refspec(":refs/heads/x") == PushRefspec(source: nil, destination: "refs/heads/x", isForceRequested: false))
        #expect(try refspec("a:b:c").source == "a:b")
        #expect(PushRefspec.parse("main") == nil)
        #expect(PushRefspec.parse("HEAD:") == nil)
    }

    @Test func createsUpdatesAndDeletes() throws {
        let plan = planner.plan([
            (try refspec("HEAD:refs/heads/x"), facts(new: new, remote: nil)),
            (try refspec("HEAD:refs/heads/y"), facts(new: new, remote: old)),
            (try refspec(":refs/heads/z"), facts(new: nil, remote: old)),
            (try refspec("HEAD:refs/heads/same"), facts(new: new, remote: new)),
        ])
        #expect(plan.map(\.outcome) == [.push(newID: new), .push(newID: new), .delete, .upToDate])
        #expect(plan.map(\.update?.change) == [.create, .update, .delete, nil])
    }

    @Test func nonFastForwardNeedsForceAndThenThePolicy() throws {
        let refused = planner.plan([(try refspec("HEAD:refs/heads/x"), facts(new: new, remote: old, .notFastForward))])
        #expect(refused[0].outcome == .reject(reason: "non-fast forward", code: "non-fast-forward"))
        let missing = planner.plan([(try refspec("HEAD:refs/heads/x"), facts(new: new, remote: old, .remoteObjectMissing))])
        #expect(missing[0].outcome == .reject(reason: "fetch first", code: "non-fast-forward"))
        let forced = planner.plan([(try refspec("+HEAD:refs/heads/x"), facts(new: new, remote: old, .notFastForward))])
        #expect(forced[0].outcome == .push(newID: new))
        #expect(forced[0].update?.isForced == true)
        let strict = PushPlanner(policy: RefPolicy(settings: PolicySettings(blockedBranches: [], allowForcePush: false)))
        let denied = strict.plan([(try refspec("+HEAD:refs/heads/x"), facts(new: new, remote: old, .notFastForward))])
        #expect(denied[0].outcome == .reject(reason: "force-pushing branch 'x' is not allowed (ALLOW_FORCE_PUSH=false)", code: "force-push-disabled"))
        let plusOnFastForward = strict.plan([(try refspec("+HEAD:refs/heads/x"), facts(new: new, remote: old))])
        #expect(plusOnFastForward[0].outcome == .push(newID: new), "a + on a fast-forward is not a force-push")
    }

    @Test func leasesAreCheckedAgainstTheRemote() throws {
        let matching = planner.plan([(try refspec("HEAD:refs/heads/x"), facts(new: new, remote: old, .notFastForward))], leases: ["refs/heads/x": old])
        #expect(matching[0].outcome == .push(newID: new), "a matching lease allows the rewrite")
        let stale = planner.plan([(try refspec("+HEAD:refs/heads/x"), facts(new: new, remote: old))], leases: ["refs/heads/x": new])
        #expect(stale[0].outcome == .reject(reason: "stale info", code: "stale-lease"))
        let mustNotExist = planner.plan([(try refspec("HEAD:refs/heads/x"), facts(new: new, remote: old))], leases: ["refs/heads/x": ""])
        #expect(mustNotExist[0].outcome == .reject(reason: "stale info", code: "stale-lease"))
        let absent = planner.plan(
            [(try refspec("HEAD:refs/heads/x"), facts(new: new, remote: nil))], leases: ["refs/heads/x": String(repeating: "0", count: 40)])
        #expect(absent[0].outcome == .push(newID: new))
    }

    @Test func policyDecidesOnTheNormalisedDestination() throws {
        for destination in ["main", "heads/main", "refs/heads/main"] {
            let plan = planner.plan([(try refspec("HEAD:\(destination)"), facts(new: new, remote: old))])
            #expect(plan[0].fullName == "refs/heads/main")
            #expect(plan[0].outcome == .reject(reason: "branch 'main' is protected (BLOCKED_BRANCHES)", code: "branch-protected"))
        }
        let invalid = planner.plan([(try refspec("HEAD:refs/heads//main"), facts(new: new, remote: nil))])
        #expect(invalid[0].outcome == .reject(reason: "'refs/heads//main' is not a valid ref name (it contains '//')", code: "ref-invalid"))
    }

    @Test func atomicRefusesEverythingWhenOneIsRefused() throws {
        let plan = planner.plan(
            [(try refspec("HEAD:refs/heads/ok"), facts(new: new, remote: nil)), (try refspec("HEAD:refs/heads/main"), facts(new: new, remote: old))],
            isAtomic: true
        )
        #expect(plan[0].outcome == .reject(reason: "atomic push failed", code: "atomic-push-failed"))
        #expect(plan[1].outcome == .reject(reason: "branch 'main' is protected (BLOCKED_BRANCHES)", code: "branch-protected"))
    }

    @Test func theSameDestinationTwiceIsRefused() throws {
        let plan = planner.plan([
            (try refspec("HEAD:refs/heads/x"), facts(new: new, remote: nil)), (try refspec("HEAD:x"), facts(new: new, remote: nil)),
        ])
        #expect(plan[0].outcome == .push(newID: new))
        #expect(plan[1].outcome == .reject(reason: "'refs/heads/x' is named twice in one push", code: "duplicate-destination"))
    }

    @Test func unresolvableSourcesAreReported() throws {
        let plan = planner.plan([
            (
                try refspec("nope:refs/heads/x"),
                PushFacts(newID: nil, sourceProblem: "src refspec nope does not match any", remoteID: nil, ancestry: .fastForward)
            )
        ])
        #expect(plan[0].outcome == .reject(reason: "src refspec nope does not match any", code: "source-not-found"))
    }
}
