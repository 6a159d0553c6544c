import AgentSystem
import AgentWorkspaceGuard

/// A bounded breadth-first walk of the workspace that finds every directory the person's git
/// could treat as a repository: work trees with a `.git` directory, `.git` files and links, and
/// directories shaped like a git directory (bare repositories, `modules/*`, `worktrees/*`).
///
/// Only directories are opened, each beneath its parent's descriptor and never through a link;
/// inside a git directory only `hooks`, `info`, `remotes`, `branches`, `modules` and `worktrees`
/// are visited (objects and refs never). The walk stops after `limit` directories: repositories
/// beyond are not found (the README says so, and the agent logs it).
struct WorkspaceWalk {
    /// Why a directory is watched.
    enum Context: Hashable {
        /// A work tree directory: a new `.git` or subdirectory here means looking again.
        case workTree(String)
        /// The git directory at this path, or one of its guarded subdirectories.
        case gitDirectory(String)
    }

    /// Where to start: a work tree directory, or a git directory (paths relative to the root).
    enum Start {
        case workTree(String)
        case gitDirectory(String)
    }

    struct Found {
        var gitDirectories: [String] = []
        /// Work tree directories with a `.git` entry of any kind.
        var dotGitOwners: [String] = []
        var visited = 0
        var isComplete = true
    }

    private enum Item {
        case workTree(String)
        /// A directory below `modules/` or `worktrees/` of the git directory named second.
        case internals(String, String)
    }

    static let guardedSubdirectories = ["hooks", "info", "remotes", "branches"]

    /// Walks from `starts`, visiting at most `limit` directories and skipping those whose identity
    /// is in `known` (already walked). Each directory found is handed to `visit` while it is open
    /// (to be watched), then closed: the walk holds no descriptor beyond the one it reads.
    static func walk(
        _ root: ContainedDirectory, from starts: [Start], limit: Int, known: Set<DirectoryKey> = [],
        visit: (String, ContainedDirectory, Context) -> Void
    ) -> Found {
        var found = Found()
        var queue: [Item] = []
        var head = 0
        var isStart = true
        for start in starts {
            switch start {
            case .workTree(let path): queue.append(.workTree(path))
            case .gitDirectory(let path):
                if let directory = try? root.directory(path, followingLinks: false) {
                    registerGitDirectory(path, directory, entries: nil, into: &found, queue: &queue, visit: visit)
                }
            }
        }
        let startCount = queue.count
        while head < queue.count {
            let item = queue[head]
            head += 1
            isStart = head <= startCount
            guard found.visited < limit else {
                found.isComplete = false
                break
            }
            let path: String
            switch item {
            case .workTree(let itemPath), .internals(let itemPath, _): path = itemPath
            }
            guard let directory = try? root.directory(path, followingLinks: false) else { continue }
            if !isStart, !known.isEmpty, let status = try? directory.status(), known.contains(DirectoryKey(status)) { continue }
            found.visited += 1
            guard let entries = try? directory.entries(limit: 100_000) else { continue }
            let kinds = kindsByName(entries)
            if GitDirectoryLayout.isGitDirectory(kinds) {
                registerGitDirectory(path, directory, entries: entries, into: &found, queue: &queue, visit: visit)
                continue
            }
            switch item {
            case .workTree:
                visit(path, directory, .workTree(path))
                if let dotGit = kinds[".git"] {
                    found.dotGitOwners.append(path)
                    if dotGit == .directory, let gitDirectory = try? directory.directory(".git", followingLinks: false) {
                        registerGitDirectory(WorkspacePaths.join(path, ".git"), gitDirectory, entries: nil, into: &found, queue: &queue, visit: visit)
                    }
                }
                for entry in entries where entry.kind == .directory && entry.name != ".git" {
                    queue.append(.workTree(WorkspacePaths.join(path, entry.name)))
                }
            case .internals(_, let owner):
                visit(path, directory, .gitDirectory(owner))
                for entry in entries where entry.kind == .directory {
                    queue.append(.internals(WorkspacePaths.join(path, entry.name), owner))
                }
            }
        }
        return found
    }

    /// Records a git directory, hands it and its guarded subdirectories to `visit`, and queues
    /// its `modules/` and `worktrees/` (which hold further git directories).
    private static func registerGitDirectory(
        _ path: String, _ directory: ContainedDirectory, entries: [DirectoryEntry]?, into found: inout Found, queue: inout [Item],
        visit: (String, ContainedDirectory, Context) -> Void
    ) {
        found.gitDirectories.append(path)
        visit(path, directory, .gitDirectory(path))
        guard let entries = entries ?? (try? directory.entries(limit: 100_000)) else { return }
        let kinds = kindsByName(entries)
        for name in guardedSubdirectories where kinds[name] == .directory {
            if let subdirectory = try? directory.directory(name, followingLinks: false) {
                visit(WorkspacePaths.join(path, name), subdirectory, .gitDirectory(path))
            }
        }
        for name in ["modules", "worktrees"] where kinds[name] == .directory {
            queue.append(.internals(WorkspacePaths.join(path, name), path))
        }
    }

    static func kindsByName(_ entries: [DirectoryEntry]) -> [String: MetadataFile.Kind] {
        Dictionary(entries.map { ($0.name, GuardedEntryReader.kind($0.kind)) }, uniquingKeysWith: { first, _ in first })
    }
}
