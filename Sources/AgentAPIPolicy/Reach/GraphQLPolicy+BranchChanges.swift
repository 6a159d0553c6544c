import AgentPolicy

/// The branches an allowed GraphQL mutation deletes, creates or forces (`deleteRef`, `createRef`,
/// `updateRefs`, `createLinkedBranch`, `updateRef` with `force`), with the repository each
/// belongs to (looked up).
extension GraphQLPolicy {
    func namedBranchChanges(body: JSONValue?, facts: APIFacts) -> Result<[NamedBranchChange], APIDecisionBox> {
        guard let body, let text = body["query"]?.string, let document = try? GraphQLParser.parse(text) else { return .success([]) }
        let operation: GraphQLOperation?
        if let name = body["operationName"]?.string {
            operation = document.operations.first { $0.name == name }
        } else {
            operation = document.operations.count == 1 ? document.operations.first : nil
        }
        guard let operation, operation.kind == .mutation,
            let variables = try? GraphQLVariables(body["variables"], definitions: operation.variables),
            let fields = try? MutationFields.collect(operation.selections, fragments: document.fragments)
        else { return .success([]) }
        var changes: [NamedBranchChange] = []
        var lookups: [APILookup] = []
        for field in fields {
            guard ["deleteRef", "createRef", "updateRefs", "createLinkedBranch", "updateRef"].contains(field.name),
                let input = try? GraphQLValues.argument("input", of: field, variables: variables)
            else { continue }
            let key = field.alias ?? field.name
            func repository(of id: String?) -> String? {
                guard let id else { return nil }
                if case .repository(let name) = facts.reach.nodeOwners[id] { return name }
                if facts.reach.nodeOwners[id] == nil { lookups.append(.node(id: id)) }
                return nil
            }
            func branch(_ name: String?) -> String? {
                guard let name, case .success(let ref) = RefName.parse(name), ref.kind == .branch else { return nil }
                return ref.fullName
            }
            switch field.name {
            case "deleteRef":
                guard let id = input["refId"]?.string, let owner = repository(of: id), case .reference(let fullName) = facts.nodes[id],
                    let name = branch(fullName)
                else { continue }
                changes.append(NamedBranchChange(repository: owner, branch: name, kind: .deletion(knownTip: facts.reach.refTargets[id], lookup: true)))
            case "updateRef":
                guard input["force"] == .bool(true), let id = input["refId"]?.string, let owner = repository(of: id),
                    case .reference(let fullName) = facts.nodes[id], let name = branch(fullName)
                else { continue }
                changes.append(
                    NamedBranchChange(repository: owner, branch: name, kind: .forcedUpdate(commit: input["oid"]?.string, confirmedBy: .graphQLField(key: key))))
            case "createRef", "createLinkedBranch":
                let owner =
                    repository(of: input["repositoryId"]?.string) ?? (field.name == "createLinkedBranch" ? repository(of: input["issueId"]?.string) : nil)
                // createRef takes a full ref name; createLinkedBranch a branch's short name, literally.
                let named =
                    field.name == "createRef"
                    ? branch(input["name"]?.string) : input["name"]?.string.flatMap { try? RefName.parseBranchName($0).get().fullName }
                guard let owner, let name = named else { continue }
                changes.append(
                    NamedBranchChange(repository: owner, branch: name, kind: .creation(commit: input["oid"]?.string, confirmedBy: .graphQLField(key: key))))
            default:  // updateRefs
                guard let owner = repository(of: input["repositoryId"]?.string), let updates = input["refUpdates"]?.array else { continue }
                for update in updates {
                    guard let name = branch(update["name"]?.string) else { continue }
                    let after = update["afterOid"]?.string ?? ""
                    if after.isEmpty || after.allSatisfy({ $0 == "0" }) {
                        changes.append(NamedBranchChange(repository: owner, branch: name, kind: .deletion(knownTip: nil, lookup: true)))
                    } else {
                        changes.append(NamedBranchChange(repository: owner, branch: name, kind: .creation(commit: after, confirmedBy: .unconfirmable)))
                    }
                }
            }
        }
        guard lookups.isEmpty else { return .failure(APIDecisionBox(.needs(Array(Set(lookups)).sorted { "\($0)" < "\($1)" }))) }
        return .success(changes)
    }
}
