import NIOCore
import NIOHTTP1

/// The upstream connection's side of an exchange: its response relayed to the client, with
/// back-pressure, and its failures answered.
extension ExchangeHandler {
    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context, let clientHead else { return }
        switch part {
        case .head(let response):
            let keepAlive = response.version == .http1_1 && !response.headers["connection"].contains { $0.lowercased().contains("close") }
            let action = machine.responseHead(status: Int(response.status.code), keepAlive: keepAlive)
            guard case .relayResponseHead = action else { return perform(action) }
            record?.status = Int(response.status.code)
            observation?.status = Int(response.status.code)
            var head = HTTPResponseHead(version: clientHead.version, status: response.status)
            head.headers = HeaderFilter.clientResponseHeaders(response.headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        case .body(let chunk):
            // Flushed when the upstream read completes (`upstreamReadComplete`) or at the end.
            if case .relayResponseBody = machine.responseBody() {
                record?.responseBytes += chunk.readableBytes
                observation?.append(chunk)
                context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            }
        case .end:
            observation?.finish()
            observation = nil
            perform(machine.responseEnd())
        }
    }

    func upstreamFailed(_ error: any Error) {
        let reply = ProxyReply.upstreamFailure(error, upstream: shared.rules.upstreamName)
        if var record, case .forwarding(let forwarding) = machine.state, forwarding.responseStarted {
            record.note = "upstream closed mid-response"
            record.write()
            self.record = nil
        }
        perform(machine.upstreamFailed(reply, code: reply.status == .gatewayTimeout ? "upstream-timeout" : "upstream-failed"))
    }

    func upstreamReadComplete() {
        guard let context, let upstream else { return }
        context.flush()
        if !context.channel.isWritable { upstream.channel.setAutoRead(false) }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if case .forwarding(let forwarding) = machine.state, !forwarding.requestEnded { context?.channel.setAutoRead(isWritable) }
    }
}
