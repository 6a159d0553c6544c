import AgentSystem
import Foundation

/// A client that sends exact bytes to a Unix socket and reads what comes back, for tests that
/// speak to the agent as an attacker would (pipelined requests, partial heads, extra bytes).
public final class RawSocketClient: @unchecked Sendable {
    private var open: UnixSocketConnection?
    private var connection: UnixSocketConnection {
        get throws {
            guard let open else { throw SocketError.transfer(path: "", SystemCallError(call: "send", errno: 9)) }
            return open
        }
    }

    public init(path: String) throws {
        open = try UnixSocketConnection(path: path, timeout: .seconds(5))
    }

    /// Closes the connection (a client hanging up).
    public func close() {
        open = nil
    }

    public func send(_ text: String) throws {
        try connection.send(Array(text.utf8), timeout: .seconds(30))
    }

    public func send(_ bytes: [UInt8]) throws {
        try connection.send(bytes, timeout: .seconds(30))
    }

    public func finishSending() {
        open?.finishSending()
    }

    /// What arrives until `marker` has arrived (or the connection closed, or `timeout` passed).
    public func readUntil(_ marker: String, timeout: Duration = .seconds(30)) -> String {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !String(decoding: bytes, as: UTF8.self).contains(marker) {
            guard let chunk = try? connection.receive(timeout: deadline - ContinuousClock.now), !chunk.isEmpty else { break }
            bytes += chunk
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Everything until the agent closes the connection, or what came within `timeout`.
    /// `closed` says whether the agent closed it.
    public func readUntilClosed(timeout: Duration = .seconds(60)) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = try? connection.receive(timeout: deadline - ContinuousClock.now) else { break }
            if chunk.isEmpty { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += chunk
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    /// `count` connections, each started with `start`; a connection the agent's full accept queue
    /// turned away is tried again (up to 1,000 failures), so that an attack really holds `count`
    /// connections.
    public static func connect(_ count: Int, to path: String, start: (RawSocketClient) throws -> Void) async throws -> [RawSocketClient] {
        var clients: [RawSocketClient] = []
        var failures = 0
        while clients.count < count, failures < 1000 {
            do {
                let client = try RawSocketClient(path: path)
                try start(client)
                clients.append(client)
            } catch {
                failures += 1
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return clients
    }

    /// Sends `text` on a new connection, then reads until the agent closes it.
    public static func exchange(_ path: String, _ text: String, timeout: Duration = .seconds(60)) throws -> (text: String, closed: Bool) {
        let client = try RawSocketClient(path: path)
        try client.send(text)
        return client.readUntilClosed(timeout: timeout)
    }
}

extension String {
    /// The status code of the first HTTP response in this text (`HTTP/1.1 403 …`), or 0.
    public var httpStatus: Int {
        guard hasPrefix("HTTP/1."), let code = split(separator: " ").dropFirst().first else { return 0 }
        return Int(code) ?? 0
    }

    /// How many HTTP responses this text holds.
    public var httpResponseCount: Int {
        components(separatedBy: "\r\nHTTP/1.").count - (hasPrefix("HTTP/1.") ? 0 : 1)
    }
}
