import AgentGit
import AgentPolicy

/// The content rules on a push's plan: every ref the plan would update is refused when the
/// commits it brings change a protected path or carry a secret (`PushContentInspector`), before
/// any byte is sent. Warnings (`SECRET_SCAN=warn`) are shown as the server's own messages.
struct PushContentCheck: Sendable {
    let rules: ContentRules
    let held: any HeldSecretSource

    /// - Returns: the plan with content refusals, and what the inspection found (for the audit
    ///   line), `nil` when nothing was inspected.
    func apply(
        to entries: [PushPlanEntry],
        repository: GitRepository,
        advertised: [String: ObjectID],
        isAtomic: Bool,
        control: OperationControl,
        onEvent: @Sendable (TransferEvent) -> Void
    ) throws(PushRefusal) -> (entries: [PushPlanEntry], inspection: ContentInspection?) {
        guard rules.checksPaths || rules.scansSecrets else { return (entries, nil) }
        let pushed = entries.indices.compactMap { index -> (Int, ObjectID)? in
            guard case .push(let hex) = entries[index].outcome, let id = ObjectID(hex: hex) else { return nil }
            return (index, id)
        }
        guard !pushed.isEmpty else { return (entries, nil) }
        // What the upstream already has is what its branches and tags hold: a commit reachable
        // only from another ref it advertises (`refs/pull/N/head`, a fork's pull request) is
        // judged as new, since pushing it to a branch publishes it there.
        let remote = Array(Set(advertised.filter { $0.key.hasPrefix("refs/heads/") || $0.key.hasPrefix("refs/tags/") }.values))
        let names = pushed.map { Array(entries[$0.0].fullName.utf8) }
        let result = held.withPatterns { patterns in
            Result { () throws(PushRefusal) -> (ContentInspection, [SecretFinding?]) in
                // A ref's name is published too.
                let scanner = SecretScanner(scansFormats: rules.scansSecrets, held: rules.scansSecrets ? patterns : .none)
                let named = names.map { name in
                    let found = name.withUnsafeBytes { scanner.scan($0) }
                    return found.held ?? (rules.secretScan == .block ? found.format : nil)
                }
                let inspection = try PushContentInspector.inspect(
                    repository, sending: pushed.map(\.1), remoteHas: remote, rules: rules, held: patterns, control: control)
                return (inspection, named)
            }
        }
        let (inspection, named) = try result.get()
        var checked = entries
        for (((index, _), verdict), name) in zip(zip(pushed, inspection.verdicts), named) {
            let denial = name.map { ContentDenial.secret($0, in: "the name of the ref") } ?? verdict.denial
            if let denial { checked[index].outcome = .reject(reason: denial.message, code: denial.code.rawValue) }
        }
        for warning in inspection.warnings { onEvent(.remote("warning: " + warning.message, isTransient: false)) }
        return (isAtomic ? PushPlanner.failingAtomically(checked) : checked, inspection)
    }
}

extension ContentInspection {
    /// Fields for the push's audit line: how much was scanned and what was skipped or let through.
    var auditDetails: [(String, String)] {
        var details = [("scanned_blobs", String(scannedBlobs)), ("scanned_bytes", String(scannedBytes))]
        if skippedBinaryBlobs > 0 { details.append(("skipped_binary_blobs", String(skippedBinaryBlobs))) }
        if !warnings.isEmpty { details.append(("secret_warnings", warnings.map(\.message).joined(separator: "; "))) }
        return details
    }
}
