import AgentGit
import AgentSystem

/// Opens the caller's repository beneath `AGENT_WORKSPACE`, by descriptor (`WorkspaceRepository`),
/// and makes the agent's private view of it.
struct WorkspaceOpener: Sendable {
    let workspace: String
    let temporaryDirectory: String
    let limits: GitLimits

    func open(_ gitDirectory: String, control: OperationControl) throws(GitServiceError) -> WorkspaceRepository {
        guard gitDirectory.hasPrefix("/") else {
            throw .badRequest("git_dir must be an absolute path, not '\(gitDirectory.quotedInRefusal)'")
        }
        let root: ContainedDirectory
        do { root = try ContainedDirectory.openRoot(workspace) } catch {
            throw .refused("the workspace \(workspace) is not available (\(error))", code: "workspace-missing")
        }
        do {
            return try WorkspaceRepository(
                gitDirectory: gitDirectory, root: root, workspace: workspace, limits: limits.workspace, control: control)
        } catch {
            throw GitServiceError(error)
        }
    }

    func view(of repository: WorkspaceRepository, control: OperationControl) throws(GitServiceError) -> ViewRepository {
        do {
            return try ViewRepository(of: repository, in: temporaryDirectory, objectLimits: limits.objects, control: control)
        } catch {
            throw GitServiceError(error)
        }
    }
}

extension GitServiceError {
    /// A workspace refusal keeps its rule's code; the agent's own failures are errors.
    init(_ error: WorkspaceError) {
        switch error.rule {
        case .agentFailed, .stopped: self = .failed(error.message, code: error.code)
        default: self = .refused(error.message, code: error.code)
        }
    }
}
