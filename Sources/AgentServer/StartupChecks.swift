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
        for path in [configuration.gitSocketPath, configuration.ghSocketPath, configuration.egressSocketPath, configuration.anthropicSocketPath] {
            switch SocketFile.occupant(of: path) {
            case .nothing: break
            case .staleSocket: SocketFile.remove(path)
            case .liveSocket: throw .init(description: "AGENT_SOCKET_DIR: another agent is already listening on \(path)")
            case .notASocket: throw .init(description: "AGENT_SOCKET_DIR: \(path) exists and is not a socket")
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
