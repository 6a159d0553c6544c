import Synchronization

/// The deadline of one git operation, and a way to stop it early.
///
/// libgit2 cannot be interrupted from outside; it stops when one of its callbacks (progress,
/// credentials, the agent's object reads) returns an error. Every such callback asks `stopReason`
/// first, so an operation ends at most one callback after its deadline passes or `stop` is called.
public final class OperationControl: Sendable {
    public let deadline: ContinuousClock.Instant
    private let stopped = Mutex<String?>(nil)

    public init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    /// Asks the operation to stop at its next callback.
    public func stop(_ reason: String) {
        stopped.withLock { current in
            if current == nil { current = reason }
        }
    }

    /// Why the operation must stop now, or `nil` while it may go on.
    public var stopReason: String? {
        if let reason = stopped.withLock({ $0 }) { return reason }
        if ContinuousClock.now >= deadline { return "the operation did not finish within its time limit" }
        return nil
    }

    /// Throws when the operation must stop.
    func check() throws(ObjectStoreError) {
        if let reason = stopReason { throw .stopped(reason) }
    }
}
