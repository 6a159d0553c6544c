import AgentAPIPolicy
import AgentGit
import AgentPolicy
import AgentSystem
import Logging
import ServiceLifecycle

/// Start-up and life of the agent: load the token, read the configuration, check what needs the
/// file system, serve until SIGTERM or SIGINT, then clean up.
public enum AgentRuntime {
    /// Why the agent refuses to start: printed as one line, exit status 2.
    public struct StartupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Prints one line on standard error.
    public static func printError(_ line: String) {
        AppendOnlyFile.standardError.write(Array((line + "\n").utf8))
    }

    /// Runs the agent until it is asked to stop.
    /// - Parameters:
    ///   - overrides: command-line values that replace environment keys.
    ///   - tokenFile: a token file path that replaces `GITHUB_TOKEN_FILE`.
    /// - Throws: `StartupError` when the configuration, the token or the socket cannot be used.
    public static func run(overrides: ConfigurationOverrides, tokenFile: String?) async throws {
        let startedAt = ContinuousClock.now
        ProcessHardening.ignoreBrokenPipes()
        let hardeningFailure: SystemCallError?
        do { try ProcessHardening.disableCoreDumps(); hardeningFailure = nil } catch { hardeningFailure = error }

        // The secrets first: nothing may copy the environment before their variables are scrubbed.
        let secret: LockedSecret?
        let anthropic: AnthropicCredential?
        do {
            secret = try ReachStartup.loadToken(tokenFile: tokenFile)  // nil for a GitHub App
            anthropic = try AnthropicCredential.load()
        } catch {
            for source in [SecretSource.anthropicAPIKey, .claudeOAuthToken] { TokenLoader.scrubEnvironment(source.variable) }
            throw StartupError(description: error.description)
        }
        defer {
            secret?.wipe()
            anthropic?.secret.wipe()
        }

        let parsed: (AgentConfiguration, warnings: [String])
        do {
            parsed = try ConfigurationParser(
                environment: ProcessIdentity.environment(), overrides: overrides, ownUID: ProcessIdentity.userID,
                holdsAnthropicCredential: anthropic != nil
            ).parse()
        } catch {
            throw StartupError(description: error.description)
        }
        var configuration = parsed.0
        let privateKey = try ReachStartup.loadPrivateKey(configuration)
        defer { privateKey?.wipe() }
        let rotating = RotatingSecrets()
        // The held secrets in every form the content scan looks for (issue 14), wiped with them.
        let heldSecrets = LockedHeldSecrets(token: secret, privateKey: privateKey, rotating: rotating, anthropic: anthropic)
        defer { heldSecrets.wipe() }
        let redactor = Redactor(secrets: [secret, privateKey].compactMap { $0 } + (anthropic.map { [$0.secret] } ?? []), rotating: rotating)
        var logger = Logger(label: "command-agent") { ConsoleLogHandler(label: $0, redactor: redactor) }
        logger.logLevel = .info
        for warning in parsed.warnings { logger.warning("\(warning)") }
        if let hardeningFailure { logger.warning("could not disable core dumps (\(hardeningFailure))") }
        for (name, held) in [("the token", secret), ("the App's private key", privateKey), ("the Anthropic credential", anthropic?.secret)] {
            if let failure = held?.lockFailure {
                logger.warning("\(name) could not be locked in memory (\(failure)); it may reach swap. Grant CAP_IPC_LOCK or raise RLIMIT_MEMLOCK.")
            }
        }

        let audit = try StartupChecks.prepare(configuration, redactor: redactor, logger: logger)
        let ledger = try ReachStartup.ledger(configuration)
        try ReachStartup.settleRepositories(&configuration, audit: audit, logger: logger)
        do { try LibGit2.bootstrap(caFile: configuration.caFile) } catch {
            throw StartupError(description: "AGENT_CA_FILE: \(error)")
        }

        // Before any listener: what the container writes later must not become the baseline.
        let workspaceGuard = try WorkspaceGuardService.start(configuration, audit: audit, logger: logger)
        let credential = try ReachStartup.credential(token: secret, configuration: configuration, rotating: rotating)
        let github = GitHubClient(apiURL: configuration.githubAPIURL, caFile: configuration.caFile, credential: credential)
        let appTokens = await ReachStartup.appService(
            credential: credential, privateKey: privateKey, configuration: configuration, github: github, audit: audit, logger: logger)
        let status = StatusService(
            configuration: configuration, credential: credential, ledger: ledger, anthropic: anthropic?.kind, github: github, startedAt: startedAt)
        // libgit2 blocks: it gets threads of its own (large stacks), never the event loops'.
        let gitThreads = BlockingWorkThreads(
            stackSize: GitLimits.threadStackSize, maximumActive: GitLimits.maximumActiveOperations, maximumThreads: GitLimits.maximumThreads)
        let temporaryDirectory = ProcessIdentity.environment()["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let leftovers = ViewRepository.removeLeftovers(in: temporaryDirectory)
        if leftovers > 0 { logger.info("removed \(leftovers) private views left behind in \(temporaryDirectory) by an earlier run") }
        // The session's branches (created, and deleted with their tips): one ledger for every door.
        let git = GitService(
            configuration: configuration, credential: credential, threads: gitThreads, audit: audit, temporaryDirectory: temporaryDirectory,
            ledger: ledger, heldSecrets: heldSecrets
        )
        let listener = FrameListener.make(
            path: configuration.gitSocketPath,
            allowedUIDs: configuration.allowedUIDs,
            handler: GitSocketService(status: status, git: git, audit: audit),
            audit: audit,
            redactor: redactor,
            logger: logger
        )
        let pool = UpstreamPool(makeTLS: { try github.makeTLSContext() })
        let proxy = GitHubProxy.make(
            path: configuration.ghSocketPath,
            configuration: configuration,
            policy: APIPolicy(
                refs: RefPolicy(settings: configuration.policy), settings: configuration.api,
                content: APIContentPolicy(rules: configuration.content, held: heldSecrets), reach: configuration.reach.settings, ledger: ledger),
            github: github,
            ledger: ledger,
            pool: pool,
            audit: audit,
            redactor: redactor,
            logger: logger
        )
        let egress = EgressProxy.make(
            path: configuration.egressSocketPath, allowed: configuration.egressAllowed, allowedUIDs: configuration.allowedUIDs,
            audit: audit, redactor: redactor, logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: listener), .init(service: proxy), .init(service: egress), .init(service: workspaceGuard),
        ]
        if let appTokens { services.append(.init(service: appTokens)) }
        if let anthropic {
            services.append(
                .init(
                    service: AnthropicProxy.make(
                        configuration: configuration, credential: anthropic, pool: pool, audit: audit, redactor: redactor, logger: logger)))
        }
        // Last, so that it stops first: it ends every git wait before the listeners drain.
        services.append(.init(service: GitThreadsShutdown(threads: gitThreads)))
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "lifecycle") { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await group.run()
        } catch {
            await github.shutdown()
            gitThreads.shutdown()
            throw StartupError(description: "AGENT_SOCKET_DIR: cannot serve \(configuration.socketDirectory): \(redactor.redact(String(describing: error)))")
        }
        pool.closeIdle()
        await github.shutdown()
        gitThreads.shutdown()
        logger.info("stopped")
    }
}
