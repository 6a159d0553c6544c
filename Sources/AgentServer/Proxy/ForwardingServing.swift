import AgentSystem
import NIOCore
import NIOHTTP1

/// A forwarding socket (`gh.sock`, `anthropic.sock`) on a `Listener`: HTTP/1.1 with strict
/// limits, one `ExchangeHandler` per connection, the socket's `ForwardingRules` deciding.
struct ForwardingServing<Rules: ForwardingRules>: ConnectionServing {
    let shared: ExchangeHandler<Rules>.Shared

    var socketName: String { shared.rules.socketName }

    /// Request heads larger than a real client's are refused by the decoder.
    static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 16 * 1024
        limits.maxHeaderListSize = 64 * 1024
        limits.maxHeaderFieldCount = 128
        return limits
    }

    func configure(_ channel: any Channel, peer: PeerCredentials, slot: ConnectionSlot) throws -> ConnectionJob? {
        let sync = channel.pipeline.syncOperations
        let gate = InputGate()
        try sync.addHandler(gate)
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: true,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: Self.decoderLimits)
        try sync.addHandler(ExchangeHandler(shared: shared, peer: peer, slot: slot, gate: gate))
        return nil
    }

    func refusal(_ refusal: ListenerRefusal, allocator: ByteBufferAllocator) -> ByteBuffer {
        let status: HTTPResponseStatus = if case .busy = refusal { .serviceUnavailable } else { .forbidden }
        let reply = ProxyReply(status: status, message: refusal.message)
        let body = shared.rules.body(of: reply)
        var text = "HTTP/1.1 \(reply.status.code) \(reply.status.reasonPhrase)\r\n"
        for (name, value) in reply.head(version: .http1_1, body: body).headers { text += "\(name): \(value)\r\n" }
        return allocator.buffer(string: text + "\r\n" + body)
    }
}
