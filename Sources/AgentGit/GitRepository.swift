import AgentPolicy
import CLibGit2

/// A libgit2 repository owned by this object (freed on deinit): the agent's private view of a
/// workspace repository (`ViewRepository`), never a workspace repository opened by path.
public final class GitRepository {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Resolves a revision (`HEAD`, `main`, `HEAD~1`, an object id) to an object id.
    /// - Throws: `GitError` worded as git would: `src refspec X does not match any`.
    public func resolve(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        let result = git_revparse_single(&object, pointer, revision)
        guard result == 0, let object else {
            switch result {
            case GIT_ENOTFOUND.rawValue, GIT_EINVALIDSPEC.rawValue, GIT_EUNBORNBRANCH.rawValue:
                throw GitError(code: result, message: "src refspec \(revision.quotedInRefusal) does not match any")
            case GIT_EAMBIGUOUS.rawValue:
                throw GitError(code: result, message: "src refspec \(revision.quotedInRefusal) is ambiguous")
            default:
                throw GitError(code: result, message: "src refspec \(revision.quotedInRefusal) cannot be read: \(GitError.lastMessage())")
            }
        }
        defer { git_object_free(object) }
        guard let id = git_object_id(object) else { throw GitError(code: -3, message: "src refspec \(revision.quotedInRefusal) does not match any") }
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
