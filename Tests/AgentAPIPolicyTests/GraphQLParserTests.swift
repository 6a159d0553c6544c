import Foundation
import GraphQL
import Testing

@testable import AgentAPIPolicy

/// The policy's GraphQL parser against GraphQLSwift's (the reference): on every document both
/// must agree on whether it parses and, when it does, on what it says.
struct GraphQLParserTests {
    /// Documents of the shapes gh and people send, and the lexical corners.
    static let corpus: [String] = [
        "{ viewer { login } }",
        "query { viewer { login } }",
        "query RepositoryInfo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id name defaultBranchRef { name } } }",
        "mutation PullRequestCreate($input: CreatePullRequestInput!) { createPullRequest(input: $input) { pullRequest { id url } } }",
        "query PullRequestList($owner: String!, $repo: String!, $limit: Int!, $endCursor: String, $state: [PullRequestState!] = OPEN) { repository(owner: $owner, name: $repo) { pullRequests(states: $state, first: $limit, after: $endCursor, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount nodes { ...pr } pageInfo { hasNextPage endCursor } } } } fragment pr on PullRequest { number title state url headRefName baseRefName isDraft author { login ... on User { name } } }",
        "mutation { a: createRef(input: {repositoryId: \"R_1\", name: \"refs/heads/x\", oid: \"abc\"}) { ref { id } } b: addComment(input: {subjectId: \"I\", body: \"hi\"}) { clientMutationId } }",
        "query Q { ...F } fragment F on Query { viewer { ... { login } ... @include(if: true) { id } } }",
        "query ($a: [[Int!]]! = [[1, 2], [3]], $b: Float = -1.5e3, $c: Boolean = false, $d: String = null, $e: E = VALUE) @dir(x: 1) { f(a: $a, b: $b) @skip(if: $c) }",
        "# a comment\n{\r\n  f(s: \"line\\nnext \\\"quoted\\\" \\\\ \\/ \\b\\r\\t \\u0041\\u00e9\"),,,\n}",
        "{ f(s: \"\"\"\n    first\n      indented\n    last\n  \"\"\") }",
        "{ f(s: \"\"\"  leading kept\n  \\\"\"\" inner\n\"\"\") }",
        "{ f(s: \"\"\"\n\n   \n  x\n  y\n  z\n \t\n\"\"\") }",
        "{ f(s: \"\"\"\"\"\") g(s: \"\") }",
        "{ f(a: 0, b: -0, c: 123, d: 1.0, e: 1e5, f: 1E+5, g: 1.25e-3, h: -9.75) }",
        "{ query mutation subscription fragment on true false null }",
        "{ f(on: on, query: query, true: true, null: null, enumlike: truly) }",
        "{ f(o: {a: {b: {c: [1, {d: \"e\"}]}}}) }",
        "{ f(emoji: \"😀 naïve\") }",
        "mutation M { updateRefs(input: {repositoryId: \"R\", refUpdates: [{name: \"refs/heads/main\", afterOid: \"1\", force: true}]}) { clientMutationId } }",
        "subscription S { x }",
        "query A { a } query B { b } mutation C { c }",
    ]

    /// Documents both parsers refuse.
    static let invalid: [String] = [
        "", "   ", "# only a comment", "{", "{}", "{ a", "{ a }}", "query", "query Q", "mutation { }", "{ f(a: ) }", "{ f(a) }",
        "{ f(a: 01) }", "{ f(a: 1.) }", "{ f(a: .5) }", "{ f(a: 1e) }", "{ f(a: 1x) }", "{ f(a: 1.5.5) }", "{ f(a: -) }",
        "{ f(s: \"unterminated) }", "{ f(s: \"line\nbreak\") }", "{ f(s: \"\\x\") }", "{ f(s: \"\\u12\") }", "{ f(s: \"\\u{41}\") }",
        "{ f(s: \"\"\"never ends) }", "{ .. }", "{ ...on }", "{ a(b: $) }", "query ($a: Int = $b) { a }", "query ($a) { a }",
        "query ($a: ) { a }", "fragment on on T { a }", "fragment F T { a }", "fragment F on T", "{ a } extra", "{ a: }", "{ a: b: c }", "{ f(a: [1, 2) }",
        "{ f(a: {b: 1) }", "{ f(a: {1: 2}) }", "{ @dir }", "{ a @ }", "{ a(b: \"\\uD83D\") }", "{ a(b: \"\\uDE00\") }", "{ é }",
        "{ a\u{0001} }", "{ a(b: \"c\u{0001}\") }",
    ]

    /// Refused by the agent only: a server's validation refuses them too, before running anything.
    static let invalidForTheServer: [String] = [
        "type Query { a: Int }", "schema { query: Q }", "extend type Q { b: Int }", "scalar Date", "{ a } type Q { a: Int }",
        "query A { a } query A { b }", "{ a } { b }", "{ a } query B { b }", "fragment F on Q { a } fragment F on Q { b } { ...F }",
        "{ f(a: 1, a: 2) }", "{ f(a: {b: 1, b: 2}) }", "query ($a: Int, $a: Int) { f(a: $a) }",
    ]

    @Test(arguments: corpus)
    func agreesWithTheReference(_ text: String) throws {
        let ours = try GraphQLParser.parse(text, keepingFieldSelections: true)
        let reference = try Reference.document(GraphQL.parse(source: text, noLocation: true))
        #expect(ours == reference)
    }

    @Test(arguments: invalid)
    func refusesWhatTheReferenceRefuses(_ text: String) {
        #expect(throws: GraphQLSyntaxError.self, "\(text)") { try GraphQLParser.parse(text) }
        #expect(throws: (any Error).self, "\(text)") { try GraphQL.parse(source: text, noLocation: true) }
    }

    @Test(arguments: invalidForTheServer)
    func refusesWhatAServerWouldNotRun(_ text: String) {
        #expect(throws: GraphQLSyntaxError.self, "\(text)") { try GraphQLParser.parse(text) }
    }

    /// Generated documents: random ignored tokens, aliases, fragments, directives, every kind of value.
    @Test func agreesWithTheReferenceOnGeneratedDocuments() throws {
        var generator = DocumentGenerator(seed: 2026)
        for _ in 0..<1_500 {
            let text = generator.document()
            let ours = try GraphQLParser.parse(text, keepingFieldSelections: true)
            let reference = try Reference.document(GraphQL.parse(source: text, noLocation: true))
            if ours != reference { Issue.record("read differently: \(text.debugDescription)") }
        }
    }

    /// By default a field's own selections are checked but not kept; everything else is the same.
    @Test func fieldSelectionsAreCheckedButNotKeptByDefault() throws {
        func stripped(_ selections: [GraphQLSelection]) -> [GraphQLSelection] {
            selections.map { selection in
                switch selection {
                case .field(var field):
                    field.selections = []
                    return .field(field)
                case .inlineFragment(let condition, let inner): return .inlineFragment(typeCondition: condition, selections: stripped(inner))
                case .fragmentSpread: return selection
                }
            }
        }
        var generator = DocumentGenerator(seed: 99)
        for text in Self.corpus + (0..<300).map({ _ in generator.document() }) {
            var full = try GraphQLParser.parse(text, keepingFieldSelections: true)
            for index in full.operations.indices { full.operations[index].selections = stripped(full.operations[index].selections) }
            full.fragments = full.fragments.mapValues { fragment in
                var copy = fragment
                copy.selections = stripped(fragment.selections)
                return copy
            }
            #expect(try GraphQLParser.parse(text) == full)
        }
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse("mutation { a { b(c: 1, c: 2) } }") }
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse("mutation { a { b(c: ) } }") }
    }

    /// Each generated document cut short somewhere is refused by both, or parsed alike by both.
    @Test func truncatedDocumentsAreReadAlike() throws {
        var generator = DocumentGenerator(seed: 7)
        for round in 0..<400 {
            let text = Array(generator.document().utf8)
            let cut = String(decoding: text.prefix(text.count * (round % 97) / 97), as: UTF8.self)
            // GraphQLSwift traps on a document that ends inside a \u escape; see `cutOffEscapesAreRefused`.
            if cut.range(of: #"\\u[0-9A-Fa-f]{0,3}$"#, options: .regularExpression) != nil { continue }
            let ours = try? GraphQLParser.parse(cut, keepingFieldSelections: true)
            let reference = try? Reference.document(GraphQL.parse(source: cut, noLocation: true))
            if ours != reference {
                Issue.record(
                    "read differently (ours \(ours == nil ? "refused" : "parsed"), the reference's \(reference == nil ? "refused" : "parsed")): \(cut.debugDescription)"
                )
            }
        }
    }

    /// GraphQLSwift (which the policy used before) stops the process ("String index is out of
    /// bounds") on a document cut off inside a \u escape: one request could take the agent down.
    @Test(arguments: [#"{ f(s: "\u"#, #"{ f(s: "\u0"#, #"{ f(s: "\u00"#, #"{ f(s: "\u00e"#, #"{ f(s: "\"#])
    func cutOffEscapesAreRefused(_ text: String) {
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse(text) }
    }

    @Test func deepNestingIsRefusedNotFollowed() {
        let selections = String(repeating: "{a", count: 100_000) + String(repeating: "}", count: 100_000)
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse(selections) }
        let values = "{ f(a: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ") }"
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse(values) }
        let types = "query ($a: " + String(repeating: "[", count: 100_000) + "Int" + String(repeating: "]", count: 100_000) + ") { a }"
        #expect(throws: GraphQLSyntaxError.self) { try GraphQLParser.parse(types) }
        let sixtyFour = String(repeating: "{a", count: 63) + "{b" + String(repeating: "}", count: 64)
        #expect(throws: Never.self) { try GraphQLParser.parse(sixtyFour) }
    }

    @Test func blockStringsFollowTheSpec() throws {
        func value(_ text: String) throws -> GraphQLValue? {
            guard case .field(let field) = try GraphQLParser.parse("{ f(s: \(text)) }").operations.first?.selections.first else { return nil }
            return field.arguments.first?.value
        }
        #expect(try value("\"\"\"\n    main\n\"\"\"") == .string("main"))
        #expect(try value("\"\"\"  main\"\"\"") == .string("  main"))
        #expect(try value("\"\"\"a\n  b\n    c\"\"\"") == .string("a\nb\n  c"))
        #expect(try value("\"\"\"\\n\"\"\"") == .string("\\n"))
        #expect(try value("\"\"\"\n\\\"\"\" escaped\n\tmain\"\"\"") == .string("\"\"\" escaped\n\tmain"))
        #expect(try value("\"\"\"x\n  a\n  \\\"\"\" b\"\"\"") == .string("x\na\n\"\"\" b"))
        #expect(try value("\"\"\"\nmain\n\tx\"\"\"") == .string("main\n\tx"))
        #expect(try value("\"\\u006dain\"") == .string("main"))
        #expect(try value("\"\"\"\r\n  x\r\n  y\r  z\r\n\"\"\"") == .string("x\ny\nz"))
        #expect(try value("\"\\uD83D\\uDE00\"") == .string("😀"))
        // GraphQLSwift reads "\f" as U+0012; the spec (and JSON) mean U+000C.
        #expect(try value("\"\\f\"") == .string("\u{0C}"))
    }
}

/// GraphQLSwift's AST in the policy's shape.
enum Reference {
    struct Unexpected: Error {}

    static func document(_ document: Document) throws -> GraphQLDocument {
        var operations: [GraphQLOperation] = []
        var fragments: [String: GraphQLFragment] = [:]
        for definition in document.definitions {
            if let operation = definition as? OperationDefinition {
                let kind: GraphQLOperation.Kind =
                    switch operation.operation {
                    case .query: .query
                    case .mutation: .mutation
                    case .subscription: .subscription
                    }
                operations.append(
                    GraphQLOperation(
                        kind: kind, name: operation.name?.value,
                        variables: try operation.variableDefinitions.map {
                            GraphQLVariableDefinition(name: $0.variable.name.value, type: try type($0.type), defaultValue: try $0.defaultValue.map(value))
                        },
                        selections: try selections(operation.selectionSet)))
            } else if let fragment = definition as? FragmentDefinition {
                fragments[fragment.name.value] = GraphQLFragment(
                    name: fragment.name.value, typeCondition: fragment.typeCondition.name.value, selections: try selections(fragment.selectionSet))
            } else {
                throw Unexpected()
            }
        }
        return GraphQLDocument(operations: operations, fragments: fragments)
    }

    static func type(_ type: any GraphQL.`Type`) throws -> String {
        switch type {
        case let named as NamedType: return named.name.value
        case let list as ListType: return "[" + (try self.type(list.type)) + "]"
        case let nonNull as NonNullType: return (try self.type(nonNull.type)) + "!"
        default: throw Unexpected()
        }
    }

    static func selections(_ set: SelectionSet) throws -> [GraphQLSelection] {
        try set.selections.map { selection in
            switch selection {
            case let field as Field:
                return .field(
                    GraphQLField(
                        alias: field.alias?.value, name: field.name.value,
                        arguments: try field.arguments.map { GraphQLArgument(name: $0.name.value, value: try value($0.value)) },
                        selections: try field.selectionSet.map(selections) ?? []))
            case let spread as FragmentSpread:
                return .fragmentSpread(name: spread.name.value)
            case let inline as InlineFragment:
                return .inlineFragment(typeCondition: inline.typeCondition?.name.value, selections: try selections(inline.selectionSet))
            default:
                throw Unexpected()
            }
        }
    }

    static func value(_ value: any GraphQL.Value) throws -> GraphQLValue {
        switch value {
        case let variable as Variable: return .variable(variable.name.value)
        case let integer as IntValue: return .int(integer.value)
        case let float as FloatValue: return .float(float.value)
        case let string as StringValue: return .string(string.value)
        case let boolean as BooleanValue: return .bool(boolean.value)
        case is NullValue: return .null
        case let enumeration as EnumValue: return .enumValue(enumeration.value)
        case let list as ListValue: return .list(try list.values.map(self.value))
        case let object as ObjectValue: return .object(try object.fields.map { GraphQLArgument(name: $0.name.value, value: try self.value($0.value)) })
        default: throw Unexpected()
        }
    }
}

/// Random valid documents, reproducible from a seed.
struct DocumentGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    private mutating func pick(_ options: [String]) -> String { options[below(options.count)] }

    private mutating func gap() -> String {
        var text = ""
        for _ in 0..<below(3) { text += pick([" ", "\n", ",", "\t", "\r\n", "# note, with \"quotes\" {\n", " ,\n "]) }
        return text.isEmpty ? " " : text
    }

    private mutating func name() -> String {
        pick(["a", "viewer", "login", "createRef", "input", "on", "query", "mutation", "fragment", "true", "null", "_x9", "Repository", "nodes"])
    }

    private mutating func enumName() -> String { pick(["OPEN", "CLOSED", "MERGED", "on", "truthy", "NULLISH", "query"]) }

    private mutating func string() -> String {
        var text = ""
        for _ in 0..<below(6) {
            text += pick(["a", "refs/heads/main", "é", "😀", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u0041", "\\u00E9", "\\t", "\\b", "#", "{", "'"])
        }
        return "\"" + text + "\""
    }

    private mutating func blockString() -> String {
        var lines: [String] = []
        for _ in 0..<(1 + below(4)) {
            lines.append(pick([" ", "  ", "\t"]) + pick(["", "  "]) + pick(["main", "a \"quoted\" word", "\\n kept", "", "  deeper"]))
        }
        // Line breaks are "\n" only, every line is indented, and no line holds an escaped \""":
        // GraphQLSwift counts "\r\n" as two breaks, lets a later line's indentation override an
        // unindented line's, and measures indentation before unescaping \""" (the spec and
        // graphql-js do none of these; `blockStringsFollowTheSpec` covers them).
        return "\"\"\"" + lines.joined(separator: "\n") + "\"\"\""
    }

    private mutating func value(depth: Int, constant: Bool) -> String {
        switch below(depth > 2 ? 8 : 11) {
        case 0: return constant ? "null" : "$" + name()
        case 1: return pick(["0", "-0", "42", "-17", "1234567890123"])
        case 2: return pick(["1.5", "-0.0", "1e10", "2.5E-3", "6.02e+23"])
        case 3: return string()
        case 4: return blockString()
        case 5: return pick(["true", "false"])
        case 6: return "null"
        case 7: return enumName()
        case 8, 9:
            return "[" + (0..<below(3)).map { _ in value(depth: depth + 1, constant: constant) }.joined(separator: gap()) + "]"
        default:
            var used: Set<String> = []
            var fields: [String] = []
            for _ in 0..<below(3) {
                let key = name()
                if used.insert(key).inserted { fields.append(key + ":" + gap() + value(depth: depth + 1, constant: constant)) }
            }
            return "{" + gap() + fields.joined(separator: gap()) + gap() + "}"
        }
    }

    private mutating func arguments(constant: Bool) -> String {
        guard below(2) == 0 else { return "" }
        var used: Set<String> = []
        var items: [String] = []
        for _ in 0..<(1 + below(3)) {
            let key = name()
            if used.insert(key).inserted { items.append(key + gap() + ":" + gap() + value(depth: 0, constant: constant)) }
        }
        return "(" + items.joined(separator: gap()) + ")"
    }

    private mutating func directives() -> String {
        below(4) == 0 ? gap() + "@" + pick(["include", "skip", "custom"]) + arguments(constant: false) : ""
    }

    private mutating func selectionSet(depth: Int, fragments: [String]) -> String {
        var items: [String] = []
        for _ in 0..<(1 + below(3)) {
            switch below(depth > 3 ? 3 : 6) {
            case 0, 1, 2:
                let alias = below(3) == 0 ? name() + gap() + ":" + gap() : ""
                let sub = depth < 5 && below(2) == 0 ? gap() + selectionSet(depth: depth + 1, fragments: fragments) : ""
                items.append(alias + name() + arguments(constant: false) + directives() + sub)
            case 3 where !fragments.isEmpty:
                items.append("..." + gap() + fragments[below(fragments.count)] + directives())
            default:
                let condition = below(2) == 0 ? "on" + gap() + pick(["User", "Query", "Mutation"]) : ""
                items.append("..." + gap() + condition + directives() + gap() + selectionSet(depth: depth + 1, fragments: fragments))
            }
        }
        return "{" + gap() + items.joined(separator: gap()) + gap() + "}"
    }

    mutating func document() -> String {
        let fragmentNames = Array(["F1", "Frag", "pr"].prefix(below(3)))
        var parts: [String] = []
        let operationCount = 1 + below(2)
        for index in 0..<operationCount {
            if operationCount == 1, below(4) == 0 {
                parts.append(selectionSet(depth: 0, fragments: fragmentNames))
                continue
            }
            var variables = ""
            if below(2) == 0 {
                variables =
                    "("
                    + ["a", "b"].prefix(1 + below(2)).map { variable in
                        let type = pick(["Int", "String!", "[ID!]!", "[[Boolean]]", "Input"])
                        let fallback = below(2) == 0 ? gap() + "=" + gap() + value(depth: 0, constant: true) : ""
                        return "$" + variable + gap() + ":" + gap() + type + fallback
                    }.joined(separator: gap()) + ")"
            }
            parts.append(
                pick(["query", "mutation", "subscription"]) + " Op\(index)" + gap() + variables + directives() + gap()
                    + selectionSet(depth: 0, fragments: fragmentNames))
        }
        for fragment in fragmentNames {
            parts.append("fragment " + fragment + " on " + pick(["User", "Query"]) + directives() + gap() + selectionSet(depth: 1, fragments: []))
        }
        return gap() + parts.joined(separator: gap()) + gap()
    }
}
