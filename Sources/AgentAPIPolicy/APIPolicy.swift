import AgentPolicy

/// Decides GitHub API requests with the same ref policy as pushes.
///
/// - Reads (`GET`, `HEAD`) pass.
/// - Writes that change a ref (contents, git refs, merges, update-branch, branch rename, merging a
///   pull request) are decided by `RefPolicy` on the ref they would really change: the body's
///   `branch`, or the repository's default branch, or the pull request's base or head, which the
///   proxy looks up first (`APIDecision.needs`).
/// - Repository administration is denied; known harmless writes (issues, pull requests, comments,
///   labels, reviews, reactions, releases, git objects) pass; `POST /graphql` goes to
///   `GraphQLPolicy`; any other write is denied unless `ALLOWED_API_WRITES` lists it.
///
/// Routes match case-insensitively, after one %-decoding, and `/repositories/ID/…` is the same
/// as `/repos/OWNER/REPO/…`.
public struct APIPolicy: Sendable {
    public let refs: RefPolicy
    public let settings: APISettings
    /// `PROTECTED_PATHS` and `SECRET_SCAN` on what writes carry (`APIContentPolicy`, issue 14).
    public let content: APIContentPolicy
    /// Repositories, approvals, pull request bases (issue 15: `APIPolicy+Reach.swift`).
    public let reach: ReachSettings
    /// The agent's own branches and remembered deletions, for `own` and re-creations.
    public let ledger: any BranchLedgerReading
    /// The repository whose refs are being decided (`within`), when known.
    var repositoryContext: String?
    /// What the lookups found about branches of `repositoryContext` (`within`).
    var branchFacts = ReachFacts()

    public init(
        refs: RefPolicy, settings: APISettings, content: APIContentPolicy = .disabled, reach: ReachSettings = .unrestricted,
        ledger: any BranchLedgerReading = EmptyBranchLedger()
    ) {
        self.refs = refs
        self.settings = settings
        self.content = content
        self.reach = reach
        self.ledger = ledger
    }

    /// Whether the decision for this request needs its JSON body.
    public func needsBody(method: String, path: String) -> Bool {
        let method = method.uppercased()
        guard method != "GET", method != "HEAD", case .success(let parsed) = APIPath.parse(path) else { return false }
        let segments = parsed.segments
        if segments.count == 1, segments.word(0, is: "graphql") { return true }
        if content.needsBody(segments: segments) { return true }
        if Self.reachNeedsBody(method: method, segments: segments) { return true }
        guard let (_, rest) = Self.repositoryRoute(segments) else { return false }
        if rest.isEmpty { return method == "PATCH" }
        if rest.word(0, is: "contents") || rest.word(0, is: "merges") || rest.word(0, is: "merge-upstream") { return true }
        if rest.word(0, is: "git"), rest.word(1, is: "refs") { return method == "POST" || method == "PATCH" }
        if rest.word(0, is: "branches"), rest.last?.lowercased() == "rename" { return true }
        if rest.word(0, is: "pulls"), rest.count == 2, method == "PATCH" { return true }
        return false
    }

    public func decide(_ request: APIRequest, facts: APIFacts = APIFacts()) -> APIDecision {
        if request.isRead { return decideRead(request, facts: facts) }
        let segments: [String]
        switch APIPath.parse(request.path) {
        case .success(let path): segments = path.segments
        case .failure(let denial): return .deny(denial)
        }
        // The content rules (issue 14) refine what the route allows.
        return content.refine(decideWrite(request, segments: segments, facts: facts), request, segments: segments, facts: facts)
    }

    private func decideWrite(_ request: APIRequest, segments: [String], facts: APIFacts) -> APIDecision {
        let method = request.method
        let shown = "\(method) \(request.path.quotedInRefusal)"
        switch APIQuery.parse(request.query) {
        case .failure(let denial): return .deny(denial)
        case .success(let query):
            let harmless = Self.harmlessWriteParameters(method: method, segments: segments)
            if let key = query.keys.first(where: { !harmless.contains($0.lowercased()) }) {
                return .deny(
                    Denial(
                        .apiRequestInvalid,
                        "\(shown) is refused: query parameter '\(key.prefix(64))' on a write (GitHub reads query parameters like body fields)"))
            }
        }
        if request.bodyIsUnreadable, needsBody(method: method, path: request.path) {
            return invalidBody(shown, "its body is not JSON the agent can read exactly one way (malformed, a key given twice, or more than 200000 values)")
        }
        if let decision = reachDecision(request, segments: segments, shown: shown, facts: facts) { return decision }
        if segments.count == 1, segments.word(0, is: "graphql"), method == "POST" {
            return GraphQLPolicy(api: self).decide(body: request.body, facts: facts, throughGET: false)
        }
        if let (repository, rest) = Self.repositoryRoute(segments) {
            let scoped = within(repositoryContext(repository, facts: facts), facts: facts)
            if let decision = scoped.decideRepository(repository, rest, request, shown: shown, facts: facts) { return decision }
        }
        if settings.extraWrites.contains(where: { $0.matches(method: method, segments: segments) }) { return .allow }
        return .deny(Denial(.apiWriteNotAllowed, "\(shown) is not an API write the agent allows (ALLOWED_API_WRITES can add it)"))
    }

    /// Reads pass, except GraphQL through `GET /graphql?query=…`, which is decided like a body
    /// and may only run a query.
    private func decideRead(_ request: APIRequest, facts: APIFacts) -> APIDecision {
        // Reads go to the route the path names after decoding, like writes: a path that decodes
        // to '..', '//' or another layer of escapes is refused here too.
        let segments: [String]
        switch APIPath.parse(request.path) {
        case .success(let path): segments = path.segments
        case .failure(let denial): return .deny(denial)
        }
        if let decision = readReachDecision(segments, facts: facts) { return decision }
        guard let last = segments.last?.lowercased(), last == "graphql" || last.hasPrefix("graphql.") else { return .allow }
        let query: APIQuery
        switch APIQuery.parse(request.query) {
        case .success(let parsed): query = parsed
        case .failure(let denial): return .deny(denial)
        }
        if query.isEmpty { return .allow }
        if let key = query.keys.first(where: { !["query", "operationName", "variables"].contains($0) }) {
            return invalidBody(
                "\(request.method) \(request.path)", "GraphQL through GET takes query, operationName and variables only, not '\(key.prefix(64))'")
        }
        var body: [String: JSONValue] = [:]
        if let text = query["query"] { body["query"] = .string(text) }
        if let name = query["operationName"] { body["operationName"] = .string(name) }
        if let variables = query["variables"] {
            guard let parsed = JSONValue.parse(Array(variables.utf8)) else {
                return invalidBody("\(request.method) \(request.path)", "its variables are not JSON the agent can read exactly one way")
            }
            body["variables"] = parsed
        }
        return GraphQLPolicy(api: self).decide(body: .object(body), facts: facts, throughGET: true)
    }

    /// Query parameters a write may carry because GitHub documents them and they change no ref:
    /// the name and label of a release asset upload.
    static func harmlessWriteParameters(method: String, segments: [String]) -> Set<String> {
        if method == "POST", let (_, rest) = repositoryRoute(segments), rest.count == 3, rest.word(0, is: "releases"),
            rest.word(2, is: "assets")
        {
            return ["name", "label"]
        }
        return []
    }

    /// `repos/OWNER/REPO/rest…` or `repositories/ID/rest…`.
    static func repositoryRoute(_ segments: [String]) -> (APIRepository, [String])? {
        if segments.word(0, is: "repos"), segments.count >= 3 {
            return (.named(owner: segments[1], name: segments[2]), Array(segments.dropFirst(3)))
        }
        if segments.word(0, is: "repositories"), segments.count >= 2 {
            return (.identifier(segments[1]), Array(segments.dropFirst(2)))
        }
        return nil
    }

    // MARK: - Repository routes

    private func decideRepository(
        _ repository: APIRepository,
        _ rest: [String],
        _ request: APIRequest,
        shown: String,
        facts: APIFacts
    ) -> APIDecision? {
        let method = request.method
        let body = request.body
        func administration() -> APIDecision {
            .deny(Denial(.apiAdministration, "repository administration is not allowed through the agent: \(shown)"))
        }
        guard let first = rest.first?.lowercased() else {
            switch method {
            case "PATCH": return decideRepositoryEdit(body, shown: shown)
            default: return administration()
            }
        }
        switch first {
        case "contents" where rest.count >= 2 && (method == "PUT" || method == "DELETE"):
            switch body.stringField("branch") {
            case .value(let branch): return ref(branch: branch, .update)
            case .wrongType: return invalidBody(shown, "its 'branch' is not a string")
            case .absent:
                guard let branch = facts.defaultBranches[repository] else { return .needs([.defaultBranch(repository)]) }
                return ref(branch: branch, .update)
            }
        case "git" where rest.word(1, is: "refs"):
            let name = rest.dropFirst(2).joined(separator: "/")
            switch method {
            case "POST" where rest.count == 2:
                guard case .value(let target) = body.stringField("ref") else { return invalidBody(shown, "it names no 'ref' (a string)") }
                return ref(target, .create)
            case "PATCH" where !name.isEmpty:
                switch body.flagField("force") {
                case .wrongType: return invalidBody(shown, "its 'force' is not true or false")
                case .value(let forced): return ref(name, .update, forced: forced)
                case .absent: return ref(name, .update)
                }
            case "DELETE" where !name.isEmpty: return ref(name, .delete)
            default: return nil
            }
        case "git" where rest.count == 2 && method == "POST" && ["blobs", "trees", "commits", "tags"].contains(rest[1].lowercased()):
            return .allow  // objects only; no ref changes
        case "merges" where method == "POST" && rest.count == 1:
            // The REST form of GraphQL mergeBranch, behind the same setting.
            guard settings.allowPullRequestMerge else { return mergeDisabled() }
            guard case .value(let base) = body.stringField("base") else { return invalidBody(shown, "it names no 'base' (a string)") }
            return ref(branch: base, .update)
        case "merge-upstream" where method == "POST" && rest.count == 1:
            guard case .value(let branch) = body.stringField("branch") else { return invalidBody(shown, "it names no 'branch' (a string)") }
            return ref(branch: branch, .update)
        case "branches" where rest.count >= 3 && rest.last?.lowercased() == "rename" && method == "POST":
            let old = rest.dropFirst().dropLast().joined(separator: "/")
            guard case .value(let new) = body.stringField("new_name") else { return invalidBody(shown, "it names no 'new_name' (a string)") }
            return both(ref(branch: old, .delete), ref(branch: new, .create))
        case "branches" where rest.contains(where: { $0.lowercased() == "protection" }):
            return administration()
        case "pulls":
            return decidePullRequests(repository, rest, method, body, shown: shown, facts: facts)
        case "rulesets", "transfer", "collaborators", "invitations", "hooks", "keys", "environments", "dependabot",
            "codespaces", "pages", "autolinks", "topics", "vulnerability-alerts", "automated-security-fixes",
            "interaction-limits", "properties", "security-advisories", "teams", "tags":
            return administration()
        case "actions" where rest.contains(where: { ["secrets", "variables", "permissions", "runners", "oidc"].contains($0.lowercased()) }):
            return administration()
        case "issues" where rest.count >= 3 && ["sub_issues", "sub_issue", "dependencies"].contains(rest[2].lowercased()):
            // They name another issue by id, perhaps of another repository of the owner (like
            // GraphQL's addSubIssue and addBlockedBy): only through ALLOWED_API_WRITES.
            return nil
        case "issues", "labels", "milestones", "comments", "releases", "forks":
            return .allow
        default:
            return nil
        }
    }

    private func decidePullRequests(
        _ repository: APIRepository,
        _ rest: [String],
        _ method: String,
        _ body: JSONValue?,
        shown: String,
        facts: APIFacts
    ) -> APIDecision? {
        if rest.count == 1 { return method == "POST" ? .allow : nil }
        if rest.word(1, is: "comments") { return .allow }
        guard let number = Int(rest[1]) else { return nil }
        let key = APIPullRequestKey(repository, number)
        if rest.count == 2 {
            guard method == "PATCH" else { return nil }
            // Moving a pull request's base is decided like a write to the new base.
            switch body.stringField("base") {
            case .value(let base): return ref(branch: base, .update)
            case .wrongType: return invalidBody(shown, "its 'base' is not a string")
            case .absent: return .allow
            }
        }
        switch rest[2].lowercased() {
        case "merge" where method == "PUT":
            guard settings.allowPullRequestMerge else { return mergeDisabled() }
            guard let pull = facts.pullRequests[key] else { return .needs([.pullRequest(repository, number: number)]) }
            return ref(branch: pull.base, .update)
        case "update-branch" where method == "PUT":
            guard let pull = facts.pullRequests[key] else { return .needs([.pullRequest(repository, number: number)]) }
            return ref(branch: pull.head, .update)
        case "reviews", "comments", "requested_reviewers":
            return .allow
        default:
            return nil
        }
    }

    /// `PATCH /repos/o/r`: only the description and the home page may change.
    private func decideRepositoryEdit(_ body: JSONValue?, shown: String) -> APIDecision {
        guard let body, case .object = body else { return invalidBody(shown, "the body is not a JSON object") }
        let harmless: Set<String> = ["description", "homepage"]
        let changes = body.objectKeys.subtracting(harmless).sorted()
        guard changes.isEmpty else {
            return .deny(
                Denial(.apiAdministration, "repository administration is not allowed through the agent: \(shown) changes \(changes.joined(separator: ", "))"))
        }
        return .allow
    }

    // MARK: - Helpers shared with GraphQLPolicy

    /// The ref policy on `name`; whether the branch is the agent's is looked up only when that
    /// decides it (`ownership`).
    func ref(_ name: String, _ change: RefUpdate.Change, forced: Bool = false) -> APIDecision {
        func decide(isOwn: Bool) -> Decision {
            refs.decide(RefUpdate(ref: name, change: change, isForced: forced, isOwnBranch: isOwn))
        }
        guard case .deny(let denial) = decide(isOwn: false) else { return .allow }
        guard case .allow = decide(isOwn: true) else { return .deny(denial) }
        switch ownership(of: name) {
        case .own: return .allow
        case .notOwn: return .deny(denial)
        case .needs(let lookups): return .needs(lookups)
        }
    }

    /// `ref` for a field or route that names a branch by its short name, which GitHub takes
    /// literally (`RefName.parseBranchName`): `heads/x` is the branch `heads/x`, never `x`.
    func ref(branch name: String, _ change: RefUpdate.Change, forced: Bool = false) -> APIDecision {
        switch RefName.parseBranchName(name) {
        case .success(let ref): return self.ref(ref.fullName, change, forced: forced)
        case .failure(.invalid(_, let rule)):
            return .deny(Denial(.refInvalid, "'\(name.quotedInRefusal)' is not a valid ref name (\(rule))"))
        case .failure(.outsideNamespace):
            return .deny(Denial(.refInvalid, "'\(name.quotedInRefusal)' is not a branch"))
        }
    }

    /// Both decisions: a refusal first, then every lookup either needs.
    func both(_ first: APIDecision, _ second: APIDecision) -> APIDecision {
        switch (first, second) {
        case (.deny, _), (.needs, .allow): return first
        case (_, .deny), (.allow, _): return second
        case (.needs(let one), .needs(let other)): return .needs(Array(Set(one + other)).sorted { "\($0)" < "\($1)" })
        }
    }

    func mergeDisabled() -> APIDecision {
        .deny(Denial(.pullRequestMergeDisabled, "merging pull requests is not allowed (ALLOW_PR_MERGE=false)"))
    }

    func invalidBody(_ shown: String, _ why: String) -> APIDecision {
        .deny(Denial(.apiRequestInvalid, "\(shown) is refused: \(why)"))
    }
}
