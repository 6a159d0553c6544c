import AgentPolicy
import AgentProtocol
import AgentSystem

/// `ALLOWED_REPOS` and the session's branches on git.sock.
extension GitService {
    /// A push to a repository outside `ALLOWED_REPOS` is refused ref by ref, as a server would
    /// reject it (`! [remote rejected] … (repository 'x/y' is not in ALLOWED_REPOS (o/app))`);
    /// `list` and `fetch` of one only with `ALLOW_OTHER_REPO_READS=false` (git prints `fatal:`).
    /// - Returns: the reply for a refused push, or `nil` to go on.
    func reachRefusal(_ operation: String, _ request: GitRequest, _ frame: Frame, peer: PeerCredentials, started: ContinuousClock.Instant)
        throws(GitServiceError) -> Frame?
    {
        let list = configuration.reach.allowedRepositories ?? RepositoryAllowlist([])
        let name = request.repository.description
        guard operation == Wire.Operation.push else {
            if let denial = list.readDenial(name, allowOtherReads: configuration.reach.allowOtherRepositoryReads) {
                throw .refused(denial.message, code: denial.code.rawValue)
            }
            return nil
        }
        guard let denial = list.writeDenial(name) else { return nil }
        let refspecs = try GitRequest.refspecs(frame)
        var reply = Frame([Frame.Field(Wire.Key.status, Wire.Status.ok)])
        for refspec in refspecs { reply.append(Wire.Key.error, "\(refspec.destination) \(denial.message)") }
        audit.record(
            AuditEntry(
                peer: peer, socket: "git.sock", operation: frame[Wire.Key.dryRun] == "true" ? "push (dry run)" : "push", repository: name,
                refs: refspecs.map(\.destination), decision: "deny", code: denial.code.rawValue, reason: denial.message, started: started))
        return reply
    }

    /// After a push: every branch it created, and the server accepted, is the agent's at the tip
    /// it pushed, unless it re-created a branch someone else had and the agent deleted (that one
    /// stays theirs); every update of its own branch moves the tip the ledger keeps.
    func recordCreations(_ outcome: PushOperation.Outcome, repository: String) {
        for (entry, result) in zip(outcome.entries, outcome.results) {
            guard case .push(let newID) = entry.outcome, let update = entry.update, result.failure == nil, entry.fullName.hasPrefix("refs/heads/") else {
                continue
            }
            switch update.change {
            case .create:
                if ledger.keepsHistory(ofOwnBranch: false), ledger.deletedTip(branch: entry.fullName, repository: repository) != nil { continue }
                ledger.recordCreation(branch: entry.fullName, repository: repository, tip: newID)
            case .update where update.isOwnBranch:
                ledger.recordTip(branch: entry.fullName, repository: repository, tip: newID)
            default:
                continue
            }
        }
    }
}
