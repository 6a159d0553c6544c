import AgentGit
import AgentPolicy
import AgentProtocol
import AgentSystem

/// Serves `list`, `fetch` and `push` on `git.sock`: the network half of git, done natively with
/// libgit2 against a private view of the caller's repository in the workspace. Starts no process.
struct GitService: Sendable {
    let configuration: AgentConfiguration
    let credentials: TokenCredentials
    let runner: GitOperationRunner
    let audit: AuditLog
    let opener: WorkspaceOpener
    /// The session's branches (created, deleted) across git.sock and gh.sock.
    let ledger: BranchLedger
    let limits: GitLimits
    let content: PushContentCheck

    init(
        configuration: AgentConfiguration,
        credential: GitHubCredential,
        threads: BlockingWorkThreads,
        audit: AuditLog,
        temporaryDirectory: String,
        ledger: BranchLedger,
        heldSecrets: any HeldSecretSource,
        limits: GitLimits = GitLimits()
    ) {
        self.configuration = configuration
        let url = configuration.githubURL
        self.credentials = TokenCredentials(host: url.host + (url.port.map { ":\($0)" } ?? ""), credential: credential)
        self.runner = GitOperationRunner(threads: threads)
        self.audit = audit
        self.opener = WorkspaceOpener(workspace: configuration.workspace, temporaryDirectory: temporaryDirectory, limits: limits)
        self.ledger = ledger
        self.limits = limits
        self.content = PushContentCheck(rules: configuration.content, held: heldSecrets)
    }

    private func upstreamURL(_ repository: GitHubRepository) -> String {
        configuration.githubURL.description + repository.gitPath
    }

    func handle(_ operation: String, _ frame: Frame, peer: PeerCredentials, progress: @escaping @Sendable (Frame) async -> Void) async -> Frame {
        let started = ContinuousClock.now
        var repositoryName: String?
        do {
            let request = try GitRequest(frame, needsRepository: operation != Wire.Operation.list)
            repositoryName = request.repository.description
            if let refusal = try reachRefusal(operation, request, frame, peer: peer, started: started) { return refusal }
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
        let references = try await runner.run(
            timeLimit: limits.listTime, what: "list", wantsProgress: request.wantsProgress, progress: progress
        ) { control, onEvent throws(GitServiceError) in
            try Self.listReferences(url: url, credentials: credentials, wantsProgress: request.wantsProgress, control: control, onEvent: onEvent)
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
        let operation = FetchOperation(opener: opener, upstreamURL: upstreamURL(request.repository), credentials: credentials)
        let gitDirectory = request.gitDirectory ?? ""
        try await runner.run(timeLimit: limits.fetchTime, what: "fetch", wantsProgress: request.wantsProgress, progress: progress) {
            control, onEvent throws(GitServiceError) in
            try operation.run(gitDirectory: gitDirectory, wants: wants, wantsProgress: request.wantsProgress, control: control, onEvent: onEvent)
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
            opener: opener,
            upstreamURL: upstreamURL(request.repository),
            repositoryName: request.repository.description,
            credentials: credentials,
            ledger: ledger,
            limits: limits,
            content: content
        )
        let gitDirectory = request.gitDirectory ?? ""
        let isAtomic = frame[Wire.Key.atomic] == "true"
        let isDryRun = frame[Wire.Key.dryRun] == "true"
        let outcome = try await runner.run(timeLimit: limits.pushTime, what: "push", wantsProgress: request.wantsProgress, progress: progress) {
            control, onEvent throws(GitServiceError) in
            try operation.run(
                gitDirectory: gitDirectory, refspecs: refspecs, leases: leases, isAtomic: isAtomic, isDryRun: isDryRun, control: control,
                onEvent: onEvent)
        }
        if !isDryRun { recordCreations(outcome, repository: request.repository.description) }
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
                code: outcome.refusalCode,
                reason: denials.isEmpty ? failures.first.map { "\($0.destination): \($0.failure ?? "")" } : denials.joined(separator: "; "),
                details: outcome.inspection?.auditDetails ?? [],
                started: started
            ))
        return reply
    }

    private static func listReferences(
        url: String,
        credentials: TokenCredentials,
        wantsProgress: Bool,
        control: OperationControl,
        onEvent: @escaping @Sendable (TransferEvent) -> Void
    ) throws(GitServiceError) -> [AdvertisedReference] {
        let observer = TransferObserver(credentials: credentials, wantsServerMessages: wantsProgress, control: control, onEvent: onEvent)
        do {
            let connection = try RemoteConnection(url: url, repository: nil, observer: observer)
            try connection.connect(.fetch)
            return try connection.advertisedReferences()
        } catch {
            throw .failed(error.message, code: control.stopReason == nil ? "upstream-failed" : "timeout")
        }
    }
}
