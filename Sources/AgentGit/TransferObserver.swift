import CLibGit2
import Synchronization

/// Gives libgit2 the token, for one host only. Implemented by the agent over its locked secret.
public protocol GitCredentialSource: Sendable {
    /// `host` or `host:port` of the one upstream the token may be sent to.
    var host: String { get }
    /// Calls `body` with the token as a C string; it must not escape.
    func withToken<Result>(_ body: (UnsafePointer<CChar>) -> Result) -> Result
    /// Why no token can be offered now (an App token that could not be renewed), or `nil`.
    var unavailableReason: String? { get }
}

extension GitCredentialSource {
    public var unavailableReason: String? { nil }
}

/// Something libgit2 reported during a transfer, for the client's progress display.
public enum TransferEvent: Hashable, Sendable {
    case receiving(received: Int, total: Int, bytes: Int)
    case resolving(indexed: Int, total: Int)
    case packing(stage: String, current: Int, total: Int)
    case writing(current: Int, total: Int, bytes: Int)
    /// One line of the server's own messages (`remote: …`), control characters removed;
    /// `isTransient` when it ended with `\r` (a progress line the next one overwrites).
    case remote(String, isTransient: Bool)
}

/// A ref update as libgit2 is about to send it (`push_negotiation`).
public struct NegotiatedUpdate: Hashable, Sendable {
    public let sourceReference: String
    public let destinationReference: String
    /// The remote's current value; `nil` when the ref does not exist there.
    public let remoteID: ObjectID?
    /// The value to set; `nil` for a deletion.
    public let newID: ObjectID?
}

/// State shared with libgit2's C callbacks for one transfer (passed as their `payload`).
///
/// `@unchecked Sendable`: every mutable field lives in `state`, a `Mutex`.
public final class TransferObserver: @unchecked Sendable {
    /// Attempts allowed before a 401 is final (libgit2 would otherwise ask up to 15 times).
    public static let maximumCredentialAttempts = 2

    let credentials: any GitCredentialSource
    let onEvent: @Sendable (TransferEvent) -> Void
    let negotiate: @Sendable ([NegotiatedUpdate]) -> String?
    /// Whether to ask the server for its messages (libgit2 sends `no-progress` otherwise).
    let wantsServerMessages: Bool
    /// The operation's deadline; every callback returns an error once it must stop.
    let control: OperationControl?
    /// Whether a push must be atomic (`SmartTransport` then adds the capability).
    let isAtomicPush: Bool

    /// The most of the receive-pack advertisement kept to read its capabilities.
    static let advertisementLimit = 64 * 1024

    struct State {
        var credentialAttempts = 0
        var authenticationFailure: String?
        var negotiationFailure: String?
        var referenceStatus: [String: String] = [:]
        var lastProgress: ContinuousClock.Instant?
        var sidebandLine = ""
        var advertisement: [UInt8] = []
        var receivePackCapabilities: [String]?
    }

    let state = Mutex(State())

    /// - Parameters:
    ///   - credentials: the token source, limited to one host.
    ///   - negotiate: decides the final updates before any byte is sent; returns a refusal or `nil`.
    ///   - onEvent: progress for the client; called on libgit2's thread.
    public init(
        credentials: any GitCredentialSource,
        wantsServerMessages: Bool = true,
        control: OperationControl? = nil,
        isAtomicPush: Bool = false,
        negotiate: @escaping @Sendable ([NegotiatedUpdate]) -> String? = { _ in nil },
        onEvent: @escaping @Sendable (TransferEvent) -> Void = { _ in }
    ) {
        self.credentials = credentials
        self.wantsServerMessages = wantsServerMessages
        self.control = control
        self.isAtomicPush = isAtomicPush
        self.negotiate = negotiate
        self.onEvent = onEvent
    }

    /// The capabilities the server advertised for pushing (after `connect(.push)`), or `nil`.
    public var receivePackCapabilities: [String]? { state.withLock { $0.receivePackCapabilities } }

    /// Keeps the start of the receive-pack advertisement until its capabilities can be read.
    func recordAdvertisement(_ bytes: UnsafeBufferPointer<UInt8>) {
        state.withLock { state in
            guard state.receivePackCapabilities == nil, state.advertisement.count < Self.advertisementLimit else { return }
            state.advertisement.append(contentsOf: bytes.prefix(Self.advertisementLimit - state.advertisement.count))
            if let capabilities = PktLine.receivePackCapabilities(state.advertisement) {
                state.receivePackCapabilities = capabilities
                state.advertisement = []
            }
        }
    }

    /// Non-zero (with libgit2's error set) when the operation must stop: callbacks return it.
    func stopCode() -> Int32 {
        guard let reason = control?.stopReason else { return 0 }
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), reason)
        return Int32(GIT_EUSER.rawValue)
    }

    /// Why authentication failed, when it did.
    public var authenticationFailure: String? { state.withLock { $0.authenticationFailure } }
    /// Why the final negotiation refused the push, when it did.
    public var negotiationFailure: String? { state.withLock { $0.negotiationFailure } }
    /// The server's status per ref it rejected (`push_update_reference`).
    public var rejectedReferences: [String: String] { state.withLock { $0.referenceStatus } }

    /// Emits progress at most ten times a second, and always the last step.
    func progress(_ event: TransferEvent, isFinal: Bool) {
        let now = ContinuousClock.now
        let shouldEmit = state.withLock { state -> Bool in
            if !isFinal, let last = state.lastProgress, now - last < .milliseconds(100) { return false }
            state.lastProgress = now
            return true
        }
        if shouldEmit { onEvent(event) }
    }

    /// Collects server text into lines (`\n` or `\r` ends one) and emits them cleaned.
    func sideband(_ bytes: UnsafeBufferPointer<UInt8>) {
        var lines: [(String, Bool)] = []
        state.withLock { state in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                    if !state.sidebandLine.isEmpty { lines.append((state.sidebandLine, byte == UInt8(ascii: "\r"))) }
                    state.sidebandLine = ""
                } else if byte >= 0x20, byte != 0x7F, state.sidebandLine.utf8.count < 1000 {
                    state.sidebandLine.unicodeScalars.append(Unicode.Scalar(byte))
                }
            }
        }
        for (line, isTransient) in lines { onEvent(.remote(line, isTransient: isTransient)) }
    }
}
