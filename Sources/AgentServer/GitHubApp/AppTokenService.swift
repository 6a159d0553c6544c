import AgentSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps a GitHub App installation token current: mints one at start, renews it when a sixth of
/// its lifetime is left (10 minutes of GitHub's hour), and after a failure tries again (30 s,
/// doubling up to 5 minutes) while saying why in one line: in `agent-status`, in the log and in
/// the audit log, once per distinct problem. A renewal never revokes the previous token, so work
/// that started with it (a long push) finishes with it.
final class AppTokenService: Service {
    let minter: AppTokenMinter
    let tokens: InstallationTokens
    let audit: AuditLog
    let logger: Logger

    init(minter: AppTokenMinter, tokens: InstallationTokens, audit: AuditLog, logger: Logger) {
        self.minter = minter
        self.tokens = tokens
        self.audit = audit
        self.logger = logger
    }

    /// How long before expiry a token is renewed: a sixth of its lifetime, at most 10 minutes.
    static func renewalMargin(lifetime: Duration) -> Duration {
        min(.seconds(600), lifetime / 6)
    }

    /// The wait before the next attempt, once `prime` made the first.
    private let primed = Mutex<Duration?>(nil)

    /// Mints the first token now.
    func prime() async {
        let wait = await attempt()
        primed.withLock { $0 = wait }
    }

    func run() async throws {
        // Returns only at shutdown (a service that returns would stop the agent).
        try? await cancelWhenGracefulShutdown {
            var wait = self.primed.withLock { $0 } ?? .zero
            var retry = Duration.seconds(30)
            while !Task.isCancelled {
                try await Task.sleep(for: wait)
                wait = await self.attempt(retry: &retry)
            }
        }
    }

    /// Mints a token; returns how long to wait before the next attempt: until the renewal time,
    /// or after a failure `retry` (30 s, doubling up to 5 minutes).
    func attempt() async -> Duration {
        var retry = Duration.seconds(30)
        return await attempt(retry: &retry)
    }

    private func attempt(retry: inout Duration) async -> Duration {
        let started = ContinuousClock.now
        do {
            let minted = try await minter.mint(installation: tokens.snapshot.installationID)
            tokens.install(minted.current, installationID: minted.installationID, account: minted.account)
            retry = .seconds(30)
            let reach = minted.repositories.map { $0.joined(separator: ", ") } ?? "every repository of \(minted.account)"
            audit.record(
                AuditEntry(
                    peer: nil, socket: "github-app", operation: "installation token", repository: minted.account, decision: "allow",
                    reason: "installation \(minted.installationID), expires \(minted.current.expiresAt), repositories: \(reach)", started: started))
            let lifetime = minted.current.validUntil - started
            return max(.zero, lifetime - Self.renewalMargin(lifetime: lifetime))
        } catch {
            if tokens.fail(error.description) {
                logger.error("GitHub App: \(error.description)")
                audit.record(
                    AuditEntry(
                        peer: nil, socket: "github-app", operation: "installation token", decision: "error", code: error.code,
                        reason: error.description, started: started))
            }
            defer { retry = min(retry * 2, .seconds(300)) }
            return retry
        }
    }
}
