import AgentSystem
import Synchronization

/// The GitHub App's current installation token and what `agent-status` says about it.
///
/// A token is used only before the time it is valid until (measured on the monotonic clock from
/// when it was minted, with the lifetime GitHub gave relative to its own clock): an expired
/// token is never sent; without a valid one, requests are refused with the reason. A token is
/// never revoked by the agent, so a push that started with the previous one finishes with it.
final class InstallationTokens: Sendable {
    struct Current: Sendable {
        let secret: LockedSecret
        let validUntil: ContinuousClock.Instant
        /// `expires_at` as GitHub wrote it, for `agent-status`.
        let expiresAt: String
    }

    struct State: Sendable {
        var current: Current?
        /// The one line about the last failure, until a token is minted again.
        var problem: String?
        var installationID: String?
        var account: String?
        var mints = 0
    }

    let appID: String
    /// Every recent token, for the redactor.
    let rotating: RotatingSecrets
    private let state = Mutex(State())

    init(appID: String, installationID: String?, rotating: RotatingSecrets) {
        self.appID = appID
        self.rotating = rotating
        state.withLock { $0.installationID = installationID }
    }

    var snapshot: State { state.withLock { $0 } }

    /// Gives `body` the current token if it is still valid, else `nil`.
    func withValidToken<Result>(_ body: (LockedSecret?) -> Result) -> Result {
        let secret = state.withLock { state -> LockedSecret? in
            guard let current = state.current, ContinuousClock.now < current.validUntil else { return nil }
            return current.secret
        }
        return body(secret)
    }

    /// Why there is no valid token, or `nil` when there is one.
    var unavailableReason: String? {
        state.withLock { state in
            if let current = state.current, ContinuousClock.now < current.validUntil { return nil }
            return "the GitHub App has no valid installation token" + (state.problem.map { ": \($0)" } ?? " yet")
        }
    }

    func install(_ current: Current, installationID: String, account: String) {
        rotating.install(current.secret)
        state.withLock {
            $0.current = current
            $0.problem = nil
            $0.installationID = installationID
            $0.account = account
            $0.mints += 1
        }
    }

    /// Records a failure; returns whether it differs from the last one (to log it once).
    func fail(_ problem: String) -> Bool {
        state.withLock { state in
            defer { state.problem = problem }
            return state.problem != problem
        }
    }
}
