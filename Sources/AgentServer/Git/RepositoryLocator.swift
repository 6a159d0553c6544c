import AgentGit
import AgentSystem
import FoundationEssentials

/// Finds the caller's repository and proves it lies inside `AGENT_WORKSPACE`, links resolved:
/// the git directory itself, its common directory's `objects/`, and every alternate object store.
struct RepositoryLocator: Sendable {
    let workspace: String

    struct Located {
        let repository: GitRepository
        /// The canonical git directory.
        let gitDirectory: String
        /// The canonical `objects/` directory (in the common directory for worktrees).
        let objectsDirectory: String
    }

    func locate(_ gitDirectory: String) throws(GitServiceError) -> Located {
        guard gitDirectory.hasPrefix("/") else {
            throw .badRequest("git_dir must be an absolute path, not '\(gitDirectory)'")
        }
        let root: String
        do { root = try WorkspacePath.resolve(workspace) } catch {
            throw .refused("the workspace \(workspace) is not available (\(error.reason))", code: "workspace-missing")
        }
        let real: String
        do { real = try WorkspacePath.resolve(gitDirectory) } catch {
            throw .refused("the repository \(gitDirectory) cannot be opened (\(error.reason))", code: "repository-missing")
        }
        guard WorkspacePath.isInside(real, root: root) else {
            throw .refused("the repository \(gitDirectory) is outside the workspace (AGENT_WORKSPACE=\(workspace))", code: "outside-workspace")
        }
        guard FileCheck.isDirectory(real) else {
            throw .refused("\(gitDirectory) is not a git directory", code: "repository-missing")
        }
        let repository: GitRepository
        do { repository = try GitRepository.open(gitDirectory: real) } catch {
            throw .refused("\(gitDirectory) is not a git repository (\(error.message))", code: "repository-missing")
        }
        let objects = try inside(repository.commonDirectory + "objects", root: root, what: "its object store")
        try checkAlternates(of: objects, root: root, depth: 0)
        return Located(repository: repository, gitDirectory: real, objectsDirectory: objects)
    }

    private func inside(_ path: String, root: String, what: String) throws(GitServiceError) -> String {
        let real: String
        do { real = try WorkspacePath.resolve(path) } catch {
            throw .refused("\(what) (\(path)) cannot be opened (\(error.reason))", code: "repository-missing")
        }
        guard WorkspacePath.isInside(real, root: root) else {
            throw .refused("\(what) (\(path)) is outside the workspace (AGENT_WORKSPACE=\(workspace))", code: "outside-workspace")
        }
        return real
    }

    /// `objects/info/alternates` lets a repository read objects from elsewhere: each entry, and
    /// theirs in turn (as deep as libgit2 follows them), must lie inside the workspace too.
    private func checkAlternates(of objects: String, root: String, depth: Int) throws(GitServiceError) {
        let file = objects + "/info/alternates"
        guard FileCheck.isReadableFile(file) else { return }
        guard depth < 5 else { throw .refused("alternate object stores are nested too deeply", code: "outside-workspace") }
        guard let data = FileManager.default.contents(atPath: file), data.count <= 64 * 1024 else {
            throw .refused("\(file) cannot be read", code: "outside-workspace")
        }
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let entry = String(line)
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            let path = entry.hasPrefix("/") ? entry : objects + "/" + entry
            let real = try inside(path, root: root, what: "an alternate object store")
            try checkAlternates(of: real, root: root, depth: depth + 1)
        }
    }
}
