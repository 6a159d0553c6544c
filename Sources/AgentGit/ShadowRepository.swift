import CLibGit2
import FoundationEssentials

/// A private bare repository the agent pushes from.
///
/// libgit2 pushes only from references, while git hands the helper any revision (`HEAD~1`, an
/// object id). Instead of writing temporary refs into the user's repository, the agent makes a
/// throw-away bare repository in its own temporary directory that borrows the workspace's objects
/// (an in-memory alternate: nothing is written to the workspace), points refs there at the resolved
/// sources, and pushes those. The workspace's configuration is never read for a push.
public final class ShadowRepository {
    public let repository: GitRepository
    let directory: String

    /// - Parameters:
    ///   - parent: a writable directory of the agent's own (its temporary directory).
    ///   - objectsDirectory: the workspace repository's `objects/` directory.
    public init(in parent: String, borrowingObjectsFrom objectsDirectory: String) throws(GitError) {
        let directory = parent + "/agent-push-" + UUID().uuidString
        var pointer: OpaquePointer?
        try GitError.check(git_repository_init(&pointer, directory, 1), "creating a push repository in \(parent)")
        guard let pointer else { throw GitError(code: -1, message: "creating a push repository in \(parent)") }
        self.directory = directory
        self.repository = GitRepository(pointer: pointer)
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, pointer), "opening the push repository's objects")
        defer { git_odb_free(odb) }
        try GitError.check(git_odb_add_disk_alternate(odb, objectsDirectory), "borrowing objects from \(objectsDirectory)")
    }

    /// Makes `refs/agent/push/<index>` point at `id`; returns that name.
    public func stage(_ id: ObjectID, index: Int) throws(GitError) -> String {
        let name = "refs/agent/push/\(index)"
        try repository.setReference(name, to: id)
        return name
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
