import CLibGit2

/// A repository opened by its git directory, owned by this object (freed on deinit).
///
/// Opened as bare with no search: only the exact directory given is used, its work tree is never
/// touched, and nothing of it is executed (libgit2 runs no hooks, filters or helpers here).
public final class GitRepository {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Opens the repository whose git directory is exactly `gitDirectory`.
    public static func open(gitDirectory: String) throws(GitError) -> GitRepository {
        var pointer: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue | GIT_REPOSITORY_OPEN_BARE.rawValue | GIT_REPOSITORY_OPEN_NO_DOTGIT.rawValue
        try GitError.check(git_repository_open_ext(&pointer, gitDirectory, flags, nil), "opening \(gitDirectory)")
        guard let pointer else { throw GitError(code: -1, message: "opening \(gitDirectory): no repository") }
        return GitRepository(pointer: pointer)
    }

    deinit {
        git_repository_free(pointer)
    }

    /// The git directory, with a trailing `/`.
    public var path: String { git_repository_path(pointer).map { String(cString: $0) } ?? "" }

    /// The directory shared by all worktrees (holds `objects/` and `refs/`), with a trailing `/`.
    public var commonDirectory: String { git_repository_commondir(pointer).map { String(cString: $0) } ?? path }

    /// Resolves a revision (`HEAD`, `main`, `HEAD~1`, an object id) to an object id.
    /// - Throws: `GitError` worded as git would: `src refspec X does not match any`.
    public func resolve(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        guard git_revparse_single(&object, pointer, revision) == 0, let object else {
            throw GitError(code: -3, message: "src refspec \(revision) does not match any")
        }
        defer { git_object_free(object) }
        guard let id = git_object_id(object) else { throw GitError(code: -3, message: "src refspec \(revision) does not match any") }
        return ObjectID(id.pointee)
    }

    /// Whether the object exists in this repository's object store.
    public func contains(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0, let odb else { return false }
        defer { git_odb_free(odb) }
        var oid = id.gitOID
        return git_odb_exists(odb, &oid) == 1
    }

    /// Whether `descendant` has `ancestor` in its history (or is it). `nil` when `ancestor` is
    /// not in this repository, so the question cannot be answered.
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) -> Bool? {
        if ancestor == descendant { return true }
        guard contains(ancestor) else { return nil }
        var commit = descendant.gitOID
        var base = ancestor.gitOID
        let result = git_graph_descendant_of(pointer, &commit, &base)
        return result < 0 ? false : result == 1
    }

    /// Creates or moves a reference (used in the agent's own shadow repository only).
    func setReference(_ name: String, to id: ObjectID) throws(GitError) {
        var reference: OpaquePointer?
        var oid = id.gitOID
        try GitError.check(git_reference_create(&reference, pointer, name, &oid, 1, "command-agent push"), "creating \(name)")
        git_reference_free(reference)
    }
}
