import AgentAPIPolicy
import AgentPolicy
import Synchronization

/// The session's branches, for every door that creates or deletes one (git.sock and gh.sock):
/// the ones the agent created (`OwnBranches`) and the tips of the ones it deleted
/// (`DeletedBranchTips`), kept in the state file after every change.
///
/// Every change is written before the agent acts on it where forgetting would be unsafe: a
/// deleted tip is in the file before the deletion is sent (a deletion that cannot be recorded is
/// refused); a branch becomes the agent's only after the server confirmed its creation (a crash
/// in between leaves it someone else's, the safe side).
final class BranchLedger: BranchLedgerReading, Sendable {
    let own: OwnBranches
    let deletedTips: DeletedBranchTips
    let settings: PolicySettings
    private let file: BranchStateFile?
    /// Serialises changes and writes, so that the file always holds one complete state.
    private let writes = Mutex(0)

    init(settings: PolicySettings, file: BranchStateFile?, own: OwnBranches = OwnBranches(), deletedTips: DeletedBranchTips = DeletedBranchTips()) {
        self.settings = settings
        self.file = file
        self.own = own
        self.deletedTips = deletedTips
    }

    /// Loads the state file into a new ledger.
    static func load(settings: PolicySettings, file: BranchStateFile) throws(BranchStateFile.Failure) -> BranchLedger {
        let ledger = BranchLedger(settings: settings, file: file)
        guard let bytes = try file.read() else { return ledger }
        let state: BranchState
        do {
            state = try BranchState.decode(bytes, ownCapacity: ledger.own.capacity, deletedCapacity: ledger.deletedTips.capacity)
        } catch {
            throw BranchStateFile.Failure(
                description:
                    "AGENT_STATE_DIR: \(file.path)/\(BranchStateFile.name) is not a state file the agent wrote (\(error)); move it aside to start afresh")
        }
        for entry in state.own { ledger.own.insert(branch: entry.branch, repository: entry.repository, tip: entry.tip) }
        for entry in state.deleted { _ = ledger.deletedTips.remember(tip: entry.tip, branch: entry.branch, repository: entry.repository) }
        return ledger
    }

    func isOwn(branch: String, repository: String) -> Bool {
        own.contains(branch: branch, repository: repository)
    }

    /// The last tip the agent set on its branch, when known: a push treats the branch as the
    /// agent's only while the upstream's tip is that commit or descends from it.
    func ownTip(branch: String, repository: String) -> String? {
        own.tip(branch: branch, repository: repository)
    }

    func deletedTip(branch: String, repository: String) -> String? {
        deletedTips.tip(branch: branch, repository: repository)
    }

    /// Whether a branch's history must only grow (`ALLOW_FORCE_PUSH=false`, or `own` for a
    /// branch the agent did not create): then deleting it remembers its tip.
    func keepsHistory(ofOwnBranch isOwn: Bool) -> Bool {
        !settings.allowForcePush.allows(isOwnBranch: isOwn)
    }

    /// Before a deletion is sent: the branch stops being the agent's, and when its history must
    /// only grow (`keepsHistory`) its tip is remembered.
    /// - Returns: why the deletion must be refused, or `nil`.
    func recordDeletion(branch: String, repository: String, tip: String?) -> String? {
        writes.withLock { attempt -> String? in
            let wasOwn = own.remove(branch: branch, repository: repository)
            guard keepsHistory(ofOwnBranch: wasOwn), let tip else {
                // Failing to write this only leaves the branch listed as the agent's after a restart.
                if wasOwn { _ = persist(&attempt) }
                return nil
            }
            guard deletedTips.remember(tip: tip, branch: branch, repository: repository) else {
                return
                    "the agent already remembers \(deletedTips.capacity) deleted branches (ALLOW_FORCE_PUSH=\(settings.allowForcePush.rawValue)); it cannot delete more"
            }
            return persist(&attempt).map { "the agent cannot record the deleted branch's tip, so it does not delete it: \($0)" }
        }
    }

    /// After the server confirmed a creation: the branch is the agent's, at `tip` when known (a
    /// branch the ledger still lists, deleted elsewhere and created again by the agent, takes
    /// the new tip).
    func recordCreation(branch: String, repository: String, tip: String? = nil) {
        writes.withLock { attempt in
            let listed = own.contains(branch: branch, repository: repository)
            guard !listed || (tip != nil && own.tip(branch: branch, repository: repository) != tip),
                own.insert(branch: branch, repository: repository, tip: tip)
            else { return }
            _ = persist(&attempt)
        }
    }

    /// After the server accepted the agent's update of its own branch: the branch's new tip.
    /// Failing to write it only makes the branch someone else's after a restart, once the
    /// upstream no longer descends from the older tip (the safe side).
    func recordTip(branch: String, repository: String, tip: String) {
        writes.withLock { attempt in
            guard own.contains(branch: branch, repository: repository), own.tip(branch: branch, repository: repository) != tip,
                own.insert(branch: branch, repository: repository, tip: tip)
            else { return }
            _ = persist(&attempt)
        }
    }

    /// Writes the whole state; returns why it failed. Called with `writes` held.
    private func persist(_ attempt: inout Int) -> String? {
        guard let file else { return nil }
        attempt += 1
        let state = BranchState(
            own: own.entries.map { ($0.repository, $0.branch, $0.tip) }, deleted: deletedTips.entries.map { ($0.repository, $0.branch, $0.tip) })
        do {
            try file.write(state.encoded(), attempt: attempt)
            return nil
        } catch {
            return error.description
        }
    }
}
