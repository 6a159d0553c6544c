import AgentSystem
import CLibGit2

/// The agent's private view of a workspace repository, for one operation.
///
/// A bare repository in the agent's own temporary directory (mode 0700, removed afterwards):
/// its object database serves the workspace's objects through the agent's own backend (opened
/// by descriptor, hash-checked by libgit2, no commit-graph or multi-pack-index), its refs are a
/// validated copy of the workspace's, and its configuration is the agent's. libgit2 resolves
/// revisions, walks ancestry, packs pushes and receives fetches here; it never opens a
/// workspace file by path. A fetch lands in this view's own `objects/pack`, from where the agent
/// copies the new pack into the workspace by descriptor.
public final class ViewRepository {
    public let repository: GitRepository
    private let directory: PrivateDirectory

    /// Views are `agent-view-XXXXXX` in the agent's temporary directory.
    static let directoryPrefix = "agent-view"

    /// A view unchanged for this long (seconds) is no operation's: longer than the longest
    /// operation (30 minutes), so that a view of an agent that does not lock it is never removed
    /// while in use.
    static let leftoverAge: Int64 = 60 * 60

    /// Removes the views an earlier agent left behind (it was killed mid-operation); views in
    /// use by a running agent are locked (or recent) and kept. Returns how many were removed.
    public static func removeLeftovers(in temporaryDirectory: String) -> Int {
        PrivateDirectory.sweep(in: temporaryDirectory, prefix: directoryPrefix, minimumAge: leftoverAge)
    }

    /// Memory libgit2's pack builder may use for its delta window (`pack.windowMemory`).
    static let packWindowMemory: Int64 = 256 << 20

    /// - Parameters:
    ///   - workspace: the repository to view.
    ///   - temporaryDirectory: the agent's own temporary directory.
    ///   - control: the operation's deadline, checked on every object read.
    public init(
        of workspace: WorkspaceRepository,
        in temporaryDirectory: String,
        objectLimits: ObjectLimits,
        control: OperationControl?
    ) throws(WorkspaceError) {
        let store = try workspace.makeObjectStore(limits: objectLimits, control: control)
        do {
            directory = try PrivateDirectory(in: temporaryDirectory, prefix: Self.directoryPrefix)
        } catch {
            throw WorkspaceError(.agentFailed, "the agent cannot make its private repository: \(error)")
        }
        var pointer: OpaquePointer?
        guard git_repository_init(&pointer, directory.path, 1) == 0, let pointer else {
            throw WorkspaceError(.agentFailed, "the agent cannot make its private repository: \(GitError.lastMessage())")
        }
        repository = GitRepository(pointer: pointer)
        do {
            try Self.configure(pointer)
            var odb: OpaquePointer?
            try GitError.check(git_repository_odb(&odb, pointer), "opening the private repository's objects")
            defer { git_odb_free(odb) }
            // Asked first: libgit2's own backends (the view's, empty until a fetch lands) look for
            // loose files with a system call per object.
            if let odb { try ObjectBackend.attach(store, to: odb, priority: 3) }
        } catch {
            throw WorkspaceError(.agentFailed, "the agent cannot prepare its private repository: \(error.message)")
        }
        try mirror(workspace.references)
    }

    /// The view's own pack directory (where a fetch writes).
    func packDirectory() throws(ContainedFileError) -> ContainedDirectory {
        try directory.root.directory("objects/pack")
    }

    /// The agent's own settings for libgit2's pack builder.
    private static func configure(_ repository: OpaquePointer) throws(GitError) {
        var config: OpaquePointer?
        try GitError.check(git_repository_config(&config, repository), "opening the private repository's configuration")
        defer { git_config_free(config) }
        try GitError.check(git_config_set_int64(config, "pack.windowMemory", packWindowMemory), "configuring the private repository")
    }

    /// Copies the workspace's refs: direct refs into `packed-refs` (one file, sorted), symbolic
    /// ones with libgit2, `HEAD` as is. Names libgit2 finds invalid are left out.
    private func mirror(_ snapshot: ReferenceSnapshot) throws(WorkspaceError) {
        var packed = ""
        var symbolic: [(String, String)] = []
        for name in snapshot.references.keys.sorted() where Self.isValid(name) {
            switch snapshot.references[name] {
            case .object(let id): packed += "\(id.hex) \(name)\n"
            case .symbolic(let target) where Self.isValid(target): symbolic.append((name, target))
            default: break
            }
        }
        let root = directory.root
        do {
            try root.createFile("packed-refs", contents: Array(packed.utf8))
            switch snapshot.head {
            case .object(let id):
                try root.remove("HEAD")
                try root.createFile("HEAD", contents: Array("\(id.hex)\n".utf8))
            case .symbolic(let target) where Self.isValid(target) && target.hasPrefix("refs/"):
                try root.remove("HEAD")
                try root.createFile("HEAD", contents: Array("ref: \(target)\n".utf8))
            default:
                break
            }
        } catch {
            throw WorkspaceError(.agentFailed, "the agent cannot write its private repository: \(error)")
        }
        for (name, target) in symbolic.prefix(10_000) {
            var reference: OpaquePointer?
            if git_reference_symbolic_create(&reference, repository.pointer, name, target, 1, nil) == 0 { git_reference_free(reference) }
        }
    }

    private static func isValid(_ name: String) -> Bool {
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid == 1 && name.hasPrefix("refs/")
    }

    /// Makes `refs/agent/push/<index>` point at `id`; returns that name.
    public func stage(_ id: ObjectID, index: Int) throws(GitError) -> String {
        let name = "refs/agent/push/\(index)"
        try repository.setReference(name, to: id)
        return name
    }
}
