#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A blocking client connection to a Unix domain socket, with a deadline on every wait.
/// Used by the small clients (`agent-status`, `git-remote-agent`), which must never hang.
public final class UnixSocketConnection {
    private let descriptor: Int32
    public let path: String

    /// Connects to `path`, waiting at most `timeout`.
    public init(path: String, timeout: Duration) throws(SocketError) {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else { throw .pathTooLong(path: path, limit: capacity - 1) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let fd: Int32
        do {
            fd = try retryingSyscall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        } catch {
            throw .connect(path: path, error)
        }
        self.descriptor = fd
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        // A Unix socket whose accept queue is full answers EAGAIN and does not connect later by
        // itself (unlike TCP's EINPROGRESS): try again until the timeout.
        let deadline = ContinuousClock.now + timeout
        while true {
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if result == 0 { return }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN where ContinuousClock.now < deadline:
                _ = poll(nil, 0, 5)
            case EAGAIN:
                throw .timedOut(path: path, activity: "connecting (the agent's queue is full)", timeout: timeout)
            case EINPROGRESS:
                try wait(for: Int16(POLLOUT), timeout: timeout, doing: "connecting")
                var pending: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length)
                if pending != 0 { throw .connect(path: path, SystemCallError(call: "connect", errno: pending)) }
                return
            default:
                throw .connect(path: path, SystemCallError(call: "connect", errno: code))
            }
        }
    }

    deinit {
        close(descriptor)
    }

    /// Sends all of `bytes`, waiting at most `timeout` for room each time the socket is full.
    public func send(_ bytes: [UInt8], timeout: Duration) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                offset += sent
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                try wait(for: Int16(POLLOUT), timeout: timeout, doing: "sending")
                continue
            }
            throw .transfer(path: path, SystemCallError(call: "send", errno: code))
        }
    }

    /// Says that nothing more will be sent (`shutdown(SHUT_WR)`); replies can still be received.
    public func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Receives up to `maximum` bytes; an empty result means the agent closed the connection.
    public func receive(maximum: Int = 64 * 1024, timeout: Duration) throws(SocketError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress, raw.count, 0)
            }
            if count >= 0 { return Array(buffer.prefix(count)) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                try wait(for: Int16(POLLIN), timeout: timeout, doing: "waiting for a reply")
                continue
            }
            throw .transfer(path: path, SystemCallError(call: "recv", errno: code))
        }
    }

    private func wait(for events: Int16, timeout: Duration, doing activity: String) throws(SocketError) {
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var poller = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready == 0 { throw .timedOut(path: path, activity: activity, timeout: timeout) }
            let code = errno
            if code == EINTR { continue }
            throw .transfer(path: path, SystemCallError(call: "poll", errno: code))
        }
    }
}

/// A client-side socket failure, worded for the user.
public enum SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    case pathTooLong(path: String, limit: Int)
    case connect(path: String, SystemCallError)
    case transfer(path: String, SystemCallError)
    case timedOut(path: String, activity: String, timeout: Duration)

    public var description: String {
        switch self {
        case .pathTooLong(let path, let limit):
            return "the socket path \(path) is longer than \(limit) bytes"
        case .connect(_, let error):
            switch error.errno {
            case ENOENT: return "the socket does not exist (is the agent running?)"
            case ECONNREFUSED: return "connection refused (the agent is not running)"
            case EACCES: return "permission denied"
            default: return error.description
            }
        case .transfer(_, let error):
            if error.errno == ECONNRESET || error.errno == EPIPE { return "the agent closed the connection" }
            return error.description
        case .timedOut(_, let activity, let timeout):
            return "no answer after \(timeout.components.seconds) s while \(activity)"
        }
    }
}
