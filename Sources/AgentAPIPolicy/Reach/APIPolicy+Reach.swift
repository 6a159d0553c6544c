import AgentPolicy

/// The token's reach on REST routes (issue 15): writes only to `ALLOWED_REPOS` (by name or by
/// `/repositories/ID`, looked up), never out of them (`RepositoryEscapes`), approvals and pull
/// request bases (`PullRequestRules`), and with `ALLOW_OTHER_REPO_READS=false` reads too.
extension APIPolicy {
    /// The repository a route names, as `owner/name`: the name given, or for
    /// `/repositories/ID` the one GitHub reports (`needs` until it is known).
    func repositoryName(_ repository: APIRepository, facts: APIFacts) -> Result<String, APIDecisionBox> {
        switch repository {
        case .named(let owner, let name):
            return .success("\(owner)/\(name)")
        case .identifier(let id):
            guard (1...20).contains(id.utf8.count), id.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return .failure(APIDecisionBox(.deny(Denial(.apiRequestInvalid, "'\(id.quotedInRefusal)' is not a repository id"))))
            }
            guard let name = facts.reach.repositoryNames[id] else { return .failure(APIDecisionBox(.needs([.reach(.repositoryName(id: id))]))) }
            return .success(name)
        }
    }

    /// Escapes, the repository list and the pull request rules for a write; `nil` to go on.
    func reachDecision(_ request: APIRequest, segments: [String], shown: String, facts: APIFacts) -> APIDecision? {
        if let denial = RepositoryEscapes.restDenial(method: request.method, segments: segments) { return .deny(denial) }
        guard let (repository, rest) = Self.repositoryRoute(segments) else { return nil }
        if let list = reach.allowedRepositories {
            switch repositoryName(repository, facts: facts) {
            case .failure(let box): return box.decision
            case .success(let name):
                if let denial = list.writeDenial(name) { return .deny(denial) }
                let crossing = CrossRepositoryRules(reach: reach).writeDenial(name, rest, method: request.method, body: request.body)
                if let denial = crossing { return .deny(denial) }
            }
        }
        if let decision = PullRequestRules(reach: reach).decide(rest, method: request.method, body: request.body, shown: shown) { return decision }
        if let decision = reopenDecision(repository, rest, method: request.method, body: request.body, shown: shown, facts: facts) { return decision }
        return updateBranchHeadDecision(repository, rest, method: request.method, facts: facts)
    }

    /// `PATCH …/pulls/N` with `state: open` re-opens the pull request into its base (looked up),
    /// which `PR_BASE_BRANCHES` must allow, as GraphQL `reopenPullRequest`; so does
    /// `PATCH …/issues/N` when N is a pull request (every pull request is an issue).
    private func reopenDecision(
        _ repository: APIRepository, _ rest: [String], method: String, body: JSONValue?, shown: String, facts: APIFacts
    ) -> APIDecision? {
        guard !reach.pullRequestBases.isEmpty, method == "PATCH", rest.count == 2, rest.word(0, is: "pulls") || rest.word(0, is: "issues"),
            let number = Int(rest[1]), case .value(let state) = body.stringField("state"), state.lowercased() == "open"
        else { return nil }
        if rest.word(0, is: "issues") {
            let name: String
            switch repositoryName(repository, facts: facts) {
            case .failure(let box): return box.decision
            case .success(let found): name = found
            }
            let lookup = ReachLookup.issueBase(repository: name, number: number)
            guard let base = facts.reach.issueBases[lookup] else { return .needs([.reach(lookup)]) }
            guard let base else { return nil }  // an issue, not a pull request
            return PullRequestRules(reach: reach).base(.value(base), isRequired: true, shown: shown)
        }
        if case .value = body.stringField("base") { return nil }  // the new base was decided
        let key = APIPullRequestKey(repository, number)
        guard let pull = facts.pullRequests[key] else { return .needs([.pullRequest(repository, number: number)]) }
        return PullRequestRules(reach: reach).base(.value(pull.base), isRequired: true, shown: shown)
    }

    /// `PUT …/pulls/N/update-branch` writes into the pull request's head repository, which may
    /// be a fork outside the list.
    private func updateBranchHeadDecision(_ repository: APIRepository, _ rest: [String], method: String, facts: APIFacts) -> APIDecision? {
        guard let list = reach.allowedRepositories, method == "PUT", rest.count == 3, rest.word(0, is: "pulls"),
            rest.word(2, is: "update-branch"), let number = Int(rest[1])
        else { return nil }
        let key = APIPullRequestKey(repository, number)
        guard facts.pullRequests[key] != nil else { return .needs([.pullRequest(repository, number: number)]) }
        guard let head = facts.reach.pullRequestHeadRepositories[key] else {
            return .deny(Denial(.repositoryNotAllowed, "pull request \(number)'s head repository is unknown (deleted?), so its branch is not updated"))
        }
        return list.writeDenial(head).map(APIDecision.deny)
    }

    /// With `ALLOW_OTHER_REPO_READS=false`: reads of other repositories, and reads that list or
    /// search across repositories, are refused; `nil` to go on.
    func readReachDecision(_ segments: [String], facts: APIFacts) -> APIDecision? {
        guard let list = reach.allowedRepositories, !reach.allowOtherRepositoryReads else { return nil }
        if let (repository, rest) = Self.repositoryRoute(segments) {
            switch repositoryName(repository, facts: facts) {
            case .failure(let box): return box.decision
            case .success(let name):
                let denial = list.readDenial(name, allowOtherReads: false) ?? CrossRepositoryRules(reach: reach).readDenial(rest)
                return denial.map(APIDecision.deny)
            }
        }
        if let last = segments.last?.lowercased(), last == "graphql" || last.hasPrefix("graphql.") { return nil }
        if Self.isAccountRead(segments.map { $0.lowercased() }) { return nil }
        let path = "/" + segments.joined(separator: "/")
        return .deny(
            Denial(
                .repositoryNotAllowed,
                "reading '\(path.quotedInRefusal)' is not allowed: it may reach repositories outside ALLOWED_REPOS (ALLOW_OTHER_REPO_READS=false)"))
    }

    /// Reads about the account and GitHub itself that show no repository's content.
    static func isAccountRead(_ path: [String]) -> Bool {
        switch path.count {
        case 0: return true
        case 1: return ["user", "rate_limit", "meta", "zen", "octocat", "emojis", "versions", "licenses", "codes_of_conduct"].contains(path[0])
        case 2: return ["users", "orgs", "licenses", "codes_of_conduct", "gitignore"].contains(path[0]) || path == ["user", "emails"]
        case 3: return path[0] == "gitignore" && path[1] == "templates"
        default: return false
        }
    }

    /// With `ALLOW_OTHER_REPO_READS=false`, a read on github.com itself (`/OWNER/REPO/…`) must
    /// name a listed repository.
    public func webReadDenial(path: String) -> Denial? {
        guard let list = reach.allowedRepositories, !reach.allowOtherRepositoryReads else { return nil }
        guard case .success(let segments) = APIPathText.segments(path), segments.count >= 2 else {
            return Denial(.repositoryNotAllowed, "reading '\(path.quotedInRefusal)' on github.com is not allowed (ALLOW_OTHER_REPO_READS=false)")
        }
        return list.readDenial("\(segments[0])/\(segments[1])", allowOtherReads: false)
    }

    /// Whether the reach rules read the body of this write.
    static func reachNeedsBody(method: String, segments: [String]) -> Bool {
        guard let (_, rest) = repositoryRoute(segments) else { return false }
        return PullRequestRules.needsBody(rest, method: method)
    }

    // MARK: - The session's own branches

    /// This policy, deciding refs of `repository` (`owner/name`), so that `ALLOW_FORCE_PUSH=own`
    /// and `ALLOW_BRANCH_DELETE=own` see which of its branches the agent created, with what the
    /// lookups found so far (a branch's tip, GitHub's compare).
    func within(_ repository: String?, facts: APIFacts) -> APIPolicy {
        var scoped = self
        scoped.repositoryContext = repository
        scoped.branchFacts = facts.reach
        return scoped
    }

    /// The repository a route's refs belong to, when it is known without a lookup or was looked up.
    func repositoryContext(_ repository: APIRepository, facts: APIFacts) -> String? {
        try? repositoryName(repository, facts: facts).get()
    }

    /// Whether a branch is the agent's, as far as the lookups tell.
    enum Ownership: Equatable {
        case own
        case notOwn
        case needs([APILookup])
    }

    /// Whether the ref `name` (as a route names it) is a branch the agent created in the
    /// repository being decided, and still holds what the agent left there.
    func ownership(of name: String) -> Ownership {
        guard let repositoryContext, case .success(let ref) = RefName.parse(name), ref.kind == .branch else { return .notOwn }
        return ownership(branch: ref.fullName, repository: repositoryContext, facts: branchFacts)
    }

    /// The rule a git push applies (`PushFactsGatherer.isOwnBranch`), with GitHub's answers for
    /// the ancestry: a branch in the ledger is the agent's only while GitHub's tip is the last tip
    /// the agent set or descends from it. A branch deleted and re-created by someone else keeps
    /// the name but not that history; an unknown tip (an older state file) or a branch that is
    /// gone is not the agent's (the safe side: only fast-forwards, no deletion under `own`).
    func ownership(branch: String, repository: String, facts: ReachFacts) -> Ownership {
        guard ledger.isOwn(branch: branch, repository: repository), let recorded = ledger.ownTip(branch: branch, repository: repository),
            Self.isObjectID(recorded)
        else { return .notOwn }
        guard let current = facts.branchTip(repository: repository, branch: branch) else {
            return .needs([.reach(.branchTip(repository: repository, branch: branch))])
        }
        guard let current, Self.isObjectID(current) else { return .notOwn }
        if current.lowercased() == recorded.lowercased() { return .own }
        let lookup = ReachLookup.containment(repository: repository, ancestor: recorded, descendant: current)
        guard let contains = facts.containments[lookup] else { return .needs([.reach(lookup)]) }
        return contains ? .own : .notOwn
    }
}

/// A decision carried as an error, so that a `Result` can say "decide this instead".
struct APIDecisionBox: Error {
    let decision: APIDecision
    init(_ decision: APIDecision) { self.decision = decision }
}
