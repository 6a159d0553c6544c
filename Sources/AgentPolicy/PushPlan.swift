/// One `[+]SRC:DST` of a push, as git's remote-helper protocol gives it.
public struct PushRefspec: Hashable, Sendable {
    /// What to push (`HEAD`, `main`, `HEAD~1`, an object id), or `nil` to delete `destination`.
    public let source: String?
    /// The remote ref to update, as named.
    public let destination: String
    /// The `+` prefix: a non-fast-forward update may proceed (if the policy allows force-pushes).
    public let isForceRequested: Bool

    public init(source: String?, destination: String, isForceRequested: Bool) {
        self.source = source
        self.destination = destination
        self.isForceRequested = isForceRequested
    }

    /// Parses `[+]SRC:DST`; an empty SRC means deletion.
    public static func parse(_ text: String) -> PushRefspec? {
        var body = Substring(text)
        let force = body.first == "+"
        if force { body = body.dropFirst() }
        guard let colon = body.lastIndex(of: ":") else { return nil }
        let source = body[..<colon]
        let destination = body[body.index(after: colon)...]
        guard !destination.isEmpty else { return nil }
        return PushRefspec(source: source.isEmpty ? nil : String(source), destination: String(destination), isForceRequested: force)
    }
}

/// What was learned about one refspec before deciding (the I/O part, done by the caller).
public struct PushFacts: Hashable, Sendable {
    public enum Ancestry: Hashable, Sendable {
        /// The remote's current value is an ancestor of the new value (or there is nothing to compare).
        case fastForward
        /// The remote's current value is not an ancestor of the new value.
        case notFastForward
        /// The remote's current value is not in the local repository: it cannot be a fast-forward.
        case remoteObjectMissing
    }

    /// The source resolved to an object id; `nil` for a deletion.
    public var newID: String?
    /// Why the source could not be resolved, if it could not.
    public var sourceProblem: String?
    /// The remote's current value of the destination; `nil` when it does not exist.
    public var remoteID: String?
    public var ancestry: Ancestry
    /// The tip this branch had when the agent last deleted it (`DeletedBranchTips`), if it did.
    public var deletedTip: String?
    /// Whether `newID` has `deletedTip` in its history.
    public var containsDeletedTip: Bool
    /// The destination is a branch this agent created (`OwnBranches`), for `ALLOW_FORCE_PUSH=own`
    /// and `ALLOW_BRANCH_DELETE=own`.
    public var isOwnBranch = false

    public init(
        newID: String?,
        sourceProblem: String? = nil,
        remoteID: String?,
        ancestry: Ancestry,
        deletedTip: String? = nil,
        containsDeletedTip: Bool = false
    ) {
        self.newID = newID
        self.sourceProblem = sourceProblem
        self.remoteID = remoteID
        self.ancestry = ancestry
        self.deletedTip = deletedTip
        self.containsDeletedTip = containsDeletedTip
    }
}

/// The decision for one refspec of a push.
public struct PushPlanEntry: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        /// Update (or create) `fullName` to `newID`.
        case push(newID: String)
        /// Delete `fullName`.
        case delete
        /// Nothing to do: the remote already has this value.
        case upToDate
        /// Refused; `reason` is what git shows (`non-fast forward`, `stale info`, or a policy message).
        case reject(reason: String, code: String)
    }

    /// The destination as the client named it (replies use this name).
    public let destination: String
    /// The normalised destination (`refs/heads/x`); equal to `destination` when it is invalid.
    public let fullName: String
    public var outcome: Outcome
    /// The ref update the policy saw, when it got that far.
    public let update: RefUpdate?

    public var isRejected: Bool {
        if case .reject = outcome { return true }
        return false
    }
}

/// Decides every refspec of a push before any byte is sent: leases (force-with-lease),
/// fast-forward rules, the ref policy, and `--atomic`. Pure; the facts come from the caller.
public struct PushPlanner: Sendable {
    public let policy: RefPolicy

    public init(policy: RefPolicy) {
        self.policy = policy
    }

    /// Reasons git recognises and shows in its own words.
    public enum GitReason {
        public static let nonFastForward = "non-fast forward"
        public static let fetchFirst = "fetch first"
        public static let staleInfo = "stale info"
        public static let atomicFailed = "atomic push failed"
    }

    /// - Parameters:
    ///   - refspecs: the refspecs with their facts, in the client's order.
    ///   - leases: force-with-lease expectations by destination full name; an empty or all-zero
    ///     value means "must not exist".
    ///   - isAtomic: all or nothing.
    public func plan(
        _ refspecs: [(PushRefspec, PushFacts)],
        leases: [String: String] = [:],
        isAtomic: Bool = false
    ) -> [PushPlanEntry] {
        let entries = refuseDuplicates(refspecs.map { refspec, facts in decide(refspec, facts, leases: leases) })
        return isAtomic ? Self.failingAtomically(entries) : entries
    }

    /// `--atomic`: once one entry is refused, every other one fails too ("atomic push failed").
    public static func failingAtomically(_ entries: [PushPlanEntry]) -> [PushPlanEntry] {
        guard entries.contains(where: \.isRejected) else { return entries }
        return entries.map { entry in
            var entry = entry
            if !entry.isRejected { entry.outcome = .reject(reason: GitReason.atomicFailed, code: "atomic-push-failed") }
            return entry
        }
    }

    private func refuseDuplicates(_ entries: [PushPlanEntry]) -> [PushPlanEntry] {
        var seen: Set<String> = []
        return entries.map { entry in
            var entry = entry
            if !seen.insert(entry.fullName).inserted {
                entry.outcome = .reject(reason: "'\(entry.fullName)' is named twice in one push", code: "duplicate-destination")
            }
            return entry
        }
    }

    private func decide(_ refspec: PushRefspec, _ facts: PushFacts, leases: [String: String]) -> PushPlanEntry {
        let destination = refspec.destination
        guard case .success(let name) = RefName.parse(destination) else {
            let denial = policy.decide(RefUpdate(ref: destination, change: .update)).denial
            return PushPlanEntry(
                destination: destination, fullName: destination,
                outcome: .reject(reason: denial?.message ?? "invalid destination", code: denial?.code.rawValue ?? "ref-invalid"),
                update: nil
            )
        }
        func entry(_ outcome: PushPlanEntry.Outcome, _ update: RefUpdate? = nil) -> PushPlanEntry {
            PushPlanEntry(destination: destination, fullName: name.fullName, outcome: outcome, update: update)
        }
        if let problem = facts.sourceProblem { return entry(.reject(reason: problem, code: "source-not-found")) }
        let remote = facts.remoteID.flatMap { RefUpdate.isZeroID($0) ? nil : $0 }
        let new = facts.newID.flatMap { RefUpdate.isZeroID($0) ? nil : $0 }
        if let expected = leases[name.fullName] {
            let wanted = RefUpdate.isZeroID(expected) ? nil : expected
            if wanted != remote { return entry(.reject(reason: GitReason.staleInfo, code: "stale-lease")) }
        }
        let change: RefUpdate.Change
        var isForced = false
        switch (remote, new) {
        case (nil, nil):
            return entry(.upToDate)  // deleting what does not exist
        case (nil, .some):
            change = .create
        case (.some, nil):
            change = .delete
        case (.some(let old), .some(let newValue)):
            if old == newValue { return entry(.upToDate) }
            change = .update
            switch facts.ancestry {
            case .fastForward: break
            case .notFastForward, .remoteObjectMissing:
                let leased = leases[name.fullName] != nil
                guard refspec.isForceRequested || leased else {
                    let reason = facts.ancestry == .remoteObjectMissing ? GitReason.fetchFirst : GitReason.nonFastForward
                    return entry(.reject(reason: reason, code: "non-fast-forward"))
                }
                isForced = true
            }
        }
        let update = RefUpdate(ref: name.fullName, change: change, isForced: isForced, isOwnBranch: facts.isOwnBranch)
        if let denial = policy.decide(update).denial {
            return entry(.reject(reason: denial.message, code: denial.code.rawValue), update)
        }
        if change == .create,
            let denial = RecreationRule.decide(
                branch: name.fullName, deletedTip: facts.deletedTip, containsDeletedTip: facts.containsDeletedTip, settings: policy.settings)
        {
            return entry(.reject(reason: denial.message, code: denial.code.rawValue), update)
        }
        if let new { return entry(.push(newID: new), update) }
        return entry(.delete, update)
    }
}
