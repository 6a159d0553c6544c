/// A body field the policy decides on, read strictly.
///
/// GitHub coerces some values (a `"force": "true"` string may count as true), so a field the
/// decision depends on must have exactly the expected JSON type; any other type is refused
/// rather than guessed. `null` counts as absent, as it does for GitHub.
enum BodyField<Value> {
    case absent
    case value(Value)
    case wrongType
}

extension JSONValue? {
    /// The string at `key` of an object body (absent when there is no body).
    func stringField(_ key: String) -> BodyField<String> {
        switch self?[key] {
        case .none, .some(.null): .absent
        case .some(.string(let text)): .value(text)
        case .some: .wrongType
        }
    }

    /// The boolean at `key` of an object body.
    func flagField(_ key: String) -> BodyField<Bool> {
        switch self?[key] {
        case .none, .some(.null): .absent
        case .some(.bool(let flag)): .value(flag)
        case .some: .wrongType
        }
    }
}
