import AgentProtocol
import AgentSystem

/// Serves the requests of one socket: the listener does the transport, this does the meaning.
public protocol FrameRequestHandling: Sendable {
    /// Handles one request and returns the final reply.
    /// - Parameters:
    ///   - request: a complete, parsed frame (not yet known to start with `operation=`).
    ///   - peer: who sent it, as the kernel says.
    ///   - progress: sends an interim `progress=` frame to the client.
    func handle(_ request: Frame, peer: PeerCredentials, progress: @escaping @Sendable (Frame) async -> Void) async -> Frame
}
