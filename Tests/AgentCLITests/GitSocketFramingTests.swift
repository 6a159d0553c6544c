import AgentProtocol
import AgentSystem
import AgentTestSupport
import Foundation
import Testing

/// The real agent reads frames sent one byte per write (each byte scanned once), and a
/// connection carries a bounded number of requests (issue 11, finding 6).
struct GitSocketFramingTests {
    /// Reads frames from `socket` until one final reply arrived.
    func reply(_ socket: UnixSocketConnection, _ buffer: inout [UInt8]) throws -> Frame? {
        var scanner = FrameScanner()
        while true {
            switch try scanner.scan(buffer) {
            case .frame(let frame, let consumed):
                buffer.removeFirst(consumed)
                if !frame.isProgress { return frame }
            case .needMoreData(let skippable):
                buffer.removeFirst(skippable)
                let bytes = try socket.receive(timeout: .seconds(30))
                if bytes.isEmpty { return nil }
                buffer += bytes
            }
        }
    }

    @Test func aLargeRequestSentOneByteAtATimeIsServed() async throws {
        let scenario = try await GitScenario.start()
        let socket = try UnixSocketConnection(path: scenario.agent.gitSocketPath, timeout: .seconds(5))
        let request = Frame(["operation": "status", "padding": String(repeating: "p", count: 60_000)]).encoded()
        for byte in request { try socket.send([byte], timeout: .seconds(5)) }
        var buffer: [UInt8] = []
        let answer = try #require(try reply(socket, &buffer))
        #expect(answer["status"] == "ok", "\(answer)")
        #expect(answer["version"] != nil)
    }

    @Test func aConnectionCarriesAtMostAHundredRequests() async throws {
        let scenario = try await GitScenario.start()
        let socket = try UnixSocketConnection(path: scenario.agent.gitSocketPath, timeout: .seconds(5))
        // Pipelined in one write, so that no request waits on the client (the idle budget stays untouched).
        try socket.send(Array((0..<101).map { _ in Frame(["operation": "status"]).encoded() }.joined()), timeout: .seconds(5))
        var buffer: [UInt8] = []
        for index in 1...100 {
            #expect(try reply(socket, &buffer)?["status"] == "ok", "request \(index)")
        }
        #expect(try reply(socket, &buffer) == nil, "the agent closed the connection after the 100th reply")
        // A new connection is served as usual.
        #expect(try AgentRequest.send(scenario, ["operation": "status"])["status"] == "ok")
    }
}
