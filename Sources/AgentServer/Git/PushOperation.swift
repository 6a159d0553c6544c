import AgentGit
import AgentPolicy
import AgentProtocol

/// A push, start to end, on a thread that may block: locate, plan, push, report.
///
/// The policy decides twice: once over the plan (before connecting to push anything), and again
/// in libgit2's `push_negotiation`, over the exact updates it is about to send.
struct PushOperation {
    let planner: PushPlanner
    let locator: RepositoryLocator
    let upstreamURL: String
    let credentials: TokenCredentials
    let temporaryDirectory: String

    struct Outcome: Sendable {
        let entries: [PushPlanEntry]
        /// Final per-ref result: `nil` for success, or the reason.
        let results: [(destination: String, failure: String?)]
    }

    func run(
        gitDirectory: String,
        refspecs: [PushRefspec],
        leases: [String: String],
        isAtomic: Bool,
        isDryRun: Bool,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) -> Outcome {
        let located = try locator.locate(gitDirectory)
        let shadow: ShadowRepository
        do {
            shadow = try ShadowRepository(in: temporaryDirectory, borrowingObjectsFrom: located.objectsDirectory)
        } catch {
            throw .failed("the agent cannot prepare the push: \(error.message)", code: "push-failed")
        }
        let approved = ApprovedUpdates()
        let observer = TransferObserver(credentials: credentials, negotiate: { approved.check($0, policy: planner.policy) }, onEvent: onEvent)
        let connection: RemoteConnection
        let advertised: [String: ObjectID]
        do {
            connection = try RemoteConnection(url: upstreamURL, repository: shadow.repository, observer: observer)
            try connection.connect(.push)
            advertised = Dictionary(try connection.advertisedReferences().map { ($0.name, $0.id) }) { first, _ in first }
        } catch {
            throw .failed(error.message, code: "upstream-failed")
        }

        let facts = refspecs.map { refspec in (refspec, gatherFacts(refspec, repository: located.repository, advertised: advertised)) }
        let entries = planner.plan(facts, leases: leases, isAtomic: isAtomic)
        var refspecsToSend: [String] = []
        for (index, entry) in entries.enumerated() {
            switch entry.outcome {
            case .push(let newHex):
                guard let id = ObjectID(hex: newHex) else { continue }
                do {
                    refspecsToSend.append("+" + (try shadow.stage(id, index: index)) + ":" + entry.fullName)
                } catch {
                    throw .failed("the agent cannot prepare the push: \(error.message)", code: "push-failed")
                }
            case .delete:
                refspecsToSend.append(":" + entry.fullName)
            case .upToDate, .reject:
                break
            }
        }
        approved.set(entries)
        if !isDryRun, !refspecsToSend.isEmpty {
            do {
                try connection.push(refspecsToSend)
            } catch {
                let reason = error.message
                return Outcome(
                    entries: entries,
                    results: entries.map { entry in
                        (entry.destination, entry.isRejected ? entry.rejectionReason : (entry.isSent ? reason : nil))
                    })
            }
        }
        let serverRejections = observer.rejectedReferences
        return Outcome(
            entries: entries,
            results: entries.map { entry in
                if entry.isRejected { return (entry.destination, entry.rejectionReason) }
                if !isDryRun, entry.isSent, let status = serverRejections[entry.fullName] { return (entry.destination, status) }
                return (entry.destination, nil)
            })
    }

    private func gatherFacts(_ refspec: PushRefspec, repository: GitRepository, advertised: [String: ObjectID]) -> PushFacts {
        var newID: ObjectID?
        var problem: String?
        if let source = refspec.source {
            do { newID = try repository.resolve(source) } catch { problem = error.message }
        }
        let fullName = (try? RefName.parse(refspec.destination).get())?.fullName ?? refspec.destination
        let remoteID = advertised[fullName]
        var ancestry = PushFacts.Ancestry.fastForward
        if let remoteID, let newID, remoteID != newID {
            switch repository.isAncestor(remoteID, of: newID) {
            case .some(true): ancestry = .fastForward
            case .some(false): ancestry = .notFastForward
            case .none: ancestry = .remoteObjectMissing
            }
        }
        return PushFacts(newID: newID?.hex, sourceProblem: problem, remoteID: remoteID?.hex, ancestry: ancestry)
    }
}

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
            let final = RefUpdate(
                ref: update.destinationReference, oldID: update.remoteID?.hex, newID: update.newID?.hex,
                isForced: approved.update.isForced
            )
            if final.change != approved.update.change {
                return "\(update.destinationReference) changed on the server during the push; try again"
            }
            if let denial = policy.decide(final).denial { return denial.message }
        }
        return nil
    }
}
