import AgentProtocol
import AgentSystem
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import AgentServer

struct FrameCodecHandlerTests {
    final class Violations: Sendable {
        let codes = Mutex<[String]>([])
    }

    func makeChannel(timeout: TimeAmount = .seconds(10), limit: Int = 1024) throws -> (EmbeddedChannel, Violations) {
        let violations = Violations()
        let handler = FrameCodecHandler(
            decoder: FrameDecoder(maximumFrameSize: limit), requestTimeout: timeout, redactor: Redactor(secret: nil)
        ) { code, _ in violations.codes.withLock { $0.append(code) } }
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return (channel, violations)
    }

    func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func decodesARequestAndEncodesTheReply() throws {
        let (channel, _) = try makeChannel()
        try send(channel, "operation=st")
        #expect(try channel.readInbound(as: Frame.self) == nil)
        try send(channel, "atus\n\n")
        #expect(try channel.readInbound(as: Frame.self) == Frame(["operation": "status"]))
        try channel.writeOutbound(Frame(["status": "ok"]))
        #expect(try written(channel) == "status=ok\n\n")
    }

    @Test func holdsAPipelinedRequestUntilTheReplyIsWritten() throws {
        let (channel, _) = try makeChannel()
        try send(channel, "operation=a\n\noperation=b\n\n")
        #expect(try channel.readInbound(as: Frame.self)?["operation"] == "a")
        #expect(try channel.readInbound(as: Frame.self) == nil)
        try channel.writeOutbound(Frame(["progress": "50"]))
        #expect(try channel.readInbound(as: Frame.self) == nil)
        try channel.writeOutbound(Frame(["status": "ok"]))
        #expect(try channel.readInbound(as: Frame.self)?["operation"] == "b")
    }

    @Test func silentClientIsClosedAfterTheTimeout() throws {
        let (channel, violations) = try makeChannel(timeout: .seconds(10))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try written(channel).hasPrefix("status=error\ncode=timeout\n"))
        #expect(!channel.isActive)
        #expect(violations.codes.withLock { $0 } == ["timeout"])
    }

    @Test func slowWorkIsNotATimeout() throws {
        let (channel, _) = try makeChannel(timeout: .seconds(10))
        try send(channel, "operation=push\n\n")
        _ = try channel.readInbound(as: Frame.self)
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(channel.isActive, "while the agent works, the client may be silent")
    }

    @Test func oversizedFrameGetsAnErrorAndTheConnectionCloses() throws {
        let (channel, violations) = try makeChannel(limit: 64)
        try send(channel, "operation=" + String(repeating: "x", count: 100))
        #expect(try written(channel).hasPrefix("status=error\ncode=frame-too-large\n"))
        #expect(!channel.isActive)
        #expect(violations.codes.withLock { $0 } == ["frame-too-large"])
    }

    @Test func malformedFrameGetsAnError() throws {
        let (channel, _) = try makeChannel()
        try send(channel, "not a frame\n\n")
        #expect(try written(channel).hasPrefix("status=error\ncode=malformed-frame\nmessage=line 1 of the frame is malformed"))
        #expect(!channel.isActive)
    }
}
