import AgentPolicy

/// With `ALLOW_OTHER_REPO_READS=false`: a GraphQL `search` held to the listed repositories by its
/// own `repo:` qualifiers, as `gh pr status` sends it (`repo:o/app state:open is:pr author:@me`).
///
/// GitHub ORs several `repo:` qualifiers and ANDs them with everything else, so the query may
/// only be words and qualifiers: at least one `repo:` of a listed repository, no other
/// repository, owner or organisation, no negated `repo:`, and no `OR`/`AND`/`NOT`, brackets or
/// quotes that could group a term outside the `repo:` qualifiers. Anything else is refused.
struct GraphQLSearchScope {
    let list: RepositoryAllowlist

    /// Qualifiers that only narrow a search.
    static let narrowingQualifiers: Set<String> = [
        "is", "state", "author", "assignee", "mentions", "commenter", "involves", "review-requested", "reviewed-by", "review",
        "label", "head", "base", "type", "in", "sort", "draft", "status", "created", "updated", "closed", "merged", "no",
        "milestone", "reason", "team-review-requested", "comments", "interactions", "reactions", "linked", "language",
    ]

    /// Why the search is refused, or `nil`.
    func refusal(_ field: GraphQLField, variables: GraphQLVariables) throws(GraphQLShapeError) -> String? {
        guard let query = try GraphQLValues.argument("query", of: field, variables: variables)?.string else {
            return "'search' names no query"
        }
        return refusal(query: query)
    }

    func refusal(query: String) -> String? {
        guard query.utf8.count <= 1_024 else { return "the search query is longer than 1024 bytes" }
        if query.contains(where: { "\"'()\\".contains($0) }) { return "the search query groups or quotes terms" }
        var repositories = 0
        for token in query.split(whereSeparator: { $0.isWhitespace }) {
            if ["or", "and", "not"].contains(token.lowercased()) { return "the search query combines terms with '\(token)'" }
            guard let colon = token.firstIndex(of: ":") else { continue }
            let qualifier = token[..<colon].lowercased()
            let value = String(token[token.index(after: colon)...])
            if qualifier == "repo" {
                guard list.readDenial(value, allowOtherReads: false) == nil else {
                    return "the search names repository '\(value.quotedInRefusal)', which is not in ALLOWED_REPOS (\(list.listed))"
                }
                repositories += 1
            } else if !Self.narrowingQualifiers.contains(qualifier.hasPrefix("-") ? String(qualifier.dropFirst()) : qualifier) {
                return "the search qualifier '\(qualifier.quotedInRefusal)' may reach repositories outside ALLOWED_REPOS (\(list.listed))"
            }
        }
        return repositories > 0 ? nil : "a search must name a repository in ALLOWED_REPOS (\(list.listed)) with repo:"
    }
}
