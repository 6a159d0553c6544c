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
}
