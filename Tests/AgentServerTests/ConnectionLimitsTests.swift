import AgentProtocol
import AgentSystem
import Foundation
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import AgentServer

/// A connection cannot hold its slot for ever: keep-alives do not extend the request deadline,
/// idle time is capped over the whole connection, and so is the number of requests.
struct ConnectionLimitsTests {
    func makeChannel(idleBudget: TimeAmount = .seconds(30), maximumRequests: Int = 100) throws -> EmbeddedChannel {
        let limits = FrameCodecHandler.Limits(requestTimeout: .seconds(10), idleBudget: idleBudget, maximumRequests: maximumRequests)
        let handler = FrameCodecHandler(decoder: FrameDecoder(), limits: limits, redactor: Redactor(secret: nil)) { _, _ in }
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return channel
    }

    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func blankLinesDoNotExtendTheRequestDeadline() throws {
        let channel = try makeChannel()
        for _ in 0..<9 {
            try channel.writeInbound(ByteBuffer(string: "\n"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try written(channel).contains("code=timeout"))
        #expect(!channel.isActive)
    }

    @Test func aClientRequestingNowAndThenIsClosedWhenItsIdleBudgetIsSpent() throws {
        let channel = try makeChannel(idleBudget: .seconds(30))
        // A status every 8 s: within the request deadline each time, but 30 s of waiting in all.
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(8))
            try channel.writeInbound(ByteBuffer(string: "operation=status\n\n"))
            #expect(try channel.readInbound(as: Frame.self) != nil)
            try channel.writeOutbound(Frame(["status": "ok"]))
        }
        #expect(channel.isActive, "24 s of waiting so far")
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        let text = try written(channel)
        #expect(text.contains("code=timeout"), "\(text)")
        #expect(text.contains("waited 30 s for requests in all"), "\(text)")
        #expect(!channel.isActive)
    }

    @Test func theConnectionClosesAfterItsLastAllowedReply() throws {
        let channel = try makeChannel(maximumRequests: 2)
        for index in 0..<2 {
            try channel.writeInbound(ByteBuffer(string: "operation=status\n\n"))
            #expect(try channel.readInbound(as: Frame.self) != nil)
            #expect(channel.isActive, "request \(index + 1)")
            try channel.writeOutbound(Frame(["status": "ok"]))
        }
        #expect(try written(channel) == "status=ok\n\nstatus=ok\n\n", "both replies went out")
        #expect(!channel.isActive)
    }

    /// Takes every write and never completes it: a client that does not read.
    final class UnreadWrites: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var held: [EventLoopPromise<Void>] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if let promise { held.append(promise) }
        }

        func flush(context: ChannelHandlerContext) {}
    }

    /// Violations the codec reported (their codes).
    final class Violations: Sendable {
        let codes = Mutex<[String]>([])
    }

    func makeUnreadChannel(violations: Violations? = nil) throws -> (EmbeddedChannel, UnreadWrites, ConnectionSlot) {
        let limits = FrameCodecHandler.Limits(requestTimeout: .seconds(10), idleBudget: .seconds(30), maximumRequests: 100, writeTimeout: .seconds(30))
        let unread = UnreadWrites()
        let channel = EmbeddedChannel()
        let slot = ConnectionSlot(channel: channel)
        let codec = FrameCodecHandler(decoder: FrameDecoder(), limits: limits, redactor: Redactor(secret: nil), slot: slot) { code, _ in
            violations?.codes.withLock { $0.append(code) }
        }
        try channel.pipeline.syncOperations.addHandlers([unread, codec])
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        try channel.writeInbound(ByteBuffer(string: "operation=push\n\n"))
        #expect(try channel.readInbound(as: Frame.self) != nil)
        slot.working()
        return (channel, unread, slot)
    }

    /// While the agent works for a client (no request deadline), a progress frame the client
    /// does not take still ends the connection at the write deadline, and is audited.
    @Test func aClientThatDoesNotTakeWhatIsWrittenIsDisconnected() throws {
        let violations = Violations()
        let (channel, _, _) = try makeUnreadChannel(violations: violations)
        channel.writeAndFlush(Frame(["progress": "writing", "current": "1"]), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "a client that reads nothing kept its connection")
        #expect(violations.codes.withLock { $0 } == ["timeout"])
    }

    @Test func aClientThatTakesItsFramesHasTheFullTimeForEach() throws {
        let (channel, unread, _) = try makeUnreadChannel()
        channel.writeAndFlush(Frame(["progress": "writing", "current": "1"]), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        unread.held.removeFirst().succeed()
        channel.writeAndFlush(Frame(["progress": "writing", "current": "2"]), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(channel.isActive, "the deadline did not restart when the client took a frame")
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(!channel.isActive)
    }

    /// While what is written does not drain, the slot gives way to a new connection even though
    /// the agent works for the client.
    @Test func aBlockedWriteMakesTheSlotEvictable() throws {
        let (channel, _, slot) = try makeUnreadChannel()
        #expect(!slot.isWaitingForClient)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(slot.isWaitingForClient)
        slot.working()
        #expect(slot.isWaitingForClient, "the protocol's state hid a blocked write")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(!slot.isWaitingForClient)
    }

    @Test func aRequestSentOneByteAtATimeIsDecoded() throws {
        let channel = try makeChannel()
        let request = "operation=push\nrefspec=" + String(repeating: "x", count: 20_000) + "\n\n"
        for byte in request.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        let frame = try #require(try channel.readInbound(as: Frame.self))
        #expect(frame["refspec"]?.count == 20_000)
    }
}

/// An operation that never ends on its own is answered at its deadline, and told to stop.
struct GitOperationRunnerTests {
    final class Latch: Sendable {
        let isOpen = Mutex(false)
    }

    /// Runs work stuck as libgit2 is in a silent upstream's `recv` (it ignores its deadline until
    /// `latch` opens); returns how the runner answered.
    func runStuckWork(_ runner: GitOperationRunner, until latch: Latch) async -> GitServiceError? {
        do {
            _ = try await runner.run(timeLimit: .milliseconds(200), what: "push", wantsProgress: false, progress: { _ in }) {
                _, _ throws(GitServiceError) -> Int in
                while !latch.isOpen.withLock({ $0 }) { usleep(1000) }
                return 0
            }
            return nil
        } catch {
            return error
        }
    }

    @Test func stuckWorkIsAnsweredAtTheDeadline() async throws {
        let runner = GitOperationRunner(threads: BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 2, maximumThreads: 4))
        let latch = Latch()
        defer { latch.isOpen.withLock { $0 = true } }
        let error = try #require(await runStuckWork(runner, until: latch), "stuck work returned a result")
        #expect(error.code == "timeout", "\(error)")
        #expect(error.message.contains("the push did not finish within"), "\(error)")
    }

    /// A client that takes its progress slowly does not make the agent hold every event: the
    /// newest are kept, the rest dropped.
    @Test func eventsHeldForASlowClientAreBounded() async throws {
        let runner = GitOperationRunner(threads: BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 2, maximumThreads: 4))
        final class Seen: Sendable {
            let frames = Mutex<[Frame]>([])
            let emitted = Mutex(false)
        }
        let seen = Seen()
        _ = try await runner.run(
            timeLimit: .seconds(60), what: "fetch", wantsProgress: false,
            progress: { frame in
                // The client takes nothing until the work has emitted everything.
                while !seen.emitted.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
                seen.frames.withLock { $0.append(frame) }
            }
        ) {
            _, onEvent throws(GitServiceError) -> Int in
            for index in 0..<10_000 { onEvent(.remote("hook line \(index)", isTransient: false)) }
            seen.emitted.withLock { $0 = true }
            return 0
        }
        let frames = seen.frames.withLock { $0 }
        #expect(frames.count <= GitOperationRunner.bufferedEvents + 1, "\(frames.count) events were held")
        #expect(frames.last?[Wire.Key.message] == "hook line 9999", "the newest event was dropped")
    }

    @Test func progressIsForwardedInFull() async throws {
        let runner = GitOperationRunner(threads: BlockingWorkThreads(stackSize: 1 << 20, maximumActive: 2, maximumThreads: 4))
        final class Seen: Sendable { let frames = Mutex<[Frame]>([]) }
        let seen = Seen()
        let value = try await runner.run(
            timeLimit: .seconds(60), what: "fetch", wantsProgress: false, progress: { frame in seen.frames.withLock { $0.append(frame) } }
        ) {
            _, onEvent throws(GitServiceError) -> Int in
            for index in 0..<100 { onEvent(.remote("hook line \(index)", isTransient: false)) }
            return 7
        }
        #expect(value == 7)
        #expect(seen.frames.withLock { $0.count } == 100, "every server message reached the client")
    }
}
