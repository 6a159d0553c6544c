import AgentPolicy

/// Decides `POST /graphql` bodies on the operation that will really run.
///
/// The document is parsed with `GraphQLParser`; the operation is the one `operationName`
/// names (or the only one); fragment spreads and inline fragments are expanded; variables are
/// substituted (or their default values, when the request leaves them out). Queries pass. Each top-level field of a mutation is classified by its name
/// (aliases do not matter): ref-changing mutations go through the ref policy with the ref they
/// name, merges need `ALLOW_PR_MERGE`, a list of harmless mutations passes, anything else is
/// denied by name. A body that does not parse is denied.
struct GraphQLPolicy {
    let api: APIPolicy

    /// Mutations that change no ref and administer nothing.
    static let harmlessMutations: Set<String> = [
        "createPullRequest", "closePullRequest", "reopenPullRequest", "markPullRequestReadyForReview",
        "convertPullRequestToDraft", "createIssue", "updateIssue", "closeIssue", "reopenIssue", "addComment",
        "updateIssueComment", "deleteIssueComment", "addLabelsToLabelable", "removeLabelsFromLabelable",
        "clearLabelsFromLabelable", "requestReviews", "addPullRequestReview", "submitPullRequestReview",
        "updatePullRequestReview", "deletePullRequestReview", "addPullRequestReviewComment",
        "updatePullRequestReviewComment", "deletePullRequestReviewComment", "addPullRequestReviewThread",
        "addPullRequestReviewThreadReply", "resolveReviewThread", "unresolveReviewThread", "addReaction",
        "removeReaction", "addAssigneesToAssignable", "removeAssigneesFromAssignable", "markFileAsViewed",
        "unmarkFileAsViewed", "minimizeComment", "unminimizeComment", "addProjectV2ItemById",
        "updateProjectV2ItemFieldValue", "linkRepositoryToProject", "pinIssue", "unpinIssue",
        "transferIssue", "createDiscussion", "addDiscussionComment", "updateDiscussion", "addStar", "removeStar",
    ]

    /// Ref updates one document may ask for, in all its fields.
    static let maximumRefUpdates = 1_000
    /// Ids one document may name that the agent must look up first.
    static let maximumLookups = 16

    static let mergeMutations: Set<String> = ["mergePullRequest", "enablePullRequestAutoMerge", "enqueuePullRequest", "mergeBranch"]

    /// - Parameter throughGET: the document came in a `GET` query string: only queries may run.
    func decide(body: JSONValue?, facts: APIFacts, throughGET: Bool) -> APIDecision {
        guard let body, let text = body["query"]?.string else {
            return invalid("the body is not a JSON object with a 'query'")
        }
        let document: GraphQLDocument
        do {
            document = try GraphQLParser.parse(text)
        } catch {
            return invalid("the GraphQL document cannot be parsed: \(error.description.prefix(200))")
        }
        let operations = document.operations
        let chosen: GraphQLOperation
        switch body["operationName"] {
        case .some(.string(let name)):
            guard let named = operations.first(where: { $0.name == name }) else {
                return invalid("no operation is named '\(name.quotedInRefusal)'")
            }
            chosen = named
        case .none, .some(.null):
            guard operations.count == 1, let only = operations.first else {
                return invalid("the document holds \(operations.count) operations and no operationName")
            }
            chosen = only
        default:
            return invalid("operationName is not a string")
        }
        switch chosen.kind {
        case .query: return decideReadScope(chosen, document: document, body: body, facts: facts)
        case .subscription: return invalid("subscriptions are not supported")
        case .mutation where throughGET: return invalid("a mutation cannot be sent through GET")
        case .mutation: break
        }
        // What the mutation's payload selects is a read too (ALLOW_OTHER_REPO_READS=false).
        if case .deny(let denial) = decideReadScope(chosen, document: document, body: body, facts: facts) { return .deny(denial) }
        let variables: GraphQLVariables
        let fields: [GraphQLField]
        do {
            variables = try GraphQLVariables(body["variables"], definitions: chosen.variables)
            fields = try MutationFields.collect(chosen.selections, fragments: document.fragments)
        } catch {
            return invalid(error.description)
        }
        // Bounded work per document: ref updates decided and objects looked up, in all fields.
        let refUpdates = fields.reduce(0) { total, field in
            guard field.name == "updateRefs", let input = try? GraphQLValues.argument("input", of: field, variables: variables) else { return total }
            return total + (input["refUpdates"]?.array?.count ?? 0)
        }
        guard refUpdates <= Self.maximumRefUpdates else {
            return invalid("the mutation updates more than \(Self.maximumRefUpdates) refs")
        }
        var lookups: Set<APILookup> = []
        for field in fields {
            // The reach rules (issue 15) wrap the field's own rules; the content rules (issue 14)
            // refine the result (GraphQLPolicy+Content.swift).
            switch decideWithinReach(field, variables: variables, facts: facts).refined(by: content(field, variables: variables, facts: facts)) {
            case .allow: continue
            case .deny(let denial): return .deny(denial)
            case .needs(let more): lookups.formUnion(more)
            }
            guard lookups.count <= Self.maximumLookups else {
                return invalid("the mutation names more than \(Self.maximumLookups) objects the agent would have to look up")
            }
        }
        return lookups.isEmpty ? .allow : .needs(lookups.sorted { "\($0)" < "\($1)" })
    }

    /// Whether an `updatePullRequest` input opens the pull request and leaves its base as it is.
    static func reopens(_ input: JSONValue) -> Bool {
        guard case .value(let state) = Optional(input).stringField("state"), state.uppercased() == "OPEN" else { return false }
        if case .absent = Optional(input).stringField("baseRefName") { return true }
        return false
    }

    func decide(_ field: GraphQLField, variables: GraphQLVariables, facts: APIFacts) -> APIDecision {
        let name = field.name
        if Self.harmlessMutations.contains(name), name != "reopenPullRequest" || api.reach.pullRequestBases.isEmpty { return .allow }
        let input: JSONValue
        do {
            input = try GraphQLValues.argument("input", of: field, variables: variables) ?? .null
        } catch {
            return invalid(error.description)
        }
        // updatePullRequest with state OPEN (and no new base) re-opens it into its base as well.
        if name == "reopenPullRequest" || (name == "updatePullRequest" && Self.reopens(input) && !api.reach.pullRequestBases.isEmpty) {
            // Re-opening opens the pull request again into its base, which PR_BASE_BRANCHES must allow.
            return pullRequest(input["pullRequestId"], of: name, facts: facts) { pull in
                PullRequestRules(reach: api.reach).base(.value(pull.base), isRequired: true, shown: "GraphQL mutation '\(name)'") ?? .allow
            }
        }
        if Self.mergeMutations.contains(name) {
            guard api.settings.allowPullRequestMerge else { return api.mergeDisabled() }
            if name == "mergeBranch" {
                guard case .value(let base) = Optional(input).stringField("base") else { return missing(name, "input.base") }
                return api.ref(branch: base, .update)
            }
            return pullRequest(input["pullRequestId"], of: name, facts: facts) { pull in api.ref(branch: pull.base, .update) }
        }
        switch name {
        case "createCommitOnBranch":
            return committableBranch(input["branch"], facts: facts)
        case "createRef":
            guard case .value(let ref) = Optional(input).stringField("name") else { return missing(name, "input.name") }
            return api.ref(ref, .create)
        case "updateRef", "deleteRef":
            let forced: Bool
            switch Optional(input).flagField("force") {
            case .wrongType: return invalid("\(name): 'force' is not true or false")
            case .value(let flag): forced = flag
            case .absent: forced = false
            }
            return reference(input["refId"], of: name, facts: facts) { fullName in
                api.ref(fullName, name == "deleteRef" ? .delete : .update, forced: forced)
            }
        case "updateRefs":
            guard let updates = input["refUpdates"]?.array, !updates.isEmpty else { return missing(name, "input.refUpdates") }
            var decision = APIDecision.allow
            for update in updates {
                let fields = Optional(update)
                guard case .value(let ref) = fields.stringField("name") else { return missing(name, "input.refUpdates[].name") }
                let after: String
                switch fields.stringField("afterOid") {
                case .value(let oid): after = oid
                case .absent: after = ""
                case .wrongType: return invalid("\(name): 'afterOid' is not a string")
                }
                let forced: Bool
                switch fields.flagField("force") {
                case .wrongType: return invalid("\(name): 'force' is not true or false")
                case .value(let flag): forced = flag
                case .absent: forced = false
                }
                let change: RefUpdate.Change = after.isEmpty || after.allSatisfy({ $0 == "0" }) ? .delete : .update
                decision = api.both(decision, api.ref(ref, change, forced: forced))
            }
            return decision
        case "updatePullRequestBranch":
            // A rebase rewrites the pull request's branch: it is decided as a force-push.
            let rebases: Bool
            switch Optional(input).stringField("updateMethod") {
            case .absent, .value("MERGE"): rebases = false
            case .value("REBASE"): rebases = true
            default: return invalid("\(name): 'updateMethod' is not MERGE or REBASE")
            }
            return pullRequest(input["pullRequestId"], of: name, facts: facts) { pull in api.ref(pull.head, .update, forced: rebases) }
        case "revertPullRequest":
            // GitHub names the new branch revert-<number>-<head> and opens the revert into the
            // reverted pull request's base, which PR_BASE_BRANCHES must allow.
            return pullRequest(input["pullRequestId"], of: name, facts: facts) { pull in
                PullRequestRules(reach: api.reach).base(.value(pull.base), isRequired: true, shown: "GraphQL mutation '\(name)'")
                    ?? api.ref("revert-\(pull.number)-\(pull.head)", .create)
            }
        case "createLinkedBranch":
            guard case .value(let branch) = Optional(input).stringField("name") else { return missing(name, "input.name (GitHub would choose one)") }
            return api.ref(branch: branch, .create)
        case "updatePullRequest":
            switch Optional(input).stringField("baseRefName") {
            case .value(let base): return api.ref(branch: base, .update)
            case .wrongType: return invalid("\(name): 'baseRefName' is not a string")
            case .absent: return .allow
            }
        default:
            return .deny(Denial(.graphQLMutationNotAllowed, "GraphQL mutation '\(name.quotedInRefusal)' is not allowed through the agent"))
        }
    }

    /// `CommittableBranch`: a branch by name (`branchName`) or by node id (`id`, looked up); when
    /// both are given, both must be allowed, since the agent cannot know which GitHub uses.
    private func committableBranch(_ branch: JSONValue?, facts: APIFacts) -> APIDecision {
        let mutation = "createCommitOnBranch"
        let byName: APIDecision?
        switch branch.stringField("branchName") {
        case .value(let name): byName = api.ref(branch: name, .update)
        case .wrongType: return invalid("\(mutation): 'branchName' is not a string")
        case .absent: byName = nil
        }
        let byID: APIDecision?
        switch branch.stringField("id") {
        case .value(let id): byID = reference(.string(id), of: mutation, facts: facts) { api.ref($0, .update) }
        case .wrongType: return invalid("\(mutation): the branch 'id' is not a string")
        case .absent: byID = nil
        }
        switch (byName, byID) {
        case (.some(let name), .some(let id)): return api.both(name, id)
        case (.some(let decision), .none), (.none, .some(let decision)): return decision
        case (.none, .none): return missing(mutation, "input.branch.branchName or input.branch.id")
        }
    }

    private func reference(_ id: JSONValue?, of mutation: String, facts: APIFacts, _ decide: (String) -> APIDecision) -> APIDecision {
        guard let id = id?.string else { return missing(mutation, "input.refId") }
        switch facts.nodes[id] {
        case .none: return .needs([.node(id: id)])
        case .reference(let fullName): return decide(fullName)
        case .some: return invalid("\(mutation): '\(id.quotedInRefusal)' is not a ref")
        }
    }

    private func pullRequest(
        _ id: JSONValue?,
        of mutation: String,
        facts: APIFacts,
        _ decide: ((number: Int, base: String, head: String)) -> APIDecision
    ) -> APIDecision {
        guard let id = id?.string else { return missing(mutation, "input.pullRequestId") }
        switch facts.nodes[id] {
        case .none: return .needs([.node(id: id)])
        case .pullRequest(let number, let base, let head): return decide((number, base, head))
        case .some: return invalid("\(mutation): '\(id.quotedInRefusal)' is not a pull request")
        }
    }

    private func missing(_ mutation: String, _ what: String) -> APIDecision {
        .deny(Denial(.apiRequestInvalid, "GraphQL mutation '\(mutation)' is refused: it does not name \(what)"))
    }

    private func invalid(_ why: String) -> APIDecision {
        .deny(Denial(.apiRequestInvalid, "the GraphQL request is refused: \(why)"))
    }
}

/// Why a document cannot be decided.
struct GraphQLShapeError: Error, CustomStringConvertible {
    let description: String
}

/// The top-level fields of a mutation, with fragment spreads and inline fragments expanded.
///
/// - Complexity: bounded by `maximumVisits`. Every selection the expansion visits counts (fields,
///   `__typename`, spreads and inline fragments), so fragments that only spread each other twice
///   per level (2^40 visits for 40 levels in under 2 KB) are refused after `maximumVisits` steps
///   instead of being expanded.
enum MutationFields {
    /// More distinct top-level fields than any real mutation has.
    static let maximumFields = 1_000
    /// Selections visited while expanding, in all.
    static let maximumVisits = 10_000

    static func collect(_ selections: [GraphQLSelection], fragments: [String: GraphQLFragment]) throws(GraphQLShapeError) -> [GraphQLField] {
        var fields: [GraphQLField] = []
        var visits = 0
        var visiting: Set<String> = []
        try collect(selections, fragments: fragments, visiting: &visiting, visits: &visits, into: &fields)
        return fields
    }

    private static func collect(
        _ selections: [GraphQLSelection],
        fragments: [String: GraphQLFragment],
        visiting: inout Set<String>,
        visits: inout Int,
        into fields: inout [GraphQLField]
    ) throws(GraphQLShapeError) {
        for selection in selections {
            visits += 1
            guard visits <= maximumVisits else {
                throw GraphQLShapeError(description: "the mutation's fragments expand to more than \(maximumVisits) selections")
            }
            switch selection {
            case .field(let field):
                if field.name != "__typename" { fields.append(field) }
                guard fields.count <= maximumFields else {
                    throw GraphQLShapeError(description: "the mutation has more than \(maximumFields) fields")
                }
            case .inlineFragment(_, let inner):
                try collect(inner, fragments: fragments, visiting: &visiting, visits: &visits, into: &fields)
            case .fragmentSpread(let name):
                guard !visiting.contains(name) else { throw GraphQLShapeError(description: "fragment '\(name.quotedInRefusal)' spreads itself") }
                guard let fragment = fragments[name] else {
                    throw GraphQLShapeError(description: "fragment '\(name.quotedInRefusal)' is not defined")
                }
                visiting.insert(name)
                try collect(fragment.selections, fragments: fragments, visiting: &visiting, visits: &visits, into: &fields)
                visiting.remove(name)
            }
        }
    }
}

/// The request's `variables`, with the operation's default values for those it leaves out.
struct GraphQLVariables {
    private let given: [String: JSONValue]
    private let defaults: [String: GraphQLValue]

    init(_ variables: JSONValue?, definitions: [GraphQLVariableDefinition]) throws(GraphQLShapeError) {
        switch variables {
        case .none, .some(.null): given = [:]
        case .some(.object(let object)): given = object
        default: throw GraphQLShapeError(description: "'variables' is not a JSON object")
        }
        var defaults: [String: GraphQLValue] = [:]
        for definition in definitions { defaults[definition.name] = definition.defaultValue }
        self.defaults = defaults
    }

    func value(of name: String) throws(GraphQLShapeError) -> JSONValue {
        if let value = given[name] { return value }
        if let fallback = defaults[name] { return try GraphQLValues.json(fallback, variables: GraphQLVariables.none, depth: 0) }
        return .null
    }

    private init() {
        given = [:]
        defaults = [:]
    }

    private static let none = GraphQLVariables()
}

/// GraphQL argument values as JSON, with variables substituted.
enum GraphQLValues {
    static func argument(_ name: String, of field: GraphQLField, variables: GraphQLVariables) throws(GraphQLShapeError) -> JSONValue? {
        guard let argument = field.arguments.first(where: { $0.name == name }) else { return nil }
        return try json(argument.value, variables: variables, depth: 0)
    }

    static func json(_ value: GraphQLValue, variables: GraphQLVariables, depth: Int) throws(GraphQLShapeError) -> JSONValue {
        guard depth < 32 else { throw GraphQLShapeError(description: "arguments are nested too deeply") }
        switch value {
        case .variable(let name): return try variables.value(of: name)
        case .string(let text), .enumValue(let text): return .string(text)
        case .bool(let flag): return .bool(flag)
        case .int(let text), .float(let text): return Double(text).map(JSONValue.number) ?? .string(text)
        case .null: return .null
        case .list(let values):
            var elements: [JSONValue] = []
            for element in values { elements.append(try json(element, variables: variables, depth: depth + 1)) }
            return .array(elements)
        case .object(let fields):
            var object: [String: JSONValue] = [:]
            for field in fields { object[field.name] = try json(field.value, variables: variables, depth: depth + 1) }
            return .object(object)
        }
    }
}
