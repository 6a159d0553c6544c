import AgentGit
import AgentPolicy

extension PushPlanEntry {
    var isSent: Bool {
        switch outcome {
        case .push, .delete: true
        case .upToDate, .reject: false
        }
    }

    var rejectionReason: String? {
        if case .reject(let reason, _) = outcome { return reason }
        return nil
    }
}

/// The plan's updates, checked again against what libgit2 is about to send.
final class ApprovedUpdates: @unchecked Sendable {
    // Written once before the push starts, read in the negotiation callback on the same thread.
    private var expected: [String: (update: RefUpdate, newID: String?)] = [:]

    func set(_ entries: [PushPlanEntry]) {
        for entry in entries {
            guard let update = entry.update else { continue }
            switch entry.outcome {
            case .push(let newID): expected[entry.fullName] = (update, newID)
            case .delete: expected[entry.fullName] = (update, nil)
            case .upToDate, .reject: break
            }
        }
    }

    /// A refusal when libgit2 would send anything the plan did not approve.
    func check(_ updates: [NegotiatedUpdate], policy: RefPolicy) -> String? {
        for update in updates {
            guard let approved = expected[update.destinationReference], approved.newID == update.newID?.hex else {
                return "the agent refused an update it had not approved: \(update.destinationReference)"
            }
            var final = RefUpdate(
                ref: update.destinationReference, oldID: update.remoteID?.hex, newID: update.newID?.hex,
                isForced: approved.update.isForced
            )
            final.isOwnBranch = approved.update.isOwnBranch
            if final.change != approved.update.change {
                return "\(update.destinationReference) changed on the server during the push; try again"
            }
            if let denial = policy.decide(final).denial { return denial.message }
        }
        return nil
    }
}
