import Foundation
import Synchronization

/// Closed-loop HTTP load: N threads, each sending one request per connection (as gh does) until
/// the time is up, recording every request's latency.
struct LoadGenerator {
    enum Target {
        case tcp(port: UInt16)
        case unix(path: String)
    }

    let target: Target
    let request: [UInt8]
    let connections: Int
    let duration: Duration

    struct Result {
        let requests: Int
        let failures: Int
        let latenciesMs: [Double]
        let seconds: Double
        var perSecond: Double { Double(requests) / seconds }
    }

    func run() -> Result {
        let collected = Mutex<(latencies: [Double], failures: Int)>(([], 0))
        let deadline = ContinuousClock.now + duration
        let start = ContinuousClock.now
        let group = DispatchGroup()
        for _ in 0..<connections {
            group.enter()
            let thread = Thread {
                var latencies: [Double] = []
                var failures = 0
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                while ContinuousClock.now < deadline {
                    let begin = ContinuousClock.now
                    if exchange(&buffer) {
                        let elapsed = ContinuousClock.now - begin
                        latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                    } else {
                        failures += 1
                    }
                }
                collected.withLock {
                    $0.latencies += latencies
                    $0.failures += failures
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let elapsed = ContinuousClock.now - start
        return collected.withLock {
            Result(
                requests: $0.latencies.count, failures: $0.failures, latenciesMs: $0.latencies,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }

    /// A connected socket to `target`, or `nil`.
    static func connect(_ target: Target) -> Int32? {
        let fd: Int32
        switch target {
        case .tcp(let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            guard fd >= 0,
                withUnsafePointer(
                    to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } })
                    == 0
            else {
                if fd >= 0 { close(fd) }
                return nil
            }
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            guard fd >= 0,
                withUnsafePointer(
                    to: &address, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } })
                    == 0
            else {
                if fd >= 0 { close(fd) }
                return nil
            }
        }
        return fd
    }

    /// Connect, send the request, read until the server closes. True on a 200.
    private func exchange(_ buffer: inout [UInt8]) -> Bool {
        guard let fd = Self.connect(target) else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return false }
        // Read the head, then exactly Content-Length bytes of body (the server may keep the
        // connection open), or until the server closes when there is no length.
        var received: [UInt8] = []
        var expectedTotal: Int?
        while expectedTotal.map({ received.count < $0 }) ?? true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer.prefix(count)
            if expectedTotal == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound {
                let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                    let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                {
                    expectedTotal = end + length
                }
            }
        }
        return received.starts(with: Array("HTTP/1.1 200".utf8)) && expectedTotal.map { received.count >= $0 } ?? true
    }
}
