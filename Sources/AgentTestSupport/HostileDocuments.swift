/// Inputs that cost a naive decider a lot, shared by the tests and the benchmarks.
public enum HostileDocuments {
    /// A mutation of `levels` fragments, each spreading the next twice: 2^levels selections, in
    /// under 2 KB.
    public static func fragmentBomb(levels: Int) -> String {
        var document = "mutation { ...F0 }"
        for level in 0..<levels {
            let inner = level + 1 < levels ? "...F\(level + 1) ...F\(level + 1) __typename" : "__typename"
            document += " fragment F\(level) on Mutation { \(inner) }"
        }
        return document
    }
}
