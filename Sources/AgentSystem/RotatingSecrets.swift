import Synchronization

/// Secrets that change while the agent runs (GitHub App installation tokens): the current one
/// and a few before it, each in its own `LockedSecret`, so that the redactor still finds a token
/// that was renewed a moment ago.
public final class RotatingSecrets: Sendable {
    /// How many secrets are kept for redaction (the current one included). A token is renewed
    /// after about 50 minutes and valid for 60: older ones have expired long before they drop out.
    public static let kept = 4

    private let secrets = Mutex<[LockedSecret]>([])

    public init() {}

    /// Makes `secret` the current one.
    public func install(_ secret: LockedSecret) {
        secrets.withLock { secrets in
            secrets.append(secret)
            if secrets.count > Self.kept { secrets.removeFirst(secrets.count - Self.kept) }
        }
    }

    /// The current secret, if any.
    public var current: LockedSecret? { secrets.withLock { $0.last } }

    /// Every kept secret, newest last.
    public var all: [LockedSecret] { secrets.withLock { $0 } }
}
