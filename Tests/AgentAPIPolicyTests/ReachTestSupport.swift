import AgentAPIPolicy
import AgentPolicy

/// Policies and requests for the reach tests: `o/app` listed, `x/other` not.
enum Reach {
    static let list = RepositoryAllowlist(["o/app", "lib/*"].compactMap { try? RepositoryPattern($0) })

    static func policy(
        allowOtherReads: Bool = true, approve: Bool = false, bases: [String] = [], extraWrites: [String] = [],
        settings: PolicySettings = .defaults, ledger: any BranchLedgerReading = EmptyBranchLedger()
    ) -> APIPolicy {
        APIPolicy(
            refs: RefPolicy(settings: settings),
            settings: APISettings(extraWrites: extraWrites.compactMap { try? APIWritePattern($0) }),
            reach: ReachSettings(
                allowedRepositories: list, allowOtherRepositoryReads: allowOtherReads, allowPullRequestApproval: approve,
                pullRequestBases: bases.compactMap { try? BranchPattern($0) }),
            ledger: ledger)
    }

    static func request(_ method: String, _ path: String, _ body: String? = nil) -> APIRequest {
        APIRequest(method: method, path: path, body: body.flatMap { JSONValue.parse(Array($0.utf8)) })
    }

    static func graphQL(_ query: String, variables: String = "null") -> APIRequest {
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return request("POST", "/graphql", "{\"query\":\"\(escaped)\",\"variables\":\(variables)}")
    }

    /// Facts as the lookups would give them for the fixture's node ids.
    static var facts: APIFacts {
        var facts = APIFacts()
        facts.reach.nodeOwners = [
            "R_app": .repository("o/app"), "R_other": .repository("x/other"), "I_app": .repository("o/app"), "I_other": .repository("x/other"),
            "U_1": .account, "G_1": .unplaced("Gist"), "PR_app": .repository("o/app"), "PR_fork": .repository("o/app"),
            "REF_x": .repository("o/app"), "REF_other": .repository("x/other"),
        ]
        facts.reach.nodeHeadRepositories = ["PR_app": "o/app", "PR_fork": "x/fork"]
        facts.nodes = [
            "PR_app": .pullRequest(number: 1, base: "develop", head: "claude/x"), "PR_fork": .pullRequest(number: 2, base: "develop", head: "feature"),
            "REF_x": .reference(fullName: "refs/heads/claude/x"), "REF_other": .reference(fullName: "refs/heads/claude/x"),
        ]
        facts.reach.refTargets = ["REF_x": String(repeating: "2", count: 40)]
        facts.reach.repositoryNames = ["1": "o/app", "2": "x/other"]
        return facts
    }

    static func denial(_ decision: APIDecision) -> Denial? {
        if case .deny(let denial) = decision { return denial }
        return nil
    }
}

/// A ledger for tests: these branches are the agent's (last set at `ownTips`, by default at
/// `FixedLedger.fixtureTip`, the tip the fixtures' branches have), these deleted tips remembered.
struct FixedLedger: BranchLedgerReading {
    static let fixtureTip = String(repeating: "2", count: 40)

    var own: Set<String> = []
    var tips: [String: String] = [:]
    var ownTips: [String: String] = [:]

    func isOwn(branch: String, repository: String) -> Bool { own.contains(repository.lowercased() + " " + branch) }
    func ownTip(branch: String, repository: String) -> String? {
        let key = repository.lowercased() + " " + branch
        return own.contains(key) ? ownTips[key] ?? Self.fixtureTip : nil
    }
    func deletedTip(branch: String, repository: String) -> String? { tips[repository.lowercased() + " " + branch] }
}
