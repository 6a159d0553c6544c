import CAgentShims
import NIOCore

/// Who is on the other end of a Unix socket, as the kernel says (`SO_PEERCRED`): it cannot be
/// forged by the peer. Across containers the pid is 0 unless they share a PID namespace.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "uid \(uid) pid \(pid)" }

    /// Reads the peer of a NIO socket channel. Calls `getsockopt(SO_PEERCRED)` on its event loop.
    public static func load(from channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(SystemCallError(call: "getsockopt(SO_PEERCRED)", errno: 95))
        }
        return unsafeLoad(provider).map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }

    // NIO's note: unsafe socket-option calls belong in non-public, non-inlinable functions.
    private static func unsafeLoad(_ provider: any SocketOptionProvider) -> EventLoopFuture<agent_ucred> {
        provider.unsafeGetSocketOption(
            level: SocketOptionLevel(AGENT_SOL_SOCKET),
            name: SocketOptionName(AGENT_SO_PEERCRED)
        )
    }

    /// Reads the peer of a socket file descriptor. Calls `getsockopt(SO_PEERCRED)`.
    public static func load(fileDescriptor: Int32) throws(SystemCallError) -> PeerCredentials {
        var credentials = agent_ucred()
        try retryingSyscall("getsockopt(SO_PEERCRED)") { agent_peer_credentials(fileDescriptor, &credentials) }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}
