import AgentProtocol
import AgentSystem

/// A client's conversation with the agent over `git.sock`: send one request frame, read interim
/// progress frames and the final reply, each wait bounded by a timeout.
public final class AgentConnection {
    public let socketPath: String
    private let socket: UnixSocketConnection
    private var decoder = FrameDecoder()
    private var buffered: [UInt8] = []

    /// Connects to the agent.
    /// - Throws: `AgentClientError.unreachable` with the reason in words.
    public init(socketPath: String, connectTimeout: Duration = .seconds(5)) throws(AgentClientError) {
        self.socketPath = socketPath
        do {
            socket = try UnixSocketConnection(path: socketPath, timeout: connectTimeout)
        } catch {
            throw .unreachable(path: socketPath, reason: error.description)
        }
    }

    /// Sends `request` and returns the final reply, passing interim frames to `onProgress`.
    /// - Parameter replyTimeout: the longest silence accepted between two frames from the agent.
    public func send(
        _ request: Frame,
        replyTimeout: Duration,
        onProgress: (Frame) -> Void = { _ in }
    ) throws(AgentClientError) -> Frame {
        do {
            try socket.send(request.encoded(), timeout: replyTimeout)
        } catch {
            throw .unreachable(path: socketPath, reason: error.description)
        }
        while true {
            let frame = try nextFrame(timeout: replyTimeout)
            if frame.isProgress {
                onProgress(frame)
                continue
            }
            return frame
        }
    }

    private func nextFrame(timeout: Duration) throws(AgentClientError) -> Frame {
        while true {
            do {
                switch try decoder.scan(buffered) {
                case .frame(let frame, let consumed):
                    buffered.removeFirst(consumed)
                    return frame
                case .needMoreData(let skippable):
                    buffered.removeFirst(skippable)
                }
            } catch {
                throw .badReply(path: socketPath, reason: error.description)
            }
            let bytes: [UInt8]
            do {
                bytes = try socket.receive(timeout: timeout)
            } catch {
                throw .unreachable(path: socketPath, reason: error.description)
            }
            if bytes.isEmpty { throw .unreachable(path: socketPath, reason: "the agent closed the connection without a reply") }
            buffered.append(contentsOf: bytes)
        }
    }
}

/// Where the agent's sockets are: `AGENT_SOCKET_DIR`, default `/run/agent`.
public enum AgentEndpoint {
    public static func socketDirectory(override: String? = nil) -> String {
        if let override, !override.isEmpty { return override }
        if let value = ProcessIdentity.environment()["AGENT_SOCKET_DIR"], !value.isEmpty { return value }
        return Wire.defaultSocketDirectory
    }

    public static func gitSocketPath(override: String? = nil) -> String {
        let directory = socketDirectory(override: override)
        return (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + Wire.gitSocketName
    }
}

/// A client-side failure, worded as the user should see it.
public enum AgentClientError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreachable(path: String, reason: String)
    case badReply(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach the command agent at \(path): \(reason)"
        case .badReply(let path, let reason): "the command agent at \(path) sent a reply that cannot be read: \(reason)"
        }
    }
}
