import AgentSystem

/// A repository in the workspace, read by descriptor strictly beneath the workspace root: its git
/// directory, `commondir` (worktrees), `HEAD`, refs, `packed-refs` and object directories with
/// every alternate. Nothing is opened by a path string the workspace could redirect, no FIFO or
/// device is opened as a file, every file's size is checked before it is read, and
/// configuration is not read at all.
public final class WorkspaceRepository {
    /// The git directory as the client named it (for messages).
    public let displayPath: String
    /// The git directory and the common directory, relative to the workspace root.
    let gitRelative: String
    let commonRelative: String
    /// The object directories (the repository's own first, then alternates), relative to the root.
    let objectDirectories: [String]
    public let references: ReferenceSnapshot
    let root: ContainedDirectory
    let limits: WorkspaceLimits
    private let workspace: WorkspacePathMap

    /// The operation's deadline, checked while the layout is read.
    private let control: OperationControl?

    /// Opens the repository whose git directory is `gitDirectory` (an absolute path inside the
    /// workspace).
    /// - Parameter control: the operation's deadline; reading stops (`.stopped`) once it passes.
    /// - Throws: `WorkspaceError` naming the path and the rule that refused it.
    public init(
        gitDirectory: String,
        root: ContainedDirectory,
        workspace: String,
        limits: WorkspaceLimits = WorkspaceLimits(),
        control: OperationControl? = nil
    ) throws(WorkspaceError) {
        self.displayPath = gitDirectory
        self.root = root
        self.limits = limits
        self.control = control
        let map = WorkspacePathMap(workspace: workspace)
        self.workspace = map
        let relative = try map.relative(gitDirectory, what: "the repository \(gitDirectory)")
        gitRelative = relative
        let reader = LayoutReader(root: root, workspace: workspace, limits: limits, control: control)
        do {
            _ = try root.directory(relative)
        } catch  where error.kind == .missing || error.kind == .notDirectory {
            throw WorkspaceError(.notRepository, "\(gitDirectory) is not a git directory")
        } catch {
            throw WorkspaceError(error, workspace: workspace)
        }
        guard let headBytes = try reader.readIfPresent(relative + "/HEAD", limit: limits.smallFile) else {
            throw WorkspaceError(.notRepository, "\(gitDirectory) is not a git repository (it has no HEAD)")
        }
        var common = relative
        if let text = try reader.readIfPresent(relative + "/commondir", limit: limits.smallFile) {
            let line = String(decoding: text, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            guard !line.isEmpty else { throw WorkspaceError(.notRepository, "\(gitDirectory)/commondir is empty") }
            common = line.hasPrefix("/") ? try map.relative(line, what: "\(gitDirectory)/commondir") : relative + "/" + line
        }
        commonRelative = common
        objectDirectories = try reader.objectDirectories(startingAt: common + "/objects", map: map, displayName: gitDirectory)
        var snapshot = ReferenceSnapshot(head: ReferenceSnapshot.parseLoose(headBytes))
        if let packed = try reader.readIfPresent(common + "/packed-refs", limit: limits.packedReferences) {
            snapshot.references = ReferenceSnapshot.parsePacked(packed, limit: limits.references)
        }
        try reader.readLooseReferences(under: common + "/refs", into: &snapshot.references)
        if common != relative {
            // A worktree's own refs (refs/worktree, refs/bisect, refs/rewritten) live in its git directory.
            try reader.readLooseReferences(under: relative + "/refs", into: &snapshot.references)
        }
        references = snapshot
    }

    /// Opens every pack (index and data) and the loose objects of each object directory, as an
    /// object store for libgit2.
    func makeObjectStore(limits objectLimits: ObjectLimits, control: OperationControl?) throws(WorkspaceError) -> WorkspaceObjectStore {
        let reader = LayoutReader(root: root, workspace: workspace.workspace, limits: limits, control: control ?? self.control)
        var directories: [WorkspaceObjectStore.Directory] = []
        var packCount = 0
        let budget = IndexMemoryBudget(bytes: objectLimits.indexMemoryBytes)
        for relative in objectDirectories {
            let packs = try reader.packs(in: relative, numberedFrom: packCount, budget: budget)
            packCount += packs.count
            guard packCount <= limits.packs else {
                throw WorkspaceError(.tooMany, "\(displayPath) has more than \(limits.packs) packs; run 'git repack -a -d' (or 'git gc') first")
            }
            directories.append(.init(loose: LooseObjects(root: root, relativePath: relative), packs: packs))
        }
        return WorkspaceObjectStore(directories: directories, limits: objectLimits, control: control)
    }

    /// The repository's `objects/pack` directory, opened for adding packs (made when missing).
    public func packDirectory() throws(WorkspaceError) -> ContainedDirectory {
        let objects = commonRelative + "/objects"
        do {
            do {
                return try root.directory(objects + "/pack")
            } catch  where error.kind == .missing {
                try root.directory(objects).makeDirectory("pack")
                return try root.directory(objects + "/pack")
            }
        } catch {
            throw WorkspaceError(error, workspace: workspace.workspace)
        }
    }
}

/// Absolute paths in the workspace as paths relative to its root (for `openat2` beneath it).
struct WorkspacePathMap {
    let workspace: String

    /// `path` relative to the root, or a refusal when it does not start with the workspace.
    /// `..` and links are left to the kernel, which refuses any that leave the root.
    func relative(_ path: String, what: String) throws(WorkspaceError) -> String {
        let base = workspace.hasSuffix("/") ? String(workspace.dropLast()) : workspace
        guard path.hasPrefix("/") else { throw WorkspaceError(.notRepository, "\(what) must be an absolute path") }
        guard path == base || path.hasPrefix(base + "/") else {
            throw WorkspaceError(.outsideWorkspace, "\(what) is outside the workspace (AGENT_WORKSPACE=\(workspace))")
        }
        let rest = path.dropFirst(base.count).drop { $0 == "/" }
        return rest.isEmpty ? "." : String(rest)
    }
}
