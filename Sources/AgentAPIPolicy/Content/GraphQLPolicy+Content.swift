import AgentPolicy

extension GraphQLPolicy {
    /// The content rules on one mutation field: `createCommitOnBranch`'s file changes (paths and
    /// content); ref creations and updates (`createRef`, `updateRef`, `updateRefs`,
    /// `createLinkedBranch`) by the files the new commit changes relative to the old one (the
    /// default branch for a new ref); merges (`mergeBranch`, `mergePullRequest`, auto-merge,
    /// merge queue) and `revertPullRequest` by the files they bring.
    func content(_ field: GraphQLField, variables: GraphQLVariables, facts: APIFacts) -> APIDecision {
        let policy = api.content
        guard policy.isActive else { return .allow }
        let input: JSONValue
        do {
            input = try GraphQLValues.argument("input", of: field, variables: variables) ?? .null
        } catch {
            return .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(error.description)"))
        }
        switch field.name {
        case "createCommitOnBranch":
            return fileChanges(input["fileChanges"], policy: policy)
        case "createRef", "createLinkedBranch":
            guard case .value(let oid) = Optional(input).stringField("oid") else { return .allow }  // the default branch's head
            return repository(input, facts: facts) { repository, defaultBranch in
                guard let defaultBranch else { return policy.invalid("the repository has no default branch to compare the new ref with") }
                return policy.changes(.compare(repository, base: defaultBranch, head: oid), facts: facts)
            }
        case "updateRef":
            guard case .value(let oid) = Optional(input).stringField("oid"), let id = input["refId"]?.string else { return .allow }
            let lookup = ContentLookup.refNode(id: id)
            switch facts.content.answers[lookup] {
            case .none: return policy.rules.checksPaths ? .needs([.content(lookup)]) : .allow
            case .reference(let repository, _, let target):
                return policy.update(repository, from: target, to: oid, facts: facts)
            case .some: return policy.invalid("'\(id.quotedInRefusal)' is not a ref")
            }
        case "updateRefs":
            guard let updates = input["refUpdates"]?.array else { return .allow }
            return repository(input, facts: facts) { repository, defaultBranch in
                var decision = APIDecision.allow
                for update in updates {
                    let fields = Optional(update)
                    guard case .value(let after) = fields.stringField("afterOid"), !after.allSatisfy({ $0 == "0" }) else { continue }
                    if case .value(let before) = fields.stringField("beforeOid"), !before.allSatisfy({ $0 == "0" }) {
                        decision = decision.merged(with: policy.update(repository, from: before, to: after, facts: facts))
                    } else if let defaultBranch {
                        decision = decision.merged(with: policy.changes(.compare(repository, base: defaultBranch, head: after), facts: facts))
                    } else {
                        return policy.invalid("the repository has no default branch to compare the new ref with")
                    }
                }
                return decision
            }
        case "mergeBranch":
            guard case .value(let base) = Optional(input).stringField("base"), case .value(let head) = Optional(input).stringField("head") else {
                return .allow
            }
            return repository(input, facts: facts) { repository, _ in policy.changes(.compare(repository, base: base, head: head), facts: facts) }
        case "mergePullRequest", "enablePullRequestAutoMerge", "enqueuePullRequest", "revertPullRequest":
            guard policy.rules.checksPaths, let id = input["pullRequestId"]?.string else { return .allow }
            let lookup = ContentLookup.pullRequestNode(id: id)
            switch facts.content.answers[lookup] {
            case .none: return .needs([.content(lookup)])
            case .pullRequest(let repository, let number): return policy.changes(.pullRequestFiles(repository, number: number), facts: facts)
            case .some: return policy.invalid("'\(id.quotedInRefusal)' is not a pull request")
            }
        default:
            return .allow
        }
    }

    /// `fileChanges`: every path added or deleted is checked; added contents (base64) scanned.
    private func fileChanges(_ changes: JSONValue?, policy: APIContentPolicy) -> APIDecision {
        guard let changes else { return .allow }
        for (key, isAddition) in [("additions", true), ("deletions", false)] {
            for change in changes[key]?.array ?? [] {
                guard case .value(let path) = Optional(change).stringField("path") else {
                    return policy.invalid("createCommitOnBranch: a file change has no 'path' (a string)")
                }
                if policy.rules.checksPaths, policy.rules.protection(ofRequested: path) != nil { return .deny(ContentDenial.protectedPath(path)) }
                guard isAddition else { continue }
                switch Optional(change).stringField("contents") {
                case .absent: continue
                case .wrongType: return policy.invalid("createCommitOnBranch: 'contents' is not a string")
                case .value(let encoded):
                    guard let bytes = Base64Content.decode(encoded) else {
                        return policy.invalid("createCommitOnBranch: 'contents' is not base64 the agent can read")
                    }
                    let decision = policy.scan(bytes, path: path, place: ContentDenial.quoted(path))
                    if case .deny = decision { return decision }
                }
            }
        }
        return .allow
    }

    /// The repository a mutation names by `repositoryId`, looked up.
    private func repository(_ input: JSONValue, facts: APIFacts, _ decide: (APIRepository, String?) -> APIDecision) -> APIDecision {
        guard api.content.rules.checksPaths else { return .allow }
        guard let id = input["repositoryId"]?.string else {
            return api.content.invalid("the mutation does not name its repositoryId, which the agent needs to check PROTECTED_PATHS")
        }
        let lookup = ContentLookup.repositoryNode(id: id)
        switch facts.content.answers[lookup] {
        case .none: return .needs([.content(lookup)])
        case .repository(let repository, let defaultBranch): return decide(repository, defaultBranch)
        case .some: return api.content.invalid("'\(id.quotedInRefusal)' is not a repository")
        }
    }
}
