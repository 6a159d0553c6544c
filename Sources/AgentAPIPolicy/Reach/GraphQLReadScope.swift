import AgentPolicy

/// With `ALLOW_OTHER_REPO_READS=false`: which GraphQL queries may run.
///
/// GitHub's graph links repositories to each other (forks, owners' other repositories, search,
/// cross-references), so a query is held to what stays in the listed repositories: its root
/// fields are `repository(owner:, name:)` of a listed repository, `node`/`nodes` of objects in
/// one (looked up), or the account and GitHub itself (`viewer`, `user`, `rateLimit`, …); no field
/// at any depth may be one that lists or searches repositories (`crossRepositoryFields`), and
/// the fields that point at one other repository or object (`identityOnlyFields`: a fork's
/// parent, a pull request's head repository, a cross-reference's source) may only be asked who
/// they are, not what they hold. This is a check on the query text: with a GitHub App token
/// (`GITHUB_APP_ID`) GitHub itself limits the token to the listed repositories as well.
struct GraphQLReadScope {
    let list: RepositoryAllowlist
    let fragments: [String: GraphQLFragment]
    let variables: GraphQLVariables
    let facts: APIFacts

    static let accountRootFields: Set<String> = [
        "viewer", "user", "organization", "repositoryOwner", "rateLimit", "meta", "license", "licenses", "codeOfConduct",
        "codesOfConduct", "__typename", "__schema", "__type",
    ]

    static let crossRepositoryFields: Set<String> = [
        "repositories", "forks", "starredRepositories", "repositoriesContributedTo", "topRepositories", "pinnedItems",
        "pinnableItems", "itemShowcase", "gist", "gists", "watching", "contributionsCollection", "repositoryDiscussions",
        "repositoryDiscussionComments", "search", "resource", "organizations", "sponsoring", "sponsors",
        "sponsorshipsAsMaintainer", "sponsorshipsAsSponsor", "recentProjects", "projectsV2", "projectV2", "projects", "items",
        "lists", "enterprises", "packages",
    ]

    /// Connections that, right under an account, list its objects in every repository.
    static let accountConnectionFields: Set<String> = [
        "issues", "pullRequests", "issueComments", "commitComments", "gistComments", "repositoryDiscussions",
        "repositoryDiscussionComments",
    ]

    static let identityOnlyFields: Set<String> = [
        "parent", "source", "templateRepository", "headRepository", "commitRepository", "subject", "canonical", "duplicate",
        "closingIssuesReferences", "trackedIssues", "trackedInIssues", "crossReferencedEvent", "target",
    ]

    static let identityFields: Set<String> = [
        "__typename", "id", "name", "nameWithOwner", "owner", "login", "url", "isPrivate", "isFork", "isArchived", "number",
        "databaseId", "resourcePath", "nodes", "edges", "node", "totalCount", "oid", "abbreviatedOid",
    ]

    /// At most this many selections are visited (fragments that spread each other are bounded).
    static let maximumVisits = 10_000

    func decide(_ selections: [GraphQLSelection]) -> APIDecision {
        var visits = 0
        var lookups: [APILookup] = []
        do {
            for field in try expand(selections, visits: &visits) {
                if let denial = try root(field, lookups: &lookups, visits: &visits) { return .deny(denial) }
            }
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        return lookups.isEmpty ? .allow : .needs(Array(Set(lookups)).sorted { "\($0)" < "\($1)" })
    }

    private func refused(_ why: String) -> Denial {
        Denial(.repositoryNotAllowed, "the GraphQL query is refused: \(why) (ALLOW_OTHER_REPO_READS=false)")
    }

    private func root(_ field: GraphQLField, lookups: inout [APILookup], visits: inout Int) throws(GraphQLShapeError) -> Denial? {
        switch field.name {
        case "repository":
            guard let owner = try GraphQLValues.argument("owner", of: field, variables: variables)?.string,
                let name = try GraphQLValues.argument("name", of: field, variables: variables)?.string
            else { return refused("'repository' names no owner and name") }
            if let denial = list.readDenial("\(owner)/\(name)", allowOtherReads: false) { return denial }
        case "node", "nodes":
            let argument = try GraphQLValues.argument(field.name == "node" ? "id" : "ids", of: field, variables: variables)
            let ids = argument?.string.map { [$0] } ?? argument?.array?.compactMap(\.string) ?? []
            guard !ids.isEmpty else { return refused("'\(field.name)' names no id") }
            for id in ids {
                switch facts.reach.nodeOwners[id] {
                case .none: lookups.append(.node(id: id))
                case .repository(let repository): if let denial = list.readDenial(repository, allowOtherReads: false) { return denial }
                case .account: break
                case .unplaced(let kind): return refused("'\(id.quotedInRefusal)' is a \(kind.quotedInRefusal), outside the listed repositories")
                }
            }
        default:
            guard Self.accountRootFields.contains(field.name) else {
                return refused("'\(field.name.quotedInRefusal)' may reach repositories outside ALLOWED_REPOS (\(list.listed))")
            }
        }
        return try nested(field.selections, identityOnly: false, underAccount: field.name != "repository", visits: &visits)
    }

    private func nested(
        _ selections: [GraphQLSelection], identityOnly: Bool, underAccount: Bool, visits: inout Int
    ) throws(GraphQLShapeError) -> Denial? {
        for field in try expand(selections, visits: &visits) {
            if underAccount, Self.accountConnectionFields.contains(field.name) {
                return refused("'\(field.name)' of an account lists objects of every repository")
            }
            if identityOnly, !Self.identityFields.contains(field.name) {
                return refused("only who another repository or object is may be read, not '\(field.name.quotedInRefusal)'")
            }
            if Self.crossRepositoryFields.contains(field.name) || (field.name == "repository" && !field.arguments.isEmpty) {
                return refused("'\(field.name.quotedInRefusal)' may reach repositories outside ALLOWED_REPOS (\(list.listed))")
            }
            let inner = identityOnly || Self.identityOnlyFields.contains(field.name)
            if let denial = try nested(field.selections, identityOnly: inner, underAccount: false, visits: &visits) { return denial }
        }
        return nil
    }

    /// The fields of a selection set, fragments expanded.
    private func expand(_ selections: [GraphQLSelection], visits: inout Int) throws(GraphQLShapeError) -> [GraphQLField] {
        var fields: [GraphQLField] = []
        var visiting: Set<String> = []
        try expand(selections, visits: &visits, visiting: &visiting, into: &fields)
        return fields
    }

    private func expand(
        _ selections: [GraphQLSelection], visits: inout Int, visiting: inout Set<String>, into fields: inout [GraphQLField]
    ) throws(GraphQLShapeError) {
        for selection in selections {
            visits += 1
            guard visits <= Self.maximumVisits else {
                throw GraphQLShapeError(description: "the query expands to more than \(Self.maximumVisits) selections")
            }
            switch selection {
            case .field(let field): fields.append(field)
            case .inlineFragment(_, let inner): try expand(inner, visits: &visits, visiting: &visiting, into: &fields)
            case .fragmentSpread(let name):
                guard !visiting.contains(name), let fragment = fragments[name] else {
                    throw GraphQLShapeError(description: "fragment '\(name.quotedInRefusal)' is not defined or spreads itself")
                }
                visiting.insert(name)
                try expand(fragment.selections, visits: &visits, visiting: &visiting, into: &fields)
                visiting.remove(name)
            }
        }
    }
}

extension GraphQLPolicy {
    /// A query: allowed, unless `ALLOW_OTHER_REPO_READS=false` holds it to the listed repositories.
    func decideQuery(_ operation: GraphQLOperation, document: GraphQLDocument, body: JSONValue, facts: APIFacts) -> APIDecision {
        guard let list = api.reach.allowedRepositories, !api.reach.allowOtherRepositoryReads else { return .allow }
        // The policy's own parse drops what fields select; this check reads every depth.
        let full: GraphQLDocument
        do {
            full = try GraphQLParser.parse(body["query"]?.string ?? "", keepingFieldSelections: true)
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description.prefix(200))"))
        }
        guard let index = document.operations.firstIndex(of: operation), full.operations.indices.contains(index) else {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: its operation cannot be found again"))
        }
        let chosen = full.operations[index]
        let variables: GraphQLVariables
        do {
            variables = try GraphQLVariables(body["variables"], definitions: chosen.variables)
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        return GraphQLReadScope(list: list, fragments: full.fragments, variables: variables, facts: facts).decide(chosen.selections)
    }
}
