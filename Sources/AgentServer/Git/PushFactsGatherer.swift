import AgentGit
import AgentPolicy

/// What the planner needs to know about each refspec, learned in the private view: the source's
/// object id, the remote's value, ancestry (walked with hash-checked reads, no commit-graph), and
/// for a re-created branch whether it keeps the tip it had when the agent deleted it, and whether
/// the branch is one the agent created (`BranchLedger`).
struct PushFactsGatherer {
    let repository: GitRepository
    let advertised: [String: ObjectID]
    let ledger: BranchLedger
    let repositoryName: String

    /// `:/text` and `^{/text}` run a client-supplied regular expression over every commit message,
    /// which no deadline can interrupt; git hands the helper ref names and ids, not these.
    static func isMessageSearch(_ revision: String) -> Bool {
        revision.hasPrefix(":/") || revision.contains("{/")
    }

    func facts(for refspec: PushRefspec) -> PushFacts {
        var newID: ObjectID?
        var problem: String?
        if let source = refspec.source {
            if Self.isMessageSearch(source) {
                problem = "src refspec \(source.quotedInRefusal) searches commit messages, which the agent does not do; name a branch, tag or commit"
            } else {
                do { newID = try repository.resolve(source) } catch { problem = error.message }
            }
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
        let isOwn = isOwnBranch(fullName, remoteID: remoteID)
        var deletedTip: String?
        var containsDeletedTip = false
        if remoteID == nil, let newID, ledger.keepsHistory(ofOwnBranch: isOwn), let tip = ledger.deletedTip(branch: fullName, repository: repositoryName) {
            deletedTip = tip
            containsDeletedTip = ObjectID(hex: tip).map { repository.isAncestor($0, of: newID) == true } ?? false
        }
        var facts = PushFacts(
            newID: newID?.hex, sourceProblem: problem, remoteID: remoteID?.hex, ancestry: ancestry, deletedTip: deletedTip,
            containsDeletedTip: containsDeletedTip)
        facts.isOwnBranch = isOwn
        return facts
    }

    /// The agent's branch, and still its history: the upstream's tip is the last tip the agent
    /// set, or descends from it. A branch deleted elsewhere and re-created by someone else keeps
    /// the name but not that history; an unknown tip, or a remote object missing here, is not
    /// the agent's (the safe side: only fast-forwards).
    private func isOwnBranch(_ fullName: String, remoteID: ObjectID?) -> Bool {
        guard let remoteID, let tip = ledger.ownTip(branch: fullName, repository: repositoryName).flatMap(ObjectID.init(hex:)) else {
            return false
        }
        return tip == remoteID || repository.isAncestor(tip, of: remoteID) == true
    }
}
