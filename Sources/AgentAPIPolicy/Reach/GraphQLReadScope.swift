import AgentPolicy

/// With `ALLOW_OTHER_REPO_READS=false`: what a GraphQL query, or a mutation's payload, may read.
///
/// GitHub's graph links repositories to each other (owners' other repositories, forks, search,
/// cross-references, issues transferred from elsewhere), so the check walks the whole document
/// with the types of `GraphQLReadSchema` and knows, at each field, where the object it reads
/// lives: in a listed repository, an account, somewhere else, or GitHub itself.
///
/// - Root fields: `repository(owner:, name:)` of a listed repository; `node`/`nodes` of objects
///   in one (looked up, at most `maximumNodeIDs`); the account (`viewer`, `user`, …, whose own
///   fields only); GitHub itself (`rateLimit`, `licenses`, introspection); `search` held to
///   listed repositories by its `repo:` qualifiers (`GraphQLSearchScope`). Nothing else.
/// - Inside a listed repository a field with a selection set must be an edge the schema knows to
///   stay there; an edge to another repository or an object the agent cannot place may only be
///   asked who it is (`identityFields`); an account only its own scalars.
/// - A mutation's payload is the object it wrote, in a repository the write rules allowed, and is
///   walked the same way.
///
/// This is a check on the document: with a GitHub App token (`GITHUB_APP_ID`) GitHub itself also
/// limits the token to the listed repositories.
struct GraphQLReadScope {
    let list: RepositoryAllowlist
    let fragments: [String: GraphQLFragment]
    let variables: GraphQLVariables
    let facts: APIFacts

    /// Where an object a query reaches lives.
    enum Place: Equatable {
        /// In a listed repository, of this type as far as known.
        case repository(type: String)
        case account
        case elsewhere
        case project
        case global
        case introspection
    }

    static let accountRootFields: Set<String> = ["viewer", "user", "organization", "repositoryOwner"]
    static let globalRootFields: Set<String> = ["rateLimit", "meta", "license", "licenses", "codeOfConduct", "codesOfConduct"]

    /// What may be read of another repository or an object the agent cannot place: who it is,
    /// and the settings `gh repo view` shows of a fork's parent.
    static let identityFields: Set<String> = [
        "__typename", "id", "name", "nameWithOwner", "owner", "login", "url", "isPrivate", "isFork", "isArchived", "number",
        "databaseId", "resourcePath", "nodes", "edges", "node", "totalCount", "oid", "abbreviatedOid", "description",
        "hasIssuesEnabled", "hasWikiEnabled", "viewerPermission", "defaultBranchRef",
    ]

    /// Edges an account or GitHub itself may be followed through: lists of them, a team's organisation.
    static let passThroughFields: Set<String> = ["nodes", "edges", "node", "organization"]

    /// At most this many selections are visited (fragments that spread each other are bounded).
    static let maximumVisits = 10_000
    /// At most this many ids in one `nodes(ids:)`, as GitHub itself allows.
    static let maximumNodeIDs = 100

    /// Decides a query's root fields and everything below them.
    func decide(_ selections: [GraphQLSelection]) -> APIDecision {
        var visits = 0
        var lookups: [APILookup] = []
        do {
            for (field, _) in try expand(selections, on: "Query", visits: &visits) {
                if let denial = try root(field, lookups: &lookups, visits: &visits) { return .deny(denial) }
            }
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        let distinct = Set(lookups)
        guard distinct.count <= GraphQLPolicy.maximumLookups else {
            return .deny(
                Denial(
                    .apiRequestInvalid,
                    "the GraphQL request is refused: it names more than \(GraphQLPolicy.maximumLookups) objects the agent would have to look up"))
        }
        return distinct.isEmpty ? .allow : .needs(distinct.sorted { "\($0)" < "\($1)" })
    }

    /// Decides what a mutation's fields select from their payloads.
    func decidePayloads(_ selections: [GraphQLSelection]) -> APIDecision {
        var visits = 0
        do {
            for (field, _) in try expand(selections, on: "Mutation", visits: &visits) {
                let place = Place.repository(type: "MutationPayload")
                if let denial = try nested(field.selections, in: place, visits: &visits) { return .deny(denial) }
            }
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        return .allow
    }

    private func refused(_ why: String) -> Denial {
        Denial(.repositoryNotAllowed, "the GraphQL query is refused: \(why) (ALLOW_OTHER_REPO_READS=false)")
    }

    private func root(_ field: GraphQLField, lookups: inout [APILookup], visits: inout Int) throws(GraphQLShapeError) -> Denial? {
        let place: Place
        switch field.name {
        case "repository":
            guard let owner = try GraphQLValues.argument("owner", of: field, variables: variables)?.string,
                let name = try GraphQLValues.argument("name", of: field, variables: variables)?.string
            else { return refused("'repository' names no owner and name") }
            if let denial = list.readDenial("\(owner)/\(name)", allowOtherReads: false) { return denial }
            place = .repository(type: "Repository")
        case "node", "nodes":
            let argument = try GraphQLValues.argument(field.name == "node" ? "id" : "ids", of: field, variables: variables)
            let ids = argument?.string.map { [$0] } ?? argument?.array?.compactMap(\.string) ?? []
            guard !ids.isEmpty else { return refused("'\(field.name)' names no id") }
            guard ids.count <= Self.maximumNodeIDs else { return refused("'nodes' names more than \(Self.maximumNodeIDs) ids") }
            var places: [Place] = []
            for id in ids {
                switch facts.reach.nodeOwners[id] {
                case .none: lookups.append(.node(id: id))
                case .repository(let repository):
                    if let denial = list.readDenial(repository, allowOtherReads: false) { return denial }
                    places.append(.repository(type: "Node"))
                case .account: places.append(.account)
                case .unplaced(let kind): return refused("'\(id.quotedInRefusal)' is a \(kind.quotedInRefusal), outside the listed repositories")
                }
            }
            // Each place the ids lead to is checked (an account's fields are a subset of a node's).
            for place in places {
                if let denial = try nested(field.selections, in: place, visits: &visits) { return denial }
            }
            return nil
        case "search":
            if let why = try GraphQLSearchScope(list: list).refusal(field, variables: variables) { return refused(why) }
            place = .repository(type: "SearchResultItemConnection")
        case "__typename":
            return nil
        case "__schema", "__type":
            place = .introspection
        default:
            if Self.accountRootFields.contains(field.name) {
                place = .account
            } else if Self.globalRootFields.contains(field.name) {
                place = .global
            } else {
                return refused("'\(field.name.quotedInRefusal)' may reach repositories outside ALLOWED_REPOS (\(list.listed))")
            }
        }
        return try nested(field.selections, in: place, visits: &visits)
    }

    /// The fields below an object in `place`, recursively.
    private func nested(_ selections: [GraphQLSelection], in place: Place, visits: inout Int) throws(GraphQLShapeError) -> Denial? {
        if case .introspection = place { return nil }
        let type: String
        if case .repository(let known) = place { type = known } else { type = "" }
        for (field, fieldType) in try expand(selections, on: type, visits: &visits) {
            let name = field.name
            let inner: Place
            switch place {
            case .introspection:
                return nil
            case .elsewhere, .project:
                guard Self.identityFields.contains(name) || (name == "title" && place == .project) else {
                    return refused("only who another repository or object is may be read, not '\(name.quotedInRefusal)'")
                }
                inner = .elsewhere
            case .account, .global:
                if field.selections.isEmpty { continue }
                guard Self.passThroughFields.contains(name) else {
                    let what: String
                    switch place {
                    case .account: what = "an account"
                    default: what = "GitHub itself"
                    }
                    return refused("'\(name.quotedInRefusal)' of \(what) may list objects of repositories outside ALLOWED_REPOS (\(list.listed))")
                }
                inner = place
            case .repository:
                if field.selections.isEmpty { continue }
                switch GraphQLReadSchema.target(of: name, on: fieldType) {
                case .none:
                    return refused(
                        "'\(name.quotedInRefusal)' of \(fieldType.quotedInRefusal) is not known to stay inside the repositories in ALLOWED_REPOS (\(list.listed))"
                    )
                case .object(let next): inner = .repository(type: next)
                case .account: inner = .account
                case .elsewhere: inner = .elsewhere
                case .project: inner = .project
                case .global: inner = .global
                }
            }
            if let denial = try nested(field.selections, in: inner, visits: &visits) { return denial }
        }
        return nil
    }

    /// The fields of a selection set on an object of `type`, fragments expanded, each with the
    /// type it is read on: a fragment's type condition narrows an interface or a union; on a
    /// known concrete type it cannot name another one (GitHub refuses such a document).
    private func expand(_ selections: [GraphQLSelection], on type: String, visits: inout Int) throws(GraphQLShapeError) -> [(GraphQLField, String)] {
        var fields: [(GraphQLField, String)] = []
        var visiting: Set<String> = []
        try expand(selections, on: type, visits: &visits, visiting: &visiting, into: &fields)
        return fields
    }

    private func expand(
        _ selections: [GraphQLSelection], on type: String, visits: inout Int, visiting: inout Set<String>, into fields: inout [(GraphQLField, String)]
    ) throws(GraphQLShapeError) {
        func narrowed(_ condition: String?) -> String {
            guard let condition, GraphQLReadSchema.abstractTypes.contains(type) || !GraphQLReadSchema.isKnown(type) else { return type }
            return condition
        }
        for selection in selections {
            visits += 1
            guard visits <= Self.maximumVisits else {
                throw GraphQLShapeError(description: "the query expands to more than \(Self.maximumVisits) selections")
            }
            switch selection {
            case .field(let field): fields.append((field, type))
            case .inlineFragment(let condition, let inner):
                try expand(inner, on: narrowed(condition), visits: &visits, visiting: &visiting, into: &fields)
            case .fragmentSpread(let name):
                guard !visiting.contains(name), let fragment = fragments[name] else {
                    throw GraphQLShapeError(description: "fragment '\(name.quotedInRefusal)' is not defined or spreads itself")
                }
                visiting.insert(name)
                try expand(fragment.selections, on: narrowed(fragment.typeCondition), visits: &visits, visiting: &visiting, into: &fields)
                visiting.remove(name)
            }
        }
    }
}
