import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Stands in for GitHub's API on 127.0.0.1: answers from `Fixtures/github-api/routes.json` and
/// records every request it receives, so that tests can check what reached "GitHub".
public final class FixtureGitHubServer: Sendable {
    /// One request as the server received it.
    public struct Request: Sendable {
        public let method: String
        public let uri: String
        public let headers: [(String, String)]
        public let bodyByteCount: Int
        /// The first 64 KiB of the body.
        public let bodyPrefix: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    struct Route: Decodable, Sendable {
        let method: String
        let path: String
        /// For `POST /graphql`: the operation name in the document.
        let operation: String?
        let status: Int
        let body: String?
    }

    public let port: Int
    public let isTLS: Bool
    /// With TLS the name is `localhost`, which the fixture certificate (Fixtures/tls) names.
    public var baseURL: String { isTLS ? "https://localhost:\(port)" : "http://127.0.0.1:\(port)" }
    /// The CA that signed the TLS fixture's certificate (for `AGENT_CA_FILE`).
    public static var certificateAuthorityFile: String { FixturePaths.root.appendingPathComponent("tls/ca.pem").path }
    private let channel: any Channel
    private let recorder: Recorder

    public var requests: [Request] { recorder.requests.withLock { $0 } }
    /// How many connections clients have opened so far.
    public var connectionsAccepted: Int { recorder.connections.withLock { $0 } }
    /// How many client connections have closed so far.
    public var connectionsClosed: Int { recorder.closedConnections.withLock { $0 } }
    /// How many streams `/v1/fixture/held-stream` holds open now.
    public var heldStreamCount: Int { recorder.heldStreams.withLock { $0.count } }

    /// The GitHub App this server plays, when a test gave one: then every request but the App's
    /// own needs a valid installation token.
    public let app: FixtureGitHubApp?

    /// - Parameters:
    ///   - tls: serve https with the fixture certificate for `localhost` (Fixtures/tls).
    ///   - app: play this GitHub App (installation tokens instead of the canary PAT).
    ///   - recordingTo: a file that gets one JSON line per request (`RecordedHTTPRequest`).
    public init(tls: Bool = false, app: FixtureGitHubApp? = nil, recordingTo path: String? = nil) async throws {
        struct Routes: Decodable { let routes: [Route] }
        let routes = try JSONDecoder().decode(Routes.self, from: FixturePaths.data("github-api/routes.json")).routes
        let recorder = Recorder(file: try path.map { try RequestRecorder(file: $0) })
        let context: NIOSSLContext? =
            tls
            ? try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(FixturePaths.root.appendingPathComponent("tls/server.pem").path).map {
                        .certificate($0)
                    },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: FixturePaths.root.appendingPathComponent("tls/server-key.pem").path, format: .pem))))
            : nil
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                recorder.connections.withLock { $0 += 1 }
                channel.closeFuture.whenComplete { _ in recorder.closedConnections.withLock { $0 += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FixtureHandler(routes: routes, recorder: recorder, app: app))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.isTLS = tls
        self.app = app
        self.port = channel.localAddress?.port ?? 0
        self.recorder = recorder
    }

    public func shutdown() async {
        try? await channel.close()
    }

    /// One server for the whole test process, for agents whose tests need GitHub only to confirm
    /// the token (`GET /user`, asked by `agent-status`); never shut down.
    public static func shared() async throws -> FixtureGitHubServer { try await SharedServer.server.value }

    private enum SharedServer {
        static let server = Task { try await FixtureGitHubServer() }
    }

    /// The operation a GraphQL request body names (`operationName`, or its first named operation).
    public static func operationName(_ body: Data) -> String? { FixtureHandler.operationName(body) }
}

/// The requests received so far, shared by the connections' handlers.
final class Recorder: Sendable {
    let requests = Mutex<[FixtureGitHubServer.Request]>([])
    let connections = Mutex(0)
    let closedConnections = Mutex(0)
    /// Streams held open by `/v1/fixture/held-stream` until `/fixture/release`.
    let heldStreams = Mutex<[@Sendable () -> Void]>([])
    /// Where requests are also written, for a test in another process.
    let file: RequestRecorder?

    init(file: RequestRecorder? = nil) {
        self.file = file
    }
}

final class FixtureHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: [FixtureGitHubServer.Route]
    private let recorder: Recorder
    private let app: FixtureGitHubApp?
    private var head: HTTPRequestHead?
    private var bodyCount = 0
    private var bodyPrefix = Data()

    init(routes: [FixtureGitHubServer.Route], recorder: Recorder, app: FixtureGitHubApp?) {
        self.routes = routes
        self.recorder = recorder
        self.app = app
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyCount = 0
            bodyPrefix = Data()
        case .body(let buffer):
            bodyCount += buffer.readableBytes
            if bodyPrefix.count < 65536 {
                bodyPrefix.append(contentsOf: buffer.readableBytesView.prefix(65536 - bodyPrefix.count))
            }
        case .end:
            guard let head else { return }
            let request = FixtureGitHubServer.Request(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                bodyByteCount: bodyCount, bodyPrefix: bodyPrefix
            )
            recorder.requests.withLock { $0.append(request) }
            _ = recorder.file?.record(RecordedHTTPRequest(method: request.method, uri: request.uri, headers: request.headers, body: bodyPrefix))
            respond(context: context, to: head)
        }
    }

    /// `query Name(…)` / `mutation Name(…)`: the first named operation of a GraphQL body.
    static func operationName(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        if let name = object["operationName"] as? String { return name }
        guard let query = object["query"] as? String,
            let match = query.firstMatch(of: /(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/)
        else { return nil }
        return String(match.output.2)
    }

    /// A string variable of a GraphQL body.
    static func variable(_ name: String, _ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        return (object["variables"] as? [String: Any])?[name] as? String
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
        // /fixture/bytes/N streams N bytes without holding them (for the 50 MB download test).
        if head.method == .GET, path.hasPrefix("/fixture/bytes/"), let count = Int(path.dropFirst("/fixture/bytes/".count)) {
            return streamBytes(count, context: context, version: head.version)
        }
        // /v1/fixture/sse/N streams N server-sent events of 100 bytes, each flushed on its own.
        if path.hasPrefix("/v1/fixture/sse/"), let count = Int(path.dropFirst("/v1/fixture/sse/".count)) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/event-stream")
            headers.add(name: "Content-Length", value: String(count * 100))
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            let prefix = "event: content_block_delta\ndata: "
            let event = prefix + String(repeating: "x", count: 100 - prefix.utf8.count - 2) + "\n\n"
            return writeChunks(remaining: count * 100, chunk: context.channel.allocator.buffer(string: event), context: context)
        }
        // /v1/fixture/held-stream sends one server-sent event, then holds the rest until a request
        // for /fixture/release (a stream that must arrive as it is sent, not when it ends).
        if path == "/v1/fixture/held-stream" {
            return holdStream(context: context, version: head.version)
        }
        if path == "/fixture/release" {
            for release in recorder.heldStreams.withLock({ streams in
                defer { streams.removeAll() }; return streams
            }) { release() }
        }
        // /fixture/cut/N promises N bytes, sends half, and closes the connection.
        if head.method == .GET, path.hasPrefix("/fixture/cut/"), let count = Int(path.dropFirst("/fixture/cut/".count)) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: String(count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            let half = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: count / 2)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(half)))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if let app {
            let authorization = head.headers.first(name: "authorization")
            if let (code, text) = app.answer(method: head.method.rawValue, path: path, authorization: authorization, body: bodyPrefix) {
                return reply(HTTPResponseStatus(statusCode: code), Data(text.utf8), context: context, version: head.version, date: app.dateHeader)
            }
            if !app.accepts(authorization: authorization, request: "\(head.method.rawValue) \(path)") {
                return reply(.unauthorized, Data(#"{"message":"Bad credentials"}"#.utf8), context: context, version: head.version, date: app.dateHeader)
            }
        }
        var status = HTTPResponseStatus.notFound
        var body = Data(#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}"#.utf8)
        let operation = path == "/graphql" ? Self.operationName(bodyPrefix) : nil
        if let route = routes.first(where: { $0.method == head.method.rawValue && $0.path == path && $0.operation == operation }) {
            status = HTTPResponseStatus(statusCode: route.status)
            body = route.body.flatMap { try? FixturePaths.data("github-api/\($0)") } ?? Data()
            // A node lookup (the agent's AgentNodeLookup, AgentContentNode) answers per id when the
            // fixtures have a file for it.
            if let operation, operation.hasPrefix("Agent"), let id = Self.variable("id", bodyPrefix),
                let specific = try? FixturePaths.data("github-api/graphql/\(operation)-\(id).json")
            {
                body = specific
            }
            // Any other operation answers per repository when the fixtures have a file for it.
            if let operation, let owner = Self.variable("owner", bodyPrefix), let name = Self.variable("name", bodyPrefix),
                let specific = try? FixturePaths.data("github-api/graphql/\(operation)-\(owner)-\(name).json")
            {
                body = specific
            }
        }
        reply(status, body, context: context, version: head.version, date: app?.dateHeader)
    }

    private func reply(_ status: HTTPResponseStatus, _ body: Data, context: ChannelHandlerContext, version: HTTPVersion, date: String?) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.count))
        if let date { headers.add(name: "Date", value: date) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func holdStream(context: ChannelHandlerContext, version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        recorder.heldStreams.withLock {
            $0.append {
                loop.execute {
                    let (handler, context) = bound.value
                    let rest = context.channel.allocator.buffer(string: "event: two\ndata: {}\n\n")
                    context.write(handler.wrapOutboundOut(.body(.byteBuffer(rest))), promise: nil)
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
        // Held first, then the first event: whoever reads the event finds the stream held.
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "event: one\ndata: {}\n\n")))), promise: nil)
    }

    private func streamBytes(_ count: Int, context: ChannelHandlerContext, version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        headers.add(name: "Content-Length", value: String(count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        let chunk = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
        writeChunks(remaining: count, chunk: chunk, context: context)
    }

    /// Writes one chunk at a time, each after the previous one is flushed, so that memory stays flat.
    /// The next chunk goes out on a later turn of the event loop: a flush that completes at once
    /// would otherwise recurse once per chunk (500,000 events overflowed the stack).
    private func writeChunks(remaining: Int, chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard remaining > 0 else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let size = min(remaining, chunk.readableBytes)
        let loop = context.eventLoop.assumeIsolated()
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk.getSlice(at: 0, length: size) ?? chunk)))).assumeIsolated().whenSuccess {
            loop.execute { self.writeChunks(remaining: remaining - size, chunk: chunk, context: context) }
        }
    }
}
