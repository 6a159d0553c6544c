/// An executable GraphQL document (operations and fragments), as far as the policy reads it.
///
/// Produced by `GraphQLParser`, which accepts exactly the executable subset of the GraphQL
/// grammar (spec, October 2021) and refuses what the server would refuse before running
/// anything that could matter here: duplicate operation, fragment, argument, object-field and
/// variable names, and more than one operation when one is anonymous.
public struct GraphQLDocument: Sendable, Equatable {
    public var operations: [GraphQLOperation]
    public var fragments: [String: GraphQLFragment]
}

public struct GraphQLOperation: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case query, mutation, subscription
    }

    public var kind: Kind
    public var name: String?
    public var variables: [GraphQLVariableDefinition]
    public var selections: [GraphQLSelection]
}

public struct GraphQLVariableDefinition: Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: GraphQLValue?
}

public struct GraphQLFragment: Sendable, Equatable {
    public var name: String
    public var typeCondition: String
    public var selections: [GraphQLSelection]
}

public enum GraphQLSelection: Sendable, Equatable {
    case field(GraphQLField)
    case fragmentSpread(name: String)
    case inlineFragment(typeCondition: String?, selections: [GraphQLSelection])
}

public struct GraphQLField: Sendable, Equatable {
    public var alias: String?
    public var name: String
    public var arguments: [GraphQLArgument]
    public var selections: [GraphQLSelection]
}

public struct GraphQLArgument: Sendable, Equatable {
    public var name: String
    public var value: GraphQLValue
}

public enum GraphQLValue: Sendable, Equatable {
    case variable(String)
    case int(String)
    case float(String)
    case string(String)
    case bool(Bool)
    case null
    case enumValue(String)
    case list([GraphQLValue])
    case object([GraphQLArgument])
}
