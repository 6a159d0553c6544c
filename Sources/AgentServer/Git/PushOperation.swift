import AgentGit
import AgentPolicy
import AgentProtocol

/// A push, start to end, on a git thread: open the repository beneath the workspace root, make
/// the private view, plan, check what would be sent, push, report.
///
/// Every decision is made on data the workspace cannot forge: sources resolve in the view (refs
/// copied from the workspace, objects hash-checked by libgit2), ancestry is walked there (no
/// commit-graph), and the policy decides twice: over the plan, and again in libgit2's
/// `push_negotiation`, over the exact updates it is about to send. `--atomic` is asked of the
/// server itself (`SmartTransport`), so it applies all refs or none, as with plain git.
struct PushOperation {
    let planner: PushPlanner
    let opener: WorkspaceOpener
    let upstreamURL: String
    let repositoryName: String
    let credentials: TokenCredentials
    let ledger: BranchLedger
    let limits: GitLimits
    /// `PROTECTED_PATHS` and `SECRET_SCAN` on what each ref would bring (`PushContentCheck`).
    let content: PushContentCheck

    struct Outcome: Sendable {
        let entries: [PushPlanEntry]
        /// Final per-ref result: `nil` for success, or the reason.
        let results: [(destination: String, failure: String?)]
        /// Why the push as a whole was refused before packing (`tree-too-deep`, …), if it was.
        let refusalCode: String?
        /// What the content rules inspected, for the audit line.
        var inspection: ContentInspection? = nil
    }

    func run(
        gitDirectory: String,
        refspecs: [PushRefspec],
        leases: [String: String],
        isAtomic: Bool,
        isDryRun: Bool,
        control: OperationControl,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) -> Outcome {
        let workspace = try opener.open(gitDirectory, control: control)
        let view = try opener.view(of: workspace, control: control)
        let approved = ApprovedUpdates()
        let observer = TransferObserver(
            credentials: credentials, control: control, isAtomicPush: isAtomic && !isDryRun,
            negotiate: { approved.check($0, policy: planner.policy) }, onEvent: onEvent)
        let connection: RemoteConnection
        let advertised: [String: ObjectID]
        do {
            connection = try RemoteConnection(url: upstreamURL, repository: view.repository, observer: observer)
            try connection.connect(.push)
            advertised = Dictionary(try connection.advertisedReferences().map { ($0.name, $0.id) }) { first, _ in first }
        } catch {
            throw .failed(error.message, code: control.stopReason == nil ? "upstream-failed" : "timeout")
        }
        let gatherer = PushFactsGatherer(
            repository: view.repository, advertised: advertised, ledger: ledger, repositoryName: repositoryName)
        var entries = planner.plan(refspecs.map { ($0, gatherer.facts(for: $0)) }, leases: leases, isAtomic: isAtomic)
        if isAtomic, !isDryRun, entries.contains(where: \.isSent), observer.receivePackCapabilities?.contains("atomic") != true {
            return refuseAll(entries, "the receiving end does not support --atomic push", code: "atomic-unsupported")
        }
        if !isDryRun { entries = rememberDeletions(entries, advertised: advertised, isAtomic: isAtomic) }
        let tips = entries.compactMap { entry -> ObjectID? in
            if case .push(let hex) = entry.outcome { return ObjectID(hex: hex) }
            return nil
        }
        if !tips.isEmpty {
            do {
                _ = try PushInventory.check(view.repository, sending: tips, remoteHas: Array(Set(advertised.values)), limits: limits.push, control: control)
            } catch {
                if let reason = control.stopReason { throw .failed(reason, code: "timeout") }
                return refuseAll(entries, error.description, code: error.code)
            }
        }
        var inspection: ContentInspection?
        if !tips.isEmpty {
            do {
                (entries, inspection) = try content.apply(
                    to: entries, repository: view.repository, advertised: advertised, isAtomic: isAtomic, control: control, onEvent: onEvent)
            } catch {
                if let reason = control.stopReason { throw .failed(reason, code: "timeout") }
                return refuseAll(entries, error.description, code: error.code)
            }
        }
        var refspecsToSend: [String] = []
        for (index, entry) in entries.enumerated() {
            switch entry.outcome {
            case .push(let newHex):
                guard let id = ObjectID(hex: newHex) else { continue }
                do {
                    refspecsToSend.append("+" + (try view.stage(id, index: index)) + ":" + entry.fullName)
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
                if let reason = control.stopReason { throw .failed(reason, code: "timeout") }
                let reason = error.message
                return Outcome(
                    entries: entries,
                    results: entries.map { ($0.destination, $0.isRejected ? $0.rejectionReason : ($0.isSent ? reason : nil)) },
                    refusalCode: nil)
            }
        }
        let serverRejections = observer.rejectedReferences
        return Outcome(
            entries: entries,
            results: entries.map { entry in
                if entry.isRejected { return (entry.destination, entry.rejectionReason) }
                if !isDryRun, entry.isSent, let status = serverRejections[entry.fullName] { return (entry.destination, status) }
                return (entry.destination, nil)
            },
            refusalCode: nil, inspection: inspection)
    }

    /// Every ref of the push refused with one reason (nothing is sent).
    private func refuseAll(_ entries: [PushPlanEntry], _ reason: String, code: String) -> Outcome {
        Outcome(
            entries: entries,
            results: entries.map { ($0.destination, $0.isRejected ? $0.rejectionReason : ($0.isSent ? reason : nil)) },
            refusalCode: code)
    }

    /// Before anything is sent (so that a concurrent re-creation already sees it): a deleted
    /// branch stops being the agent's, or, when it was someone else's and force-pushing is not
    /// simply allowed, its tip is remembered (`BranchLedger`); a deletion that cannot be
    /// recorded is refused.
    private func rememberDeletions(_ entries: [PushPlanEntry], advertised: [String: ObjectID], isAtomic: Bool) -> [PushPlanEntry] {
        var changed = entries
        for index in changed.indices {
            let entry = changed[index]
            guard case .delete = entry.outcome, entry.fullName.hasPrefix("refs/heads/") else { continue }
            if let refusal = ledger.recordDeletion(branch: entry.fullName, repository: repositoryName, tip: advertised[entry.fullName]?.hex) {
                changed[index].outcome = .reject(reason: refusal, code: "deleted-branches-unrecorded")
            }
        }
        return isAtomic ? PushPlanner.failingAtomically(changed) : changed
    }
}
