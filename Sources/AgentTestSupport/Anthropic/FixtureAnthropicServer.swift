import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Stands in for Anthropic's Messages API on 127.0.0.1: `POST /v1/messages` answers from a
/// `MessagesScript` (streamed as server-sent events when the request asks for a stream),
/// `POST /v1/messages/count_tokens` answers a count, anything else is a 404 in the API's error
/// shape. Every request is recorded, head and whole body, so that tests can check what the
/// Claude Code CLI sent (which credential, which tool results).
public final class FixtureAnthropicServer: Sendable {
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let channel: any Channel
    private let recorder: RequestRecorder

    /// Every request received so far, in order.
    public var requests: [RecordedHTTPRequest] { recorder.requests.withLock { $0 } }

    /// - Parameters:
    ///   - script: the conversations to answer with.
    ///   - recordingTo: a file that gets one JSON line per request (see `RecordedHTTPRequest`).
    public init(script: MessagesScript, recordingTo path: String? = nil) async throws {
        let recorder = try RequestRecorder(file: path)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MessagesHandler(script: script, recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.recorder = recorder
    }

    public func shutdown() async {
        try? await channel.close()
    }
}

/// Collects one request, records it, then writes the scripted answer.
final class MessagesHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Request bodies beyond this are refused (the CLI's largest are a few hundred KB).
    static let maximumBodySize = 16 * 1024 * 1024

    private let script: MessagesScript
    private let recorder: RequestRecorder
    private var head: HTTPRequestHead?
    private var body = Data()

    init(script: MessagesScript, recorder: RequestRecorder) {
        self.script = script
        self.recorder = recorder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = Data()
        case .body(let buffer):
            if body.count + buffer.readableBytes <= Self.maximumBodySize { body.append(contentsOf: buffer.readableBytesView) }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = RecordedHTTPRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let serial = recorder.record(request)
            respond(to: request, serial: serial, version: head.version, context: context)
        }
    }

    private func respond(to request: RecordedHTTPRequest, serial: Int, version: HTTPVersion, context: ChannelHandlerContext) {
        switch (request.method, request.path) {
        case ("POST", "/v1/messages"):
            guard let messages = request.messagesRequest else {
                return sendJSON(
                    Self.error("invalid_request_error", "the body is not a Messages API request"), status: .badRequest, version: version, context: context)
            }
            let reply = MessagesReply(blocks: script.answer(to: messages), model: messages.model, serial: serial, deltaSize: script.deltaSize)
            if messages.isStreaming {
                stream(reply.events(), version: version, context: context)
            } else {
                sendJSON(reply.message(), status: .ok, version: version, context: context)
            }
        case ("POST", "/v1/messages/count_tokens"):
            sendJSON(Data(#"{"input_tokens":\#(max(1, request.body.count / 4))}"#.utf8), status: .ok, version: version, context: context)
        default:
            sendJSON(
                Self.error("not_found_error", "the fixture has no \(request.method) \(request.path)"), status: .notFound, version: version, context: context)
        }
    }

    /// Writes each event in its own chunk and flushes it, as the API does while it generates.
    private func stream(_ events: [String], version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "request-id", value: "req_fixture")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        for event in events {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: event)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func sendJSON(_ body: Data, status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The API's error body: `{"type":"error","error":{"type":…,"message":…}}`.
    static func error(_ type: String, _ message: String) -> Data {
        let object: [String: Any] = ["type": "error", "error": ["type": type, "message": message]]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
