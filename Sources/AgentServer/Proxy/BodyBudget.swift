import NIOCore
import Synchronization

/// The memory all connections of a socket may hold in request bodies the rules read before
/// deciding. Each connection may hold up to `ExchangeLimits.maximumInspectedBody`; together
/// they hold at most `total`, so a dozen unfinished 30 MiB bodies cannot take the agent's
/// memory with them.
///
/// When the budget is short, the connection holding the most gives way (it is closed and its
/// share freed), as long as it holds more than the one asking will after its reservation: two
/// clients that park nearly-complete 32 MiB bodies cannot starve every small GraphQL request.
/// Only when no such holder is left does the asker get a 503.
final class BodyBudget: Sendable {
    let total: Int
    private struct Holding {
        var bytes: Int
        let channel: any Channel
    }

    private struct State {
        var used = 0
        var holders: [ObjectIdentifier: Holding] = [:]
    }

    private let state = Mutex(State())

    init(total: Int) {
        self.total = total
    }

    /// Takes `bytes` more for `channel`; false (and nothing taken) when even after giving way
    /// the budget cannot hold them.
    func reserve(_ bytes: Int, for channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        var evicted: [any Channel] = []
        let granted = state.withLock { state -> Bool in
            let after = (state.holders[key]?.bytes ?? 0) + bytes
            while state.used + bytes > total {
                guard let (victim, holding) = state.holders.filter({ $0.key != key && $0.value.bytes > after }).max(by: { $0.value.bytes < $1.value.bytes })
                else { return false }
                state.holders[victim] = nil
                state.used -= holding.bytes
                evicted.append(holding.channel)
            }
            state.used += bytes
            state.holders[key, default: Holding(bytes: 0, channel: channel)].bytes += bytes
            return true
        }
        for channel in evicted { channel.close(promise: nil) }
        return granted
    }

    /// Frees what `channel` holds (nothing, if it was made to give way).
    func release(_ channel: any Channel) {
        state.withLock { state in
            guard let holding = state.holders.removeValue(forKey: ObjectIdentifier(channel)) else { return }
            state.used -= holding.bytes
        }
    }

    var inUse: Int { state.withLock { $0.used } }
}
