import NIOCore
import Synchronization

/// The connections a socket serves at once, and who gives way when they are all taken.
///
/// Every connection says whether the agent is waiting for its client (a head, a body, the next
/// request, a client that does not read its response) or working for it (deciding, talking to
/// GitHub, running a git operation). When all slots are taken, a new connection takes the slot
/// of the connection that has waited for its client the longest; only when every connection is
/// one the agent works for is the newcomer turned away. So slow or silent clients cannot lock
/// an honest one out: an honest client's wait for itself lasts milliseconds, and it is never the
/// longest.
final class ConnectionSlots: Sendable {
    let capacity: Int
    private let open = Mutex<[ObjectIdentifier: ConnectionSlot]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// A slot for `channel` (waiting for its client), evicting the longest-waiting connection
    /// when all are taken; `nil` when every slot holds a connection the agent is working for.
    func admit(_ channel: any Channel) -> ConnectionSlot? {
        enum Admission {
            case admitted(evicting: ConnectionSlot?)
            case full
        }
        let slot = ConnectionSlot(channel: channel)
        let admission = open.withLock { open -> Admission in
            var evicted: ConnectionSlot?
            if open.count >= capacity {
                let waiting = open.values.filter(\.isWaitingForClient)
                guard let longest = waiting.min(by: { $0.waitingSince < $1.waitingSince }) else { return .full }
                open[ObjectIdentifier(longest.channel)] = nil
                evicted = longest
            }
            open[ObjectIdentifier(channel)] = slot
            return .admitted(evicting: evicted)
        }
        switch admission {
        case .full:
            return nil
        case .admitted(let evicted):
            evicted?.channel.close(promise: nil)
            return slot
        }
    }

    /// Frees the slot of a closed connection.
    func release(_ channel: any Channel) {
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { open.withLock { $0.count } }

    /// Waits until every connection has finished or `timeout` has passed, then closes the rest.
    func drain(within timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while open.withLock({ !$0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for slot in open.withLock({ Array($0.values) }) {
            slot.channel.close(promise: nil)
        }
    }
}

/// One connection's slot: whether the agent is waiting for the client, and since when.
///
/// Two things make the agent wait for a client: the connection's protocol waiting for its next
/// request (`waitingForClient`/`working`), and writes to the client that do not drain because
/// it does not read (`writesBlocked`/`writesFlowing`, whatever the protocol is doing).
final class ConnectionSlot: Sendable {
    let channel: any Channel
    /// Uptime nanoseconds since the agent began waiting for the client; 0 while it works.
    private let since: Atomic<UInt64>
    /// Uptime nanoseconds since writes to the client stopped draining; 0 while they drain.
    private let blockedSince = Atomic<UInt64>(0)

    init(channel: any Channel) {
        self.channel = channel
        self.since = Atomic(NIODeadline.now().uptimeNanoseconds | 1)
    }

    var isWaitingForClient: Bool { waitingSince != 0 }

    /// When the agent began waiting for the client (the earlier of the two waits); 0 if it does not.
    var waitingSince: UInt64 {
        let waiting = since.load(ordering: .relaxed)
        let blocked = blockedSince.load(ordering: .relaxed)
        if waiting == 0 || blocked == 0 { return max(waiting, blocked) }
        return min(waiting, blocked)
    }

    /// What is written to the client no longer drains (it does not read): the connection may
    /// be evicted even while the agent works for it.
    func writesBlocked() {
        _ = blockedSince.compareExchange(expected: 0, desired: NIODeadline.now().uptimeNanoseconds | 1, ordering: .relaxed)
    }

    /// Writes drain again.
    func writesFlowing() {
        blockedSince.store(0, ordering: .relaxed)
    }

    /// The agent now waits for the client (keeps the earlier start if it already did).
    func waitingForClient() {
        _ = since.compareExchange(expected: 0, desired: NIODeadline.now().uptimeNanoseconds | 1, ordering: .relaxed)
    }

    /// The client just made progress the agent was waiting for (a tunnel's bytes): the wait
    /// starts again now.
    func clientProgressed() {
        since.store(NIODeadline.now().uptimeNanoseconds | 1, ordering: .relaxed)
    }

    /// The agent works for the client: this connection is not evicted.
    func working() {
        since.store(0, ordering: .relaxed)
    }
}
