import AgentGit
import AgentPolicy
import AgentProtocol
import AgentSystem
import NIOPosix

/// Serves `list`, `fetch` and `push` on `git.sock`: the network half of git, done natively with
/// libgit2 against the caller's repository in the workspace. Starts no process.
struct GitService: Sendable {
    let configuration: AgentConfiguration
    let credentials: TokenCredentials
    let pool: NIOThreadPool
    let audit: AuditLog
    let temporaryDirectory: String

    init(configuration: AgentConfiguration, secret: LockedSecret, pool: NIOThreadPool, audit: AuditLog, temporaryDirectory: String) {
        self.configuration = configuration
        let url = configuration.githubURL
        self.credentials = TokenCredentials(host: url.host + (url.port.map { ":\($0)" } ?? ""), secret: secret)
        self.pool = pool
        self.audit = audit
        self.temporaryDirectory = temporaryDirectory
    }

    private var locator: RepositoryLocator { RepositoryLocator(workspace: configuration.workspace) }

    private func upstreamURL(_ repository: GitHubRepository) -> String {
        configuration.githubURL.description + repository.gitPath
    }

    func handle(_ operation: String, _ frame: Frame, peer: PeerCredentials, progress: @escaping @Sendable (Frame) async -> Void) async -> Frame {
        let started = ContinuousClock.now
        var repositoryName: String?
        do {
            let request = try GitRequest(frame, needsRepository: operation != Wire.Operation.list)
            repositoryName = request.repository.description
            switch operation {
            case Wire.Operation.list:
                let reply = try await list(request, progress: progress)
                record(peer, operation, request, decision: "allow", started: started)
                return reply
            case Wire.Operation.fetch:
                let reply = try await fetch(request, frame, progress: progress)
                record(peer, operation, request, decision: "allow", started: started)
                return reply
            default:
                return try await push(request, frame, peer: peer, started: started, progress: progress)
            }
        } catch {
            audit.record(
                AuditEntry(
                    peer: peer, socket: "git.sock", operation: operation, repository: repositoryName,
                    decision: { if case .refused = error { "deny" } else { "error" } }(), code: error.code, reason: error.message, started: started
                ))
            return error.reply
        }
    }

    private func record(_ peer: PeerCredentials, _ operation: String, _ request: GitRequest, decision: String, started: ContinuousClock.Instant) {
        audit.record(
            AuditEntry(
                peer: peer, socket: "git.sock", operation: operation, repository: request.repository.description, decision: decision, started: started
            ))
    }

    // MARK: - Operations

    private func list(_ request: GitRequest, progress: @escaping @Sendable (Frame) async -> Void) async throws(GitServiceError) -> Frame {
        let url = upstreamURL(request.repository)
        let credentials = self.credentials
        let references = try await blocking(request, progress: progress) { onEvent throws(GitServiceError) in
            try Self.listReferences(url: url, credentials: credentials, wantsProgress: request.wantsProgress, onEvent: onEvent)
        }
        var reply = Frame([Frame.Field(Wire.Key.status, Wire.Status.ok)])
        for reference in references {
            if reference.name == "HEAD", let target = reference.symbolicTarget { reply.append(Wire.Key.head, target) }
            reply.append(Wire.Key.reference, "\(reference.id.hex) \(reference.name)")
        }
        return reply
    }

    private func fetch(_ request: GitRequest, _ frame: Frame, progress: @escaping @Sendable (Frame) async -> Void) async throws(GitServiceError) -> Frame {
        let wants = try GitRequest.wants(frame)
        let url = upstreamURL(request.repository)
        let credentials = self.credentials
        let locator = self.locator
        let gitDirectory = request.gitDirectory ?? ""
        try await blocking(request, progress: progress) { onEvent throws(GitServiceError) in
            let located = try locator.locate(gitDirectory)
            let missing = wants.filter { !located.repository.contains($0) }
            guard !missing.isEmpty else { return }
            try Self.download(
                missing, url: url, into: located.repository, credentials: credentials, wantsProgress: request.wantsProgress, onEvent: onEvent
            )
        }
        return Frame([Frame.Field(Wire.Key.status, Wire.Status.ok)])
    }

    private func push(
        _ request: GitRequest,
        _ frame: Frame,
        peer: PeerCredentials,
        started: ContinuousClock.Instant,
        progress: @escaping @Sendable (Frame) async -> Void
    ) async throws(GitServiceError) -> Frame {
        let refspecs = try GitRequest.refspecs(frame)
        let leases = try GitRequest.leases(frame)
        let operation = PushOperation(
            planner: PushPlanner(policy: RefPolicy(settings: configuration.policy)),
            locator: locator,
            upstreamURL: upstreamURL(request.repository),
            credentials: credentials,
            temporaryDirectory: temporaryDirectory
        )
        let gitDirectory = request.gitDirectory ?? ""
        let isAtomic = frame[Wire.Key.atomic] == "true"
        let isDryRun = frame[Wire.Key.dryRun] == "true"
        let outcome = try await blocking(request, progress: progress) { onEvent throws(GitServiceError) in
            try operation.run(
                gitDirectory: gitDirectory, refspecs: refspecs, leases: leases, isAtomic: isAtomic, isDryRun: isDryRun, onEvent: onEvent
            )
        }
        var reply = Frame([Frame.Field(Wire.Key.status, Wire.Status.ok)])
        for result in outcome.results {
            if let failure = result.failure {
                reply.append(Wire.Key.error, "\(result.destination) \(failure)")
            } else {
                reply.append(Wire.Key.ok, result.destination)
            }
        }
        let failures = outcome.results.filter { $0.failure != nil }
        let denials = outcome.entries.compactMap { entry -> String? in
            guard case .reject(let reason, let code) = entry.outcome, code != "atomic-push-failed" else { return nil }
            return "\(entry.fullName): \(reason)"
        }
        audit.record(
            AuditEntry(
                peer: peer, socket: "git.sock", operation: isDryRun ? "push (dry run)" : "push", repository: request.repository.description,
                refs: outcome.entries.map(\.fullName),
                decision: failures.isEmpty ? "allow" : (failures.count == outcome.results.count ? "deny" : "partial"),
                reason: denials.isEmpty ? failures.first.map { "\($0.destination): \($0.failure ?? "")" } : denials.joined(separator: "; "),
                started: started
            ))
        return reply
    }

    private static func listReferences(
        url: String,
        credentials: TokenCredentials,
        wantsProgress: Bool,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) -> [AdvertisedReference] {
        let observer = TransferObserver(credentials: credentials, wantsServerMessages: wantsProgress, onEvent: onEvent)
        do {
            let connection = try RemoteConnection(url: url, repository: nil, observer: observer)
            try connection.connect(.fetch)
            return try connection.advertisedReferences()
        } catch {
            throw .failed(error.message, code: "upstream-failed")
        }
    }

    private static func download(
        _ ids: [ObjectID],
        url: String,
        into repository: GitRepository,
        credentials: TokenCredentials,
        wantsProgress: Bool,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) {
        let observer = TransferObserver(credentials: credentials, wantsServerMessages: wantsProgress, onEvent: onEvent)
        do {
            let connection = try RemoteConnection(url: url, repository: repository, observer: observer)
            try connection.connect(.fetch)
            try connection.download(ids)
        } catch {
            throw .failed(error.message, code: "upstream-failed")
        }
    }

    // MARK: - Running libgit2

    /// Runs blocking libgit2 work on the git thread pool while forwarding its events as progress
    /// frames (transfer progress and the server's progress only when the client asked for it; the
    /// server's other messages always).
    private func blocking<Result: Sendable>(
        _ request: GitRequest,
        progress: @escaping @Sendable (Frame) async -> Void,
        _ work: @escaping @Sendable (@escaping @Sendable (TransferEvent) -> Void) throws(GitServiceError) -> Result
    ) async throws(GitServiceError) -> Result {
        let (events, continuation) = AsyncStream.makeStream(of: TransferEvent.self)
        let wantsProgress = request.wantsProgress
        let pool = self.pool
        let outcome = await withTaskGroup(of: Swift.Result<Result, GitServiceError>?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                do {
                    return try await pool.runIfActive { () -> Swift.Result<Result, GitServiceError> in
                        Swift.Result { () throws(GitServiceError) -> Result in
                            try work { event in
                                if wantsProgress || (event.isRemoteMessage && !event.isRemoteProgress) { continuation.yield(event) }
                            }
                        }
                    }
                } catch {
                    return .failure(.failed("the agent is shutting down", code: "shutting-down"))
                }
            }
            group.addTask {
                for await event in events { await progress(event.frame) }
                return nil
            }
            var outcome: Swift.Result<Result, GitServiceError>?
            for await value in group where value != nil { outcome = value }
            return outcome
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw error
        case .none: throw .failed("the operation ended without a result", code: "internal")
        }
    }
}
