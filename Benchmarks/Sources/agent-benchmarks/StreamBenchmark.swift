import AgentTestSupport
import Foundation
import Synchronization

/// Issue 12's figures: a streamed fixture response (server-sent events) through `anthropic.sock`
/// next to the same response fetched straight from the fixture, one connection and 16 at once:
/// time to first byte and total time, and the stream's throughput.
enum StreamBenchmark {
    struct Sample {
        let firstByteMs: Double
        let totalMs: Double
        let bytes: Int
    }

    static func run(upstream: FixtureGitHubServer) async throws -> [ReportLine] {
        let agent = try await AgentUnderTest(environment: ["ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_API_URL": upstream.baseURL])
        let socket = LoadGenerator.Target.unix(path: agent.socketDirectory + "/anthropic.sock")
        let direct = LoadGenerator.Target.tcp(port: UInt16(upstream.port))
        func request(events: Int) -> [UInt8] {
            let body = #"{"model":"claude-bench","max_tokens":1,"stream":true}"#
            return Array(
                "POST /v1/fixture/sse/\(events) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: placeholder\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                    .utf8)
        }
        var lines: [ReportLine] = []
        // Short answers (200 events, 20 KB): time to first byte.
        for connections in [1, 16] {
            _ = measure(direct, request(events: 200), connections: connections, rounds: 20)  // warm-up
            _ = measure(socket, request(events: 200), connections: connections, rounds: 20)
            let plain = measure(direct, request(events: 200), connections: connections, rounds: 200 / connections)
            let proxied = measure(socket, request(events: 200), connections: connections, rounds: 200 / connections)
            let plainFirst = Measure.percentile(plain.map(\.firstByteMs), 0.5)
            let proxiedFirst = Measure.percentile(proxied.map(\.firstByteMs), 0.5)
            let plainTotal = Measure.percentile(plain.map(\.totalMs), 0.5)
            let proxiedTotal = Measure.percentile(proxied.map(\.totalMs), 0.5)
            print(
                "anthropic.sock, \(connections) connection(s): first byte p50 \(Measure.format(proxiedFirst)) ms (direct \(Measure.format(plainFirst)) ms), total p50 \(Measure.format(proxiedTotal)) ms (direct \(Measure.format(plainTotal)) ms)"
            )
            lines.append(
                ReportLine(
                    name: "anthropic.sock added time to first byte, p50, \(connections) connection\(connections == 1 ? "" : "s")",
                    value: "\(Measure.format(proxiedFirst)) ms", baseline: "\(Measure.format(plainFirst)) ms",
                    ratio: "+\(Measure.format(proxiedFirst - plainFirst)) ms", goal: "≤ +1 ms", met: proxiedFirst - plainFirst <= 1))
            lines.append(
                ReportLine(
                    name: "anthropic.sock total time of a 20 KB stream, p50, \(connections) connection\(connections == 1 ? "" : "s")",
                    value: "\(Measure.format(proxiedTotal)) ms", baseline: "\(Measure.format(plainTotal)) ms",
                    ratio: Measure.format(proxiedTotal / plainTotal, 2), goal: "–", met: nil))
        }
        // A long answer (500,000 events, 50 MB): the stream's throughput.
        for connections in [1, 16] {
            let plain = measure(direct, request(events: 500_000), connections: connections, rounds: 1)
            let proxied = measure(socket, request(events: 500_000), connections: connections, rounds: 1)
            func rate(_ samples: [Sample]) -> Double {
                Double(samples.map(\.bytes).reduce(0, +)) / 1_048_576 / (samples.map(\.totalMs).max() ?? 1) * 1000
            }
            let share = rate(proxied) / rate(plain)
            print(
                "anthropic.sock stream throughput, \(connections) connection(s): \(Measure.format(rate(proxied), 0)) MiB/s (direct \(Measure.format(rate(plain), 0)) MiB/s)"
            )
            lines.append(
                ReportLine(
                    name: "anthropic.sock stream throughput, 50 MB, \(connections) connection\(connections == 1 ? "" : "s")",
                    value: "\(Measure.format(rate(proxied), 0)) MiB/s", baseline: "\(Measure.format(rate(plain), 0)) MiB/s",
                    ratio: Measure.format(share, 2), goal: "≥ 0.90 of direct", met: share >= 0.9))
        }
        return lines
    }

    /// `rounds` requests on each of `connections` threads, one request per connection.
    static func measure(_ target: LoadGenerator.Target, _ request: [UInt8], connections: Int, rounds: Int) -> [Sample] {
        let samples = Mutex<[Sample]>([])
        let group = DispatchGroup()
        for _ in 0..<connections {
            group.enter()
            let thread = Thread {
                var mine: [Sample] = []
                for _ in 0..<rounds {
                    if let sample = exchange(target, request) { mine.append(sample) }
                }
                samples.withLock { $0 += mine }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return samples.withLock { $0 }
    }

    /// Sends the request and reads the response (its `Content-Length`, or until the server
    /// closes), noting when the first body byte came.
    static func exchange(_ target: LoadGenerator.Target, _ request: [UInt8]) -> Sample? {
        guard let fd = LoadGenerator.connect(target) else { return nil }
        defer { close(fd) }
        let start = ContinuousClock.now
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var head: [UInt8] = []
        var firstByte: Duration?
        var bodyBytes = 0
        var length: Int?
        while length.map({ bodyBytes < $0 }) ?? true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            if firstByte == nil {
                head += buffer.prefix(count)
                if let end = head.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound, head.count > end {
                    firstByte = ContinuousClock.now - start
                    bodyBytes += head.count - end
                    let text = String(decoding: head[..<end], as: UTF8.self).lowercased()
                    length = text.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                }
            } else {
                bodyBytes += count
            }
        }
        let total = ContinuousClock.now - start
        guard let firstByte else { return nil }
        return Sample(firstByteMs: Measure.milliseconds(firstByte), totalMs: Measure.milliseconds(total), bytes: bodyBytes)
    }
}
