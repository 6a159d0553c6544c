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

    /// Parses `text`; throws on anything that is not a valid executable document.
    public static func parse(_ text: String) throws(GraphQLSyntaxError) -> GraphQLDocument {
        var parser = try GraphQLParser(Array(text.utf8))
        return try parser.document()
    }

    private init(_ bytes: [UInt8]) throws(GraphQLSyntaxError) {
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

    private func peek(_ punctuator: Character) -> Bool {
        token.kind == .punctuator(punctuator.asciiValue ?? 0)
    }

    private mutating func skip(_ punctuator: Character) throws(GraphQLSyntaxError) -> Bool {
        guard peek(punctuator) else { return false }
        try advance()
        return true
    }

    private mutating func expect(_ punctuator: Character) throws(GraphQLSyntaxError) {
        guard try skip(punctuator) else { throw fail("expected '\(punctuator == "." ? "..." : String(punctuator))', found \(found)") }
    }

    private mutating func name() throws(GraphQLSyntaxError) -> String {
        guard token.kind == .name else { throw fail("expected a name, found \(found)") }
        let text = lexer.text(token)
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
                selections.append(try parser.selection())
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
        var name = try self.name()
        var alias: String?
        if try skip(":") {
            alias = name
            name = try self.name()
        }
        let arguments = try self.arguments(constant: false)
        try directives(constant: false)
        let selections = peek("{") ? try selectionSet() : []
        return .field(GraphQLField(alias: alias, name: name, arguments: arguments, selections: selections))
    }

    private mutating func arguments(constant: Bool) throws(GraphQLSyntaxError) -> [GraphQLArgument] {
        guard try skip("(") else { return [] }
        var arguments: [GraphQLArgument] = []
        var names: Set<String> = []
        repeat {
            arguments.append(try argument(constant: constant, kind: "argument", names: &names))
        } while !(try skip(")"))
        return arguments
    }

    /// `name: value`; `names` holds the names given so far, since a repeated one is refused.
    private mutating func argument(constant: Bool, kind: String, names: inout Set<String>) throws(GraphQLSyntaxError) -> GraphQLArgument {
        let start = token.start
        let name = try self.name()
        guard names.insert(name).inserted else {
            throw GraphQLSyntaxError(message: "\(kind) '\(name)' is given twice", offset: start)
        }
        try expect(":")
        return GraphQLArgument(name: name, value: try value(constant: constant))
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
                var fields: [GraphQLArgument] = []
                var names: Set<String> = []
                while !(try parser.skip("}")) { fields.append(try parser.argument(constant: constant, kind: "input field", names: &names)) }
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
            let text = token.value
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
