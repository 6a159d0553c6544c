import AgentSystem
import Logging
import NIOCore
import NIOPosix

/// `egress.sock`: the claude container's only way to the internet, for Claude's own API traffic.
///
/// It speaks the `CONNECT host:port` of an HTTPS proxy (a relay in the claude container listens on
/// 127.0.0.1 for `HTTPS_PROXY` and forwards here). Only `EGRESS_ALLOWED_HOSTS` are reached; the
/// tunnel then carries the client's own TLS, which the agent neither sees into nor alters.
/// Everything else gets a 403 and a warning line in the agent's log. For a host name, the TLS
/// server name (SNI) the client then asks for must be that same name. The CONNECT head and the
/// ClientHello must arrive within `setupTimeout`; the head is at most `maximumHeadSize` bytes.
enum EgressProxy {
    static let maximumHeadSize = 8 * 1024
    /// The CONNECT head, and for TLS the ClientHello, must arrive this soon after connecting
    /// (the hello follows the agent's 200, which waits for the upstream connection).
    static let setupTimeout: TimeAmount = .seconds(30)

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
                try channel.pipeline.syncOperations.addHandler(TunnelSetupDeadline(timeout: setupTimeout, maximumSize: maximumHeadSize))
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
        // Everything after the upstream connection is made runs inside its executeThenClose: an
        // NIOAsyncChannel dropped without it traps, and the client may hang up at any await.
        try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
            try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"))
            head.moveReaderIndex(forwardBy: headEnd)
            var early = head
            // A name is checked twice: the CONNECT host, then the TLS server name the client asks
            // the far end for (the same front may serve other names). An IP literal has no name.
            if !target.host.isIPAddress {
                while case .needMore = ClientHelloReader.read(early.readableBytesView), early.readableBytes < ClientHelloReader.maximumRecord,
                    var chunk = try await client.next()
                {
                    early.writeBuffer(&chunk)
                }
                let problem: String? =
                    switch ClientHelloReader.read(early.readableBytesView) {
                    case .serverName(let name?) where EgressTarget.sameHost(name, target.host): nil
                    case .serverName(let name?): "its TLS server name '\(ConsoleLogHandler.printable(String(name.prefix(200))))' is not the CONNECT host"
                    case .serverName(nil): "it sends no TLS server name"
                    case .needMore, .notClientHello: "it does not start with a TLS ClientHello"
                    }
                if let problem {
                    let message = "egress to '\(target)' refused by the command agent: \(problem)"
                    logger.warning("\(message)")
                    record("deny", target.description, reason: message)
                    return
                }
            }
            record("allow", target.description)
            // An open tunnel counts as waiting for its client, renewed by every byte either way: when
            // the slots are full, the tunnel idle the longest gives way.
            slot.clientProgressed()
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

/// Closes an `egress.sock` connection whose setup has not finished within `timeout`: the CONNECT
/// head (up to the blank line, at most `maximumSize` bytes), then, when the client speaks TLS,
/// its first record (the ClientHello the relay checks). After that it passes bytes through.
/// Scans each byte once.
final class TunnelSetupDeadline: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case head(matched: Int, seen: Int)
        /// After the head: the first record's header so far, and how many of its bytes remain.
        case hello(header: [UInt8], remaining: Int?)
        case done
    }

    private let timeout: TimeAmount
    private let maximumSize: Int
    private var deadline: Scheduled<Void>?
    private var phase = Phase.head(matched: 0, seen: 0)

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
        for byte in unwrapInboundIn(data).readableBytesView {
            if case .done = phase { break }
            advance(byte)
        }
        switch phase {
        case .done: deadline?.cancel()
        case .head(_, let seen) where seen > maximumSize:
            context.close(promise: nil)
            return
        default: break
        }
        context.fireChannelRead(data)
    }

    private func advance(_ byte: UInt8) {
        let terminator: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
        switch phase {
        case .head(let matched, let seen):
            let next = byte == terminator[matched] ? matched + 1 : (byte == 0x0D ? 1 : 0)
            phase = next == 4 ? .hello(header: [], remaining: nil) : .head(matched: next, seen: seen + 1)
        case .hello(var header, nil):
            header.append(byte)
            if header[0] != 22 {
                phase = .done  // not TLS: the tunnel decides
            } else if header.count == 5 {
                let length = Int(header[3]) << 8 | Int(header[4])
                phase = length == 0 ? .done : .hello(header: header, remaining: length)
            } else {
                phase = .hello(header: header, remaining: nil)
            }
        case .hello(let header, let remaining?):
            phase = remaining <= 1 ? .done : .hello(header: header, remaining: remaining - 1)
        case .done:
            break
        }
    }
}
