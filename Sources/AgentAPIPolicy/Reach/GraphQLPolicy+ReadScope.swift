import AgentPolicy

extension GraphQLPolicy {
    /// With `ALLOW_OTHER_REPO_READS=false`, what an operation reads (a query, or what a mutation's
    /// fields select from their payloads) is held to the listed repositories (`GraphQLReadScope`);
    /// otherwise `.allow`.
    func decideReadScope(_ operation: GraphQLOperation, document: GraphQLDocument, body: JSONValue, facts: APIFacts) -> APIDecision {
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
        let scope = GraphQLReadScope(list: list, fragments: full.fragments, variables: variables, facts: facts)
        return chosen.kind == .mutation ? scope.decidePayloads(chosen.selections) : scope.decide(chosen.selections)
    }
}
