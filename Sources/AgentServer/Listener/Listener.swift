import AgentSystem
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// What one socket speaks. The `Listener` accepts, checks the peer and admits; the protocol
/// installs its handlers on an admitted connection.
protocol ConnectionServing: Sendable {
    /// `git.sock`, for audit lines.
    var socketName: String { get }
    /// Adds the protocol's handlers to an admitted connection, on its event loop, before any
    /// byte is read.
    /// - Returns: work to run as a task for the life of the connection (protocols written with
    ///   `NIOAsyncChannel`), or `nil` when the handlers serve the connection themselves.
    func configure(_ channel: any Channel, peer: PeerCredentials, slot: ConnectionSlot) throws -> ConnectionJob?
    /// The protocol's own words for a connection that will not be served.
    func refusal(_ refusal: ListenerRefusal, allocator: ByteBufferAllocator) -> ByteBuffer
}

/// Work that serves one connection in a task of the listener's task group.
struct ConnectionJob: Sendable {
    let run: @Sendable () async -> Void
}

/// Why a connection is turned away before it is served.
enum ListenerRefusal: Sendable, Equatable {
    case peer(uid: UInt32)
    case busy(limit: Int)

    var code: String {
        switch self {
        case .peer: "peer-refused"
        case .busy: "busy"
        }
    }

    var message: String {
        switch self {
        case .peer(let uid): "uid \(uid) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"
        case .busy(let limit): "the agent is serving \(limit) connections; try again"
        }
    }
}

/// One listening socket, for every protocol the agent speaks: accept, peer check
/// (`SO_PEERCRED`, before anything is read), admission into a fixed number of slots (the
/// longest-waiting connection gives way, see `ConnectionSlots`), the protocol's handlers, and
/// a quiescing shutdown: stop accepting, give open connections `drainTimeout`, close the rest,
/// remove the socket file.
struct Listener: Service {
    struct Settings: Sendable {
        var path: String
        var allowedUIDs: Set<UInt32>
        var maximumConnections: Int
        var drainTimeout: Duration = .seconds(5)
        /// Accept and serve on one event loop: no hand-over between threads per connection (the
        /// proxies, whose upstream connections live on the same loop).
        var servesOnOneLoop = false
    }

    let settings: Settings
    let serving: any ConnectionServing
    let audit: AuditLog
    let redactor: Redactor
    let logger: Logger

    func run() async throws {
        let slots = ConnectionSlots(capacity: settings.maximumConnections)
        let (jobs, jobSink) = AsyncStream.makeStream(of: ConnectionJob.self)
        let group: any EventLoopGroup =
            settings.servesOnOneLoop ? MultiThreadedEventLoopGroup.singleton.next() : MultiThreadedEventLoopGroup.singleton
        let admission = Admission(settings: settings, serving: serving, slots: slots, jobs: jobSink, audit: audit)
        let server = try await ServerBootstrap(group: group, childGroup: group)
            .serverChannelOption(.backlog, value: 256)
            // A client may shut down its sending side after the request and still read the reply.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                PeerCredentials.load(from: channel).flatMapThrowing { peer in try admission.admit(channel, peer: peer) }
            }
            .bind(unixDomainSocketPath: settings.path, cleanupExistingSocketFile: false)
            .get()
        defer { SocketFile.remove(settings.path) }
        try SocketFile.setMode(settings.path, 0o666)  // who may talk is decided by SO_PEERCRED, not file mode
        logger.info("listening on \(settings.path)")
        server.closeFuture.whenComplete { _ in jobSink.finish() }

        await withDiscardingTaskGroup { group in
            group.addTask {
                // Closing the listening socket ends the accepts, on SIGTERM or when the service
                // group cancels this service (another one failed).
                try? await withTaskCancellationOrGracefulShutdownHandler {
                    try await server.closeFuture.get()
                } onCancelOrGracefulShutdown: {
                    server.close(promise: nil)
                }
            }
            for await job in jobs {
                group.addTask { await job.run() }
            }
            await slots.drain(within: settings.drainTimeout)
        }
        logger.info("stopped listening on \(settings.path)")
    }
}

/// The accept path of one listener (on the new connection's event loop).
private struct Admission: Sendable {
    let settings: Listener.Settings
    let serving: any ConnectionServing
    let slots: ConnectionSlots
    let jobs: AsyncStream<ConnectionJob>.Continuation
    let audit: AuditLog

    func admit(_ channel: any Channel, peer: PeerCredentials) throws {
        let sync = channel.pipeline.syncOperations
        guard settings.allowedUIDs.contains(peer.uid) else {
            let refusal = ListenerRefusal.peer(uid: peer.uid)
            audit.record(
                AuditEntry(
                    peer: peer, socket: serving.socketName, operation: "connection", decision: "deny", code: refusal.code,
                    reason: refusal.message, started: .now))
            return try sync.addHandler(RefusalHandler(reply: serving.refusal(refusal, allocator: channel.allocator)))
        }
        guard let slot = slots.admit(channel) else {
            return try sync.addHandler(RefusalHandler(reply: serving.refusal(.busy(limit: settings.maximumConnections), allocator: channel.allocator)))
        }
        channel.closeFuture.whenComplete { [slots] _ in slots.release(channel) }
        if let job = try serving.configure(channel, peer: peer, slot: slot) {
            jobs.yield(job)
        }
    }
}

/// Answers a connection that will not be served, then closes it. What the client sends is read
/// and dropped until it hangs up (or for `drainTimeout`): closing with unread input would make
/// the kernel reset the connection, and the client would lose the answer.
final class RefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let drainTimeout: TimeAmount = .seconds(2)
    private let reply: ByteBuffer
    private var responded = false

    init(reply: ByteBuffer) {
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        respond(context: context)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { respond(context: context) }
    }

    private func respond(context: ChannelHandlerContext) {
        guard !responded else { return }
        responded = true
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.drainTimeout) { context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
