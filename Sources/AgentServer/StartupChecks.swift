import AgentSystem
import Logging

/// Start-up checks that need the file system; each failure names the key it is about.
enum StartupChecks {
    /// Creates the socket directory, makes sure no other agent listens there, checks the CA file
    /// and the workspace, and opens the audit log.
    static func prepare(_ configuration: AgentConfiguration, redactor: Redactor, logger: Logger) throws(AgentRuntime.StartupError) -> AuditLog {
        do {
            try SocketFile.prepareDirectory(configuration.socketDirectory)
            try SocketFile.checkWritable(configuration.socketDirectory)
        } catch {
            throw .init(description: "AGENT_SOCKET_DIR: cannot use \(configuration.socketDirectory): \(error.reason)")
        }
        // Whoever may write the socket directory may replace the agent's sockets with their own
        // (and answer `agent-status` in its name): only the agent may.
        let directory = configuration.socketDirectory
        do {
            let ownership = try SocketFile.ownership(of: directory)
            if ownership.uid != ProcessIdentity.userID {
                throw AgentRuntime.StartupError(
                    description:
                        "AGENT_SOCKET_DIR: \(directory) belongs to uid \(ownership.uid), not to the agent (uid \(ProcessIdentity.userID)); its owner could replace the agent's sockets"
                )
            }
            if ownership.isWritableByOthers {
                throw AgentRuntime.StartupError(
                    description:
                        "AGENT_SOCKET_DIR: \(directory) is writable by other users (mode \(String(ownership.mode, radix: 8))); they could replace the agent's sockets: make it 0755"
                )
            }
        } catch let error as AgentRuntime.StartupError {
            throw error
        } catch {
            throw .init(description: "AGENT_SOCKET_DIR: cannot use \(directory): \(error)")
        }
        for path in [configuration.gitSocketPath, configuration.ghSocketPath, configuration.egressSocketPath, configuration.anthropicSocketPath] {
            switch SocketFile.occupant(of: path) {
            case .nothing: break
            case .staleSocket: SocketFile.remove(path)
            case .liveSocket: throw .init(description: "AGENT_SOCKET_DIR: another agent is already listening on \(path)")
            case .notASocket: throw .init(description: "AGENT_SOCKET_DIR: \(path) exists and is not a socket")
            case .foreignSocket(let uid):
                throw .init(description: "AGENT_SOCKET_DIR: \(path) was made by uid \(uid), not by the agent; the agent does not listen on it")
            }
        }
        if let caFile = configuration.caFile, !FileCheck.isReadableFile(caFile) {
            throw .init(description: "AGENT_CA_FILE: cannot read \(caFile)")
        }
        if !FileCheck.isDirectory(configuration.workspace) {
            logger.warning("AGENT_WORKSPACE: \(configuration.workspace) is not a directory; git operations will be refused until it is")
        } else {
            warnAboutWorkspaceOwnership(configuration.workspace, logger: logger)
        }
        let file: AppendOnlyFile
        if configuration.auditLog == "-" {
            file = .standardOutput
        } else {
            do { file = try AppendOnlyFile(path: configuration.auditLog) } catch {
                throw .init(description: "AGENT_AUDIT_LOG: cannot open \(configuration.auditLog): \(error.reason)")
            }
        }
        return AuditLog(file: file, redactor: redactor)
    }

    /// The agent runs as its own uid in the containers, not as the workspace's owner: it writes
    /// there (fetched packs, the guard's records) through `CAP_DAC_OVERRIDE` and hands what it
    /// makes to the owner through `CAP_CHOWN`. One line when either is missing.
    private static func warnAboutWorkspaceOwnership(_ workspace: String, logger: Logger) {
        guard let owner = try? ContainedDirectory.openRoot(workspace).status().owner, owner != ProcessIdentity.userID else { return }
        var missing: [String] = []
        if !ProcessCapabilities.effectiveIncludes(bit: ProcessCapabilities.overrideFilePermissions) { missing.append("CAP_DAC_OVERRIDE") }
        if !ProcessCapabilities.effectiveIncludes(bit: ProcessCapabilities.chown) { missing.append("CAP_CHOWN") }
        guard !missing.isEmpty else { return }
        logger.warning(
            "AGENT_WORKSPACE: \(workspace) belongs to uid \(owner), the agent runs as uid \(ProcessIdentity.userID) without \(missing.joined(separator: " and ")): it may fail to fetch into or guard the repositories there, or leave files their owner cannot change"
        )
    }
}
