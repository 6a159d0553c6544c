import AgentSystem
import AgentWorkspaceGuard

/// A directory's identity: device and inode, which survive renames, so that a repository the
/// session moves keeps its baseline.
struct DirectoryKey: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ status: FileStatus) {
        device = status.device
        inode = status.inode
    }
}

/// What the workspace's git metadata was when the agent started: never changed by the guard,
/// and the reference every later state is compared with.
struct WorkspaceBaseline {
    /// Per git directory (by identity).
    var gitDirectories: [DirectoryKey: GitDirectoryBaseline] = [:]
    /// `.git` entries that are files or links, per work tree directory (by identity); a `.git`
    /// directory is recorded as `.directory`.
    var dotGitEntries: [DirectoryKey: MetadataFile] = [:]
}

/// One git directory at the start.
struct GitDirectoryBaseline {
    /// `config`, `config.worktree`, and included files (by path relative to the workspace).
    var configs: [String: ConfigFileBaseline] = [:]
    /// Included configuration files, relative to the workspace, found from the baseline's own
    /// `include.path` and `includeIf.*.path` (recursively, at most 10 deep like git).
    var includedFiles: [String] = []
    /// `hooks`, `hooks/NAME`, `info`, `info/attributes`, `remotes/NAME`, `branches/NAME`,
    /// `commondir`, by path relative to the git directory.
    var files: [String: MetadataFile] = [:]
    /// Directories the baseline's `core.hooksPath` names inside the workspace (often a tracked
    /// folder such as `.husky`), with their entries by name.
    var hookDirectories: [String: [String: MetadataFile]] = [:]

    static let empty = GitDirectoryBaseline()
}

/// One configuration file at the start.
struct ConfigFileBaseline {
    var state: MetadataFile
    /// Its settings (empty when it could not be read as configuration).
    var settings: Set<GitConfigSetting>
}

/// How much file content the baseline keeps in memory (to compare with, and to put back what
/// the session changed): bounded per file and in total; beyond, identities are compared.
struct ContentBudget {
    static let perFile = 1 << 20
    private(set) var remaining = 64 << 20

    mutating func admit(_ size: Int) -> Bool {
        guard size <= Self.perFile, size <= remaining else { return false }
        remaining -= size
        return true
    }
}
