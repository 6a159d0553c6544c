/// A recursive-descent parser for executable GraphQL documents (spec, October 2021, sections
/// 2.2 to 2.12): operations and fragments; any type-system definition is refused.
///
/// Written for the policy rather than taken from a general GraphQL library because it runs on
/// every `POST /graphql` before the request may leave: it reads bytes once (a 20 KB document in
/// tens of microseconds), keeps only what the policy reads, bounds nesting (a hostile document
/// cannot exhaust the stack) and refuses the duplicates a server's validation would refuse,
/// so the agent never decides on a different reading than the server's.
public struct GraphQLParser {
    /// Selection sets and values nest at most this deep.
    public static let maximumDepth = 64

    private var lexer: GraphQLLexer
    private var token: GraphQLLexer.Token
    private var depth = 0
    private let keepsFieldSelections: Bool
    /// Inside a field's selection set that is not kept: parsed and checked, not stored.
    private var discarding = false

    /// Parses `text`; throws on anything that is not a valid executable document.
    /// - Parameter keepingFieldSelections: whether fields keep their own selection sets. The
    ///   policy reads only the fields an operation or fragment selects directly (through inline
    ///   fragments and spreads), so by default what a field selects is checked but not kept.
    public static func parse(_ text: String, keepingFieldSelections: Bool = false) throws(GraphQLSyntaxError) -> GraphQLDocument {
        // A native string's bytes are contiguous: one copy, not a walk over the UTF-8 view.
        let bytes = text.utf8.withContiguousStorageIfAvailable { Array($0) } ?? Array(text.utf8)
        var parser = try GraphQLParser(bytes, keepsFieldSelections: keepingFieldSelections)
        return try parser.document()
    }

    private init(_ bytes: [UInt8], keepsFieldSelections: Bool) throws(GraphQLSyntaxError) {
        self.keepsFieldSelections = keepsFieldSelections
        lexer = GraphQLLexer(bytes)
        token = GraphQLLexer.Token(kind: .end, start: 0, end: 0)
        token = try lexer.next()
    }

    // MARK: - Tokens

    private func fail(_ message: String) -> GraphQLSyntaxError {
        GraphQLSyntaxError(message: message, offset: token.start)
    }

    private var found: String {
        switch token.kind {
        case .end: "the end of the document"
        case .string: "a string"
        default: "'\(lexer.text(token).prefix(40))'"
        }
    }

    private mutating func advance() throws(GraphQLSyntaxError) {
        token = try lexer.next()
    }

    private func peek(_ punctuator: Unicode.Scalar) -> Bool {
        token.kind == .punctuator(UInt8(truncatingIfNeeded: punctuator.value))
    }

    private mutating func skip(_ punctuator: Unicode.Scalar) throws(GraphQLSyntaxError) -> Bool {
        guard peek(punctuator) else { return false }
        try advance()
        return true
    }

    private mutating func expect(_ punctuator: Unicode.Scalar) throws(GraphQLSyntaxError) {
        guard try skip(punctuator) else { throw fail("expected '\(punctuator == "." ? "..." : String(punctuator))', found \(found)") }
    }

    /// - Parameter copied: false where the name will not be kept (checked, not copied).
    private mutating func name(copied: Bool = true) throws(GraphQLSyntaxError) -> String {
        guard token.kind == .name else { throw fail("expected a name, found \(found)") }
        let text = copied ? lexer.text(token) : ""
        try advance()
        return text
    }

    private mutating func nested<T>(_ body: (inout GraphQLParser) throws(GraphQLSyntaxError) -> T) throws(GraphQLSyntaxError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw fail("the document nests deeper than \(Self.maximumDepth) levels") }
        return try body(&self)
    }

    // MARK: - Definitions

    private mutating func document() throws(GraphQLSyntaxError) -> GraphQLDocument {
        var operations: [GraphQLOperation] = []
        var fragments: [String: GraphQLFragment] = [:]
        repeat {
            if peek("{") {
                operations.append(GraphQLOperation(kind: .query, name: nil, variables: [], selections: try selectionSet()))
            } else if lexer.matches(token, "fragment") {
                let start = token.start
                let fragment = try fragmentDefinition()
                guard fragments.updateValue(fragment, forKey: fragment.name) == nil else {
                    throw GraphQLSyntaxError(message: "fragment '\(fragment.name)' is defined twice", offset: start)
                }
            } else if let kind = operationKind() {
                try advance()
                operations.append(try operation(kind))
            } else {
                throw fail("expected an operation or a fragment, found \(found)")
            }
        } while token.kind != .end
        var names: Set<String> = []
        for operation in operations {
            guard let name = operation.name else {
                guard operations.count == 1 else { throw GraphQLSyntaxError(message: "an anonymous operation must be the only one", offset: 0) }
                continue
            }
            guard names.insert(name).inserted else { throw GraphQLSyntaxError(message: "operation '\(name)' is defined twice", offset: 0) }
        }
        return GraphQLDocument(operations: operations, fragments: fragments)
    }

    private func operationKind() -> GraphQLOperation.Kind? {
        if lexer.matches(token, "query") { return .query }
        if lexer.matches(token, "mutation") { return .mutation }
        if lexer.matches(token, "subscription") { return .subscription }
        return nil
    }

    private mutating func operation(_ kind: GraphQLOperation.Kind) throws(GraphQLSyntaxError) -> GraphQLOperation {
        let name = token.kind == .name ? try self.name() : nil
        var variables: [GraphQLVariableDefinition] = []
        if try skip("(") {
            var seen: Set<String> = []
            repeat {
                let start = token.start
                let definition = try variableDefinition()
                guard seen.insert(definition.name).inserted else {
                    throw GraphQLSyntaxError(message: "variable '$\(definition.name)' is defined twice", offset: start)
                }
                variables.append(definition)
            } while !(try skip(")"))
        }
        try directives(constant: false)
        return GraphQLOperation(kind: kind, name: name, variables: variables, selections: try selectionSet())
    }

    private mutating func variableDefinition() throws(GraphQLSyntaxError) -> GraphQLVariableDefinition {
        try expect("$")
        let name = try self.name()
        try expect(":")
        let type = try typeReference()
        let defaultValue = try skip("=") ? try value(constant: true) : nil
        try directives(constant: true)
        return GraphQLVariableDefinition(name: name, type: type, defaultValue: defaultValue)
    }

    private mutating func typeReference() throws(GraphQLSyntaxError) -> String {
        let base: String
        if try skip("[") {
            base = try nested { parser throws(GraphQLSyntaxError) in
                let inner = try parser.typeReference()
                try parser.expect("]")
                return "[" + inner + "]"
            }
        } else {
            base = try name()
        }
        return try skip("!") ? base + "!" : base
    }

    private mutating func fragmentDefinition() throws(GraphQLSyntaxError) -> GraphQLFragment {
        try advance()  // `fragment`
        guard !lexer.matches(token, "on") else { throw fail("a fragment may not be named 'on'") }
        let name = try self.name()
        guard lexer.matches(token, "on") else { throw fail("expected 'on', found \(found)") }
        try advance()
        let typeCondition = try self.name()
        try directives(constant: false)
        return GraphQLFragment(name: name, typeCondition: typeCondition, selections: try selectionSet())
    }

    // MARK: - Selections

    private mutating func selectionSet() throws(GraphQLSyntaxError) -> [GraphQLSelection] {
        try expect("{")
        return try nested { parser throws(GraphQLSyntaxError) in
            var selections: [GraphQLSelection] = []
            repeat {
                let selection = try parser.selection()
                if !parser.discarding { selections.append(selection) }
            } while !(try parser.skip("}"))
            return selections
        }
    }

    private mutating func selection() throws(GraphQLSyntaxError) -> GraphQLSelection {
        if try skip(".") {
            if token.kind == .name, !lexer.matches(token, "on") {
                let name = try self.name()
                try directives(constant: false)
                return .fragmentSpread(name: name)
            }
            var typeCondition: String?
            if lexer.matches(token, "on") {
                try advance()
                typeCondition = try name()
            }
            try directives(constant: false)
            return .inlineFragment(typeCondition: typeCondition, selections: try selectionSet())
        }
        var name = try self.name(copied: !discarding)
        var alias: String?
        if try skip(":") {
            alias = name
            name = try self.name(copied: !discarding)
        }
        let arguments = try self.arguments(constant: false)
        try directives(constant: false)
        var selections: [GraphQLSelection] = []
        if peek("{") {
            let wasDiscarding = discarding
            discarding = wasDiscarding || !keepsFieldSelections
            defer { discarding = wasDiscarding }
            selections = try selectionSet()
        }
        return .field(GraphQLField(alias: alias, name: name, arguments: arguments, selections: selections))
    }

    private mutating func arguments(constant: Bool) throws(GraphQLSyntaxError) -> [GraphQLArgument] {
        guard try skip("(") else { return [] }
        let start = token.start
        var arguments: [GraphQLArgument] = []
        repeat {
            arguments.append(try argument(constant: constant))
        } while !(try skip(")"))
        try refuseRepeatedNames(arguments, kind: "argument", listStart: start)
        return arguments
    }

    private mutating func argument(constant: Bool) throws(GraphQLSyntaxError) -> GraphQLArgument {
        let name = try self.name()
        try expect(":")
        return GraphQLArgument(name: name, value: try value(constant: constant))
    }

    /// A name given twice is refused. Lists are short: a scan is cheaper than hashing, and long
    /// ones are checked with a set.
    private func refuseRepeatedNames(_ list: [GraphQLArgument], kind: String, listStart: Int) throws(GraphQLSyntaxError) {
        var repeated: Int?
        if list.count <= 16 {
            outer: for later in list.indices.dropFirst() {
                for earlier in 0..<later where list[earlier].name == list[later].name {
                    repeated = later
                    break outer
                }
            }
        } else {
            var seen: Set<String> = []
            repeated = list.indices.first { !seen.insert(list[$0].name).inserted }
        }
        if let repeated {
            throw GraphQLSyntaxError(message: "\(kind) '\(list[repeated].name)' is given twice", offset: listStart)
        }
    }

    private mutating func directives(constant: Bool) throws(GraphQLSyntaxError) {
        while try skip("@") {
            _ = try name()
            _ = try arguments(constant: constant)
        }
    }

    // MARK: - Values

    private mutating func value(constant: Bool) throws(GraphQLSyntaxError) -> GraphQLValue {
        switch token.kind {
        case .punctuator(UInt8(ascii: "$")) where !constant:
            try advance()
            return .variable(try name())
        case .punctuator(UInt8(ascii: "[")):
            try advance()
            return try nested { parser throws(GraphQLSyntaxError) in
                var values: [GraphQLValue] = []
                while !(try parser.skip("]")) { values.append(try parser.value(constant: constant)) }
                return .list(values)
            }
        case .punctuator(UInt8(ascii: "{")):
            try advance()
            return try nested { parser throws(GraphQLSyntaxError) in
                let start = parser.token.start
                var fields: [GraphQLArgument] = []
                while !(try parser.skip("}")) { fields.append(try parser.argument(constant: constant)) }
                try parser.refuseRepeatedNames(fields, kind: "input field", listStart: start)
                return .object(fields)
            }
        case .int:
            let text = lexer.text(token)
            try advance()
            return .int(text)
        case .float:
            let text = lexer.text(token)
            try advance()
            return .float(text)
        case .string:
            let text = discarding ? "" : lexer.stringValue(token)
            try advance()
            return .string(text)
        case .name:
            let result: GraphQLValue
            if lexer.matches(token, "true") {
                result = .bool(true)
            } else if lexer.matches(token, "false") {
                result = .bool(false)
            } else if lexer.matches(token, "null") {
                result = .null
            } else {
                result = .enumValue(lexer.text(token))
            }
            try advance()
            return result
        default:
            throw fail(constant && peek("$") ? "a variable is not allowed in a default value" : "expected a value, found \(found)")
        }
    }
}
