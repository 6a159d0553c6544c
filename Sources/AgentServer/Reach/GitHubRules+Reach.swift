import AgentAPIPolicy
import AgentPolicy
import AgentSystem
import NIOCore

/// The session's branches on gh.sock: what an allowed write deletes is recorded before it is
/// forwarded (the tip of someone else's branch, or the end of the agent's ownership); what it
/// creates becomes the agent's once GitHub's answer confirms it; re-creating a remembered branch
/// must keep its tip (`APIPolicy.decideBranchChanges`).
extension GitHubRules {
    func branchChanges(_ request: ScreenedRequest, body: ByteBuffer?, apiRequest: APIRequest, facts: APIFacts, round: Int) -> ForwardingVerdict {
        guard let ledger else { return .allow }
        switch policy.decideBranchChanges(apiRequest, facts: facts) {
        case .deny(let denial):
            return .refuse(.denied(denial), code: denial.code.rawValue)
        case .needs where round >= Self.maximumLookupRounds:
            return .refuse(ProxyReply(status: .forbidden, message: "the agent could not settle what this request changes"), code: "undecided")
        case .needs(let lookups):
            let resolver = UpstreamLookups(github: github, base: target.api)
            return .lookUp {
                var learned = facts
                do throws(ProxyFailure) {
                    try await resolver.resolve(lookups, into: &learned)
                } catch {
                    return .refuse(error.reply, code: "lookup-failed")
                }
                return decide(request, body: body, facts: learned, round: round + 1)
            }
        case .changes(let changes):
            // Creations and forced updates of the agent's branches: recorded, with the new tip,
            // once GitHub's answer confirms them.
            let confirmable = changes.filter {
                switch $0.kind {
                case .creation(let confirmation), .update(let confirmation): return confirmation != .unconfirmable
                case .deletion: return false
                }
            }
            let allowed: ForwardingVerdict =
                confirmable.isEmpty
                ? .allow
                : .allowObserving { status, body in
                    let answer = JSONValue.parse(body)
                    for change in confirmable {
                        let tip = change.answeredTip(answer) ?? change.tip
                        switch change.kind {
                        case .creation(let confirmation) where Self.confirms(confirmation, status: status, answer: answer):
                            ledger.recordCreation(branch: change.branch, repository: change.repository, tip: tip)
                        case .update(let confirmation) where Self.confirms(confirmation, status: status, answer: answer):
                            if let tip { ledger.recordTip(branch: change.branch, repository: change.repository, tip: tip) }
                        default:
                            continue
                        }
                    }
                }
            let deletions = changes.filter {
                if case .deletion = $0.kind { return true }
                return false
            }
            guard !deletions.isEmpty else { return allowed }
            // Recorded (written to the state file) before anything is forwarded, off the event loop.
            return .lookUp {
                for change in deletions {
                    guard case .deletion(let tip) = change.kind else { continue }
                    if let refusal = ledger.recordDeletion(branch: change.branch, repository: change.repository, tip: tip) {
                        return .refuse(ProxyReply(status: .forbidden, message: refusal), code: "deleted-branches-unrecorded")
                    }
                }
                return allowed
            }
        }
    }

    /// Whether GitHub's answer says the branch was created.
    static func confirms(_ confirmation: APIBranchChange.Confirmation, status: Int, answer: JSONValue?) -> Bool {
        switch confirmation {
        case .status(let expected): return status == expected
        case .graphQLField(let key):
            guard status == 200, let answer, answer["errors"] == nil, case .object = answer["data"]?[key] else { return false }
            return true
        case .unconfirmable: return false
        }
    }
}
