import Synchronization

/// The memory all connections of a socket may hold in request bodies the rules read before
/// deciding. Each connection may hold up to `ExchangeLimits.maximumInspectedBody`; together
/// they hold at most `total`, so a dozen unfinished 30 MiB bodies cannot take the agent's
/// memory with them: past the budget a request gets a 503 and the client may retry.
final class BodyBudget: Sendable {
    let total: Int
    private let used = Mutex(0)

    init(total: Int) {
        self.total = total
    }

    /// Takes `bytes` from the budget; false (and nothing taken) when it would go over.
    func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= total else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }

    var inUse: Int { used.withLock { $0 } }
}
