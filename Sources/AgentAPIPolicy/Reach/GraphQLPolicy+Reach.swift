import AgentPolicy

/// The token's reach in GraphQL mutations: every repository a mutation names, by
/// `repositoryNameWithOwner` or by node id (looked up: a repository, or an object that belongs to
/// one), must be in `ALLOWED_REPOS`; escapes are refused by name; approvals and bases follow
/// `PullRequestRules`. Aliases, fragments and variables are resolved before any of this.
extension GraphQLPolicy {
    /// Argument keys that name people or labels, not where a mutation writes: not looked up.
    static let principalKeys: Set<String> = [
        "clientMutationId", "userIds", "teamIds", "botIds", "assigneeIds", "reviewerIds", "labelIds", "actorIds",
    ]

    /// Decides one top-level mutation field: the reach rules, then the ref rules within the
    /// repository it touches.
    func decideWithinReach(_ field: GraphQLField, variables: GraphQLVariables, facts: APIFacts) -> APIDecision {
        let name = field.name
        if let denial = RepositoryEscapes.graphQLDenial(name) { return .deny(denial) }
        let input: JSONValue
        let targets: MutationTargets
        do {
            input = try GraphQLValues.argument("input", of: field, variables: variables) ?? .null
            targets = try MutationTargets(field, variables: variables)
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        if let decision = PullRequestRules(reach: api.reach).decide(mutation: name, input: input) { return decision }
        if let denial = CrossRepositoryRules(reach: api.reach).mutationDenial(name, input: input) { return .deny(denial) }
        guard let list = api.reach.allowedRepositories else { return decide(field, variables: variables, facts: facts) }
        var repositories: [String] = []
        var lookups: [APILookup] = []
        var refusal: Denial?
        func place(_ repository: String) {
            repositories.append(repository)
            if refusal == nil { refusal = list.writeDenial(repository) }
        }
        for repository in targets.names { place(repository) }
        for id in targets.ids {
            switch facts.reach.nodeOwners[id] {
            case .none: lookups.append(.node(id: id))
            case .repository(let repository): place(repository)
            case .account: continue
            case .unplaced(let kind):
                refusal =
                    refusal
                    ?? Denial(
                        .repositoryNotAllowed,
                        "GraphQL mutation '\(name)' names a \(kind.quotedInRefusal), which is not in a repository in ALLOWED_REPOS (\(list.listed))")
            }
        }
        // Updating a pull request's branch writes into its head repository, perhaps a fork.
        if name == "updatePullRequestBranch", let id = input["pullRequestId"]?.string, facts.reach.nodeOwners[id] != nil {
            if let head = facts.reach.nodeHeadRepositories[id] {
                place(head)
            } else {
                refusal = refusal ?? Denial(.repositoryNotAllowed, "the pull request's head repository is unknown (deleted?), so its branch is not updated")
            }
        }
        // The field's own rules first (their refusals name the branch), within the one repository
        // it touches, so that `own` sees the agent's branches there.
        let distinct = Set(repositories.map { $0.lowercased() })
        let own = GraphQLPolicy(api: api.within(distinct.count == 1 ? repositories.first : nil, facts: facts)).decide(field, variables: variables, facts: facts)
        switch own {
        case .deny: return own
        case .needs(let more): lookups += more
        case .allow: break
        }
        if let refusal { return .deny(refusal) }
        if !lookups.isEmpty { return .needs(Array(Set(lookups)).sorted { "\($0)" < "\($1)" }) }
        guard !repositories.isEmpty else {
            return .deny(
                Denial(.repositoryNotAllowed, "GraphQL mutation '\(name.quotedInRefusal)' names no repository in ALLOWED_REPOS (\(list.listed))"))
        }
        return own
    }
}

/// What a mutation field names: repositories by `repositoryNameWithOwner`, and node ids (keys
/// `id`, `…Id`, `…Ids`, `inReplyTo`) in any of its arguments, at any depth, except `principalKeys`.
struct MutationTargets {
    private(set) var names: [String] = []
    private(set) var ids: [String] = []

    init(_ field: GraphQLField, variables: GraphQLVariables) throws(GraphQLShapeError) {
        for argument in field.arguments {
            collect(try GraphQLValues.json(argument.value, variables: variables, depth: 0), key: argument.name, depth: 0)
        }
    }

    private mutating func collect(_ value: JSONValue, key: String?, depth: Int) {
        guard depth < 32 else { return }
        if let key, GraphQLPolicy.principalKeys.contains(key) { return }
        switch value {
        case .object(let object):
            for (inner, element) in object.sorted(by: { $0.key < $1.key }) { collect(element, key: inner, depth: depth + 1) }
        case .array(let elements):
            for element in elements { collect(element, key: key.map { $0.hasSuffix("Ids") ? String($0.dropLast()) : $0 }, depth: depth + 1) }
        case .string(let text):
            guard let key else { return }
            if key == "repositoryNameWithOwner" {
                names.append(text)
            } else if key == "id" || key.hasSuffix("Id") || key == "inReplyTo" {
                if !ids.contains(text) { ids.append(text) }
            }
        default:
            break
        }
    }
}
