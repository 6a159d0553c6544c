import AgentPolicy

/// A branch an allowed API write deletes or creates, for the session's ledger: deleting records
/// the tip (or ends the agent's ownership), creating makes the branch the agent's once GitHub
/// confirms it.
public struct APIBranchChange: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The branch is deleted; `tip` is what it pointed at (`nil`: it does not exist).
        case deletion(tip: String?)
        /// The branch is created; `confirmedBy` says how to tell from the response that it was.
        case creation(confirmedBy: Confirmation)
        /// The agent's own branch is forced to a new tip, which the ledger keeps once confirmed.
        case update(confirmedBy: Confirmation)
    }

    /// How the response shows that a creation happened.
    public enum Confirmation: Hashable, Sendable {
        /// A REST status (`201 Created`).
        case status(Int)
        /// GraphQL: `data.<key>` is an object and there are no `errors`.
        case graphQLField(key: String)
        /// The response cannot tell (an `updateRefs` entry may create or move): never the agent's.
        case unconfirmable
    }

    /// `owner/name`.
    public let repository: String
    /// The full ref name, `refs/heads/x`.
    public let branch: String
    public let kind: Kind
    /// The branch was the agent's before this request.
    public let wasOwn: Bool
    /// The commit the request sets the branch to, when it names one (a full object id): the tip
    /// the ledger keeps unless GitHub's answer names it (`answeredTip`).
    public let tip: String?

    public init(repository: String, branch: String, kind: Kind, wasOwn: Bool, tip: String? = nil) {
        self.repository = repository
        self.branch = branch
        self.kind = kind
        self.wasOwn = wasOwn
        self.tip = tip
    }

    /// The tip GitHub's answer gives for the branch: REST `object.sha` (of the same `ref`);
    /// `nil` when it gives none, and for GraphQL, whose answer the client shapes.
    public func answeredTip(_ answer: JSONValue?) -> String? {
        let confirmation: Confirmation
        switch kind {
        case .creation(let how), .update(let how): confirmation = how
        case .deletion: return nil
        }
        let sha: String?
        switch confirmation {
        case .status: sha = answer?["ref"]?.string == branch ? answer?["object"]?["sha"]?.string : nil
        // A GraphQL answer has the shape the client's selection set gives it (aliases can put any
        // text at `ref.target.oid`); the mutation's own `oid` is what GitHub set.
        case .graphQLField, .unconfirmable: sha = nil
        }
        return sha.flatMap { APIPolicy.isObjectID($0) ? $0.lowercased() : nil }
    }
}

/// What the session rules say about an allowed write's branch changes.
public enum APIBranchChangesDecision: Hashable, Sendable {
    case changes([APIBranchChange])
    case needs([APILookup])
    case deny(Denial)
}

/// One branch a write names, before the session rules are applied.
struct NamedBranchChange {
    enum Kind {
        case deletion(knownTip: String?, lookup: Bool)
        /// Created at `commit` (`nil` when the request does not say); `renamedFrom` for a rename,
        /// whose new branch is the agent's only if the old one was.
        case creation(commit: String?, confirmedBy: APIBranchChange.Confirmation, renamedFrom: String? = nil)
        /// Forced to `commit`: the agent's branch keeps being its own at the new tip.
        case forcedUpdate(commit: String?, confirmedBy: APIBranchChange.Confirmation)
    }

    let repository: String
    let branch: String
    let kind: Kind

    /// The commit the request names for the branch, if any.
    var commit: String? {
        switch kind {
        case .deletion: nil
        case .creation(let commit, _, _), .forcedUpdate(let commit, _): commit
        }
    }
}

extension APIPolicy {
    /// After `decide` allowed a write: the branches it deletes and creates. Deleting a branch the
    /// agent did not create (while `ALLOW_FORCE_PUSH` is not `true`) needs its tip, which the
    /// agent remembers before forwarding; re-creating a remembered branch must contain that tip
    /// (looked up with GitHub's compare), as with `git push` (`RecreationRule`).
    public func decideBranchChanges(_ request: APIRequest, facts: APIFacts) -> APIBranchChangesDecision {
        guard !request.isRead, case .success(let segments) = APIPathText.segments(request.path) else { return .changes([]) }
        let named: [NamedBranchChange]
        if segments.count == 1, segments.word(0, is: "graphql") {
            switch GraphQLPolicy(api: self).namedBranchChanges(body: request.body, facts: facts) {
            case .success(let changes): named = changes
            case .failure(let box): return Self.branchDecision(box.decision)
            }
        } else {
            guard let (repository, rest) = Self.repositoryRoute(segments), let name = repositoryContext(repository, facts: facts) else {
                return .changes([])
            }
            switch Self.restBranchChanges(name, rest, method: request.method, body: request.body, facts: facts) {
            case .success(let changes): named = changes
            case .failure(let box): return Self.branchDecision(box.decision)
            }
        }
        var changes: [APIBranchChange] = []
        var lookups: [APILookup] = []
        func isOwn(_ branch: String, _ repository: String) -> Bool? {
            switch self.ownership(branch: branch, repository: repository, facts: facts.reach) {
            case .own: return true
            case .notOwn: return false
            case .needs(let more):
                lookups += more
                return nil
            }
        }
        for change in named {
            guard let wasOwn = isOwn(change.branch, change.repository) else { continue }
            let requested = change.commit.flatMap { Self.isObjectID($0) ? $0.lowercased() : nil }
            // A branch's history only grows unless it may be rewritten (ALLOW_FORCE_PUSH).
            let keepsHistory = !refs.settings.allowForcePush.allows(isOwnBranch: wasOwn)
            switch change.kind {
            case .deletion(let knownTip, let lookup):
                var tip = knownTip
                if tip == nil, lookup, keepsHistory {
                    switch facts.reach.branchTip(repository: change.repository, branch: change.branch) {
                    case .none:
                        lookups.append(.reach(.branchTip(repository: change.repository, branch: change.branch)))
                        continue
                    case .some(let known): tip = known
                    }
                }
                changes.append(APIBranchChange(repository: change.repository, branch: change.branch, kind: .deletion(tip: tip), wasOwn: wasOwn))
            case .forcedUpdate(_, let confirmation):
                // Only the agent's own branch has a tip to keep; anyone else's stays theirs.
                if wasOwn {
                    changes.append(
                        APIBranchChange(
                            repository: change.repository, branch: change.branch, kind: .update(confirmedBy: confirmation), wasOwn: true, tip: requested))
                }
            case .creation(let commit, var confirmation, let renamedFrom):
                if let renamedFrom {
                    guard let renamedWasOwn = isOwn(renamedFrom, change.repository) else { continue }
                    if !renamedWasOwn { confirmation = .unconfirmable }
                }
                if keepsHistory, let remembered = ledger.deletedTip(branch: change.branch, repository: change.repository) {
                    var contains = false
                    if let commit {
                        guard Self.isObjectID(commit) else {
                            return .deny(
                                Denial(
                                    .apiRequestInvalid, "'\(commit.quotedInRefusal)' is not a commit id, so re-creating '\(change.branch)' cannot be checked"))
                        }
                        let lookup = ReachLookup.containment(repository: change.repository, ancestor: remembered, descendant: commit)
                        guard let known = facts.reach.containments[lookup] else {
                            lookups.append(.reach(lookup))
                            continue
                        }
                        contains = known
                    }
                    let denial = RecreationRule.decide(
                        branch: change.branch, deletedTip: remembered, containsDeletedTip: contains, settings: refs.settings)
                    if let denial { return .deny(denial) }
                    // A re-creation of someone else's branch: it stays theirs.
                    changes.append(
                        APIBranchChange(repository: change.repository, branch: change.branch, kind: .creation(confirmedBy: .unconfirmable), wasOwn: false))
                    continue
                }
                changes.append(
                    APIBranchChange(
                        repository: change.repository, branch: change.branch, kind: .creation(confirmedBy: confirmation), wasOwn: wasOwn, tip: requested))
            }
        }
        guard lookups.isEmpty else { return .needs(Array(Set(lookups)).sorted { "\($0)" < "\($1)" }) }
        return .changes(changes)
    }

    static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64)
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
    }

    private static func branchDecision(_ decision: APIDecision) -> APIBranchChangesDecision {
        switch decision {
        case .allow: .changes([])
        case .deny(let denial): .deny(denial)
        case .needs(let lookups): .needs(lookups)
        }
    }

    /// `DELETE …/git/refs/heads/X`, `POST …/git/refs`, forced `PATCH …/git/refs/heads/X`,
    /// `POST …/branches/X/rename`.
    static func restBranchChanges(
        _ repository: String, _ rest: [String], method: String, body: JSONValue?, facts: APIFacts
    ) -> Result<[NamedBranchChange], APIDecisionBox> {
        func branch(_ name: String) -> String? {
            guard case .success(let ref) = RefName.parse(name), ref.kind == .branch else { return nil }
            return ref.fullName
        }
        // The branches routes name branches as GitHub takes them, literally.
        func shortBranch(_ name: String) -> String? {
            guard case .success(let ref) = RefName.parseBranchName(name) else { return nil }
            return ref.fullName
        }
        if rest.word(0, is: "git"), rest.word(1, is: "refs") {
            if method == "DELETE", let name = branch(rest.dropFirst(2).joined(separator: "/")) {
                return .success([NamedBranchChange(repository: repository, branch: name, kind: .deletion(knownTip: nil, lookup: true))])
            }
            if method == "PATCH", case .value(true) = body.flagField("force"), let name = branch(rest.dropFirst(2).joined(separator: "/")) {
                let commit: String? = if case .value(let sha) = body.stringField("sha") { sha } else { nil }
                return .success([NamedBranchChange(repository: repository, branch: name, kind: .forcedUpdate(commit: commit, confirmedBy: .status(200)))])
            }
            if method == "POST", rest.count == 2, case .value(let ref) = body.stringField("ref"), let name = branch(ref) {
                let commit: String? = if case .value(let sha) = body.stringField("sha") { sha } else { nil }
                return .success([NamedBranchChange(repository: repository, branch: name, kind: .creation(commit: commit, confirmedBy: .status(201)))])
            }
        }
        if method == "POST", rest.count >= 3, rest.word(0, is: "branches"), rest.last?.lowercased() == "rename",
            let old = shortBranch(rest.dropFirst().dropLast().joined(separator: "/")), case .value(let newName) = body.stringField("new_name"),
            let new = shortBranch(newName)
        {
            // The new branch gets the old one's commits: its tip, looked up (or remembered) first.
            guard let tip = facts.reach.branchTip(repository: repository, branch: old) else {
                return .failure(APIDecisionBox(.needs([.reach(.branchTip(repository: repository, branch: old))])))
            }
            return .success([
                NamedBranchChange(repository: repository, branch: old, kind: .deletion(knownTip: tip, lookup: false)),
                NamedBranchChange(repository: repository, branch: new, kind: .creation(commit: tip, confirmedBy: .status(201), renamedFrom: old)),
            ])
        }
        return .success([])
    }
}
