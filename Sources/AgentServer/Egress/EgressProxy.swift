import AgentSystem
import Logging
import NIOCore
import NIOPosix

/// `egress.sock`: the claude container's only way to the internet, for Claude's own API traffic.
///
/// It speaks the `CONNECT host:port` of an HTTPS proxy (a relay in the claude container listens on
/// 127.0.0.1 for `HTTPS_PROXY` and forwards here). Only `EGRESS_ALLOWED_HOSTS` are reached; the
/// tunnel then carries the client's own TLS, which the agent neither sees into nor alters.
/// Everything else gets a 403 and a warning line in the agent's log.
enum EgressProxy {
    static let maximumHeadSize = 8 * 1024

    static func make(
        path: String,
        allowed: Set<EgressTarget>,
        allowedUIDs: Set<UInt32>,
        audit: AuditLog,
        redactor: Redactor,
        logger: Logger
    ) -> SocketListener<ByteBuffer, ByteBuffer> {
        SocketListener(
            path: path, allowedUIDs: allowedUIDs, audit: audit, redactor: redactor,
            limits: .init(maximumConnections: 256), logger: logger,
            configure: { _, _ in },
            serve: { peer, inbound, outbound in
                try await tunnel(peer: peer, inbound: inbound, outbound: outbound, allowed: allowed, audit: audit, logger: logger)
            },
            refuse: { refusal, _, outbound in
                try await outbound.write(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n\(refusal.message)\n"))
            }
        )
    }

    private static func tunnel(
        peer: PeerCredentials,
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
        let requestLine = String(decoding: head.readableBytesView.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        func record(_ decision: String, _ target: String, reason: String? = nil) {
            audit.record(
                AuditEntry(
                    peer: peer, socket: "egress.sock", operation: "CONNECT \(target)", decision: decision,
                    code: reason == nil ? nil : "egress-refused", reason: reason, started: started
                ))
        }
        guard let target = EgressTarget.connectTarget(requestLine: requestLine), allowed.contains(target) else {
            let requested = requestLine.split(separator: " ").dropFirst().first.map { String($0.prefix(200)) } ?? "?"
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
        try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await chunk in upstreamInbound { try await outbound.write(chunk) }
                    outbound.finish()
                }
                if early.readableBytes > 0 { try await upstreamOutbound.write(early) }
                while let chunk = try await client.next() { try await upstreamOutbound.write(chunk) }
                upstreamOutbound.finish()
                try await group.waitForAll()
            }
        }
    }
}
