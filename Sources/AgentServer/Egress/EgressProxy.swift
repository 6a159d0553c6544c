import AgentSystem
import Logging
import NIOCore
import NIOPosix

/// `egress.sock`: the claude container's only way to the internet, for Claude's own API traffic.
///
/// It speaks the `CONNECT host:port` of an HTTPS proxy (a relay in the claude container listens on
/// 127.0.0.1 for `HTTPS_PROXY` and forwards here). Only `EGRESS_ALLOWED_HOSTS` are reached; the
/// tunnel then carries the client's own TLS, which the agent neither sees into nor alters.
/// Everything else gets a 403 and a warning line in the agent's log. The CONNECT head must arrive
/// within `headTimeout` and be at most `maximumHeadSize` bytes.
enum EgressProxy {
    static let maximumHeadSize = 8 * 1024
    static let headTimeout: TimeAmount = .seconds(10)

    static func make(
        path: String,
        allowed: Set<EgressTarget>,
        allowedUIDs: Set<UInt32>,
        audit: AuditLog,
        redactor: Redactor,
        logger: Logger
    ) -> Listener {
        let serving = AsyncConnectionServing<ByteBuffer, ByteBuffer>(
            socketName: "egress.sock", redactor: redactor, logger: logger,
            addHandlers: { channel, _, _ in
                try channel.pipeline.syncOperations.addHandler(ConnectHeadDeadline(timeout: headTimeout, maximumSize: maximumHeadSize))
            },
            serve: { peer, slot, inbound, outbound in
                try await tunnel(peer: peer, slot: slot, inbound: inbound, outbound: outbound, allowed: allowed, audit: audit, logger: logger)
            },
            refusalBytes: { refusal, allocator in
                allocator.buffer(string: "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n\(refusal.message)\n")
            }
        )
        return Listener(
            settings: .init(path: path, allowedUIDs: allowedUIDs, maximumConnections: 256), serving: serving, audit: audit,
            redactor: redactor, logger: logger)
    }

    private static func tunnel(
        peer: PeerCredentials,
        slot: ConnectionSlot,
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        allowed: Set<EgressTarget>,
        audit: AuditLog,
        logger: Logger
    ) async throws {
        let started = ContinuousClock.now
        var client = inbound.makeAsyncIterator()
        var head = ByteBuffer()
        var headEnd: Int?
        while headEnd == nil, head.readableBytes <= maximumHeadSize, var chunk = try await client.next() {
            head.writeBuffer(&chunk)
            headEnd = head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)).map { $0.upperBound - head.readerIndex }
        }
        guard let headEnd else {
            try await outbound.write(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
            return
        }
        slot.working()
        let requestLine = String(decoding: head.readableBytesView.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        func record(_ decision: String, _ target: String, reason: String? = nil) {
            audit.record(
                AuditEntry(
                    peer: peer, socket: "egress.sock", operation: "CONNECT \(target)", decision: decision,
                    code: reason == nil ? nil : "egress-refused", reason: reason, started: started
                ))
        }
        guard let target = EgressTarget.connectTarget(requestLine: requestLine), allowed.contains(target) else {
            // What the client asked for is shown escaped: it may hold newlines or escape sequences.
            let requested = requestLine.split(separator: " ").dropFirst().first.map { ConsoleLogHandler.printable(String($0.prefix(200))) } ?? "?"
            let message = "egress to '\(requested)' refused by the command agent: not in EGRESS_ALLOWED_HOSTS"
            logger.warning("\(message)")
            record("deny", requested, reason: message)
            try await outbound.write(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n\(message)\n"))
            return
        }
        let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            record("error", target.description, reason: "cannot connect: \(error)")
            try await outbound.write(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\ncannot reach \(target)\n"))
            return
        }
        record("allow", target.description)
        try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"))
        head.moveReaderIndex(forwardBy: headEnd)
        let early = head
        // An open tunnel counts as waiting for its client, renewed by every byte either way: when
        // the slots are full, the tunnel idle the longest gives way.
        slot.clientProgressed()
        try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await chunk in upstreamInbound {
                        slot.clientProgressed()
                        try await outbound.write(chunk)
                    }
                    outbound.finish()
                }
                if early.readableBytes > 0 { try await upstreamOutbound.write(early) }
                while let chunk = try await client.next() {
                    slot.clientProgressed()
                    try await upstreamOutbound.write(chunk)
                }
                upstreamOutbound.finish()
                try await group.waitForAll()
            }
        }
    }
}

/// Closes an `egress.sock` connection whose CONNECT head (up to the blank line) has not arrived
/// within `timeout`, or grows past `maximumSize`; after the head it passes bytes through.
/// Scans each byte once.
final class ConnectHeadDeadline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let maximumSize: Int
    private var deadline: Scheduled<Void>?
    private var seen = 0
    /// How many bytes of `\r\n\r\n` the stream has just matched.
    private var matched = 0
    private var isComplete = false

    init(timeout: TimeAmount, maximumSize: Int) {
        self.timeout = timeout
        self.maximumSize = maximumSize
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !isComplete {
            let terminator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
            for byte in unwrapInboundIn(data).readableBytesView {
                seen += 1
                matched = byte == terminator[matched] ? matched + 1 : (byte == 0x0D ? 1 : 0)
                if matched == 4 {
                    isComplete = true
                    deadline?.cancel()
                    break
                }
            }
            if !isComplete, seen > maximumSize {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }
}
