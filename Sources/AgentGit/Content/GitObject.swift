import CLibGit2

/// One object of the view, looked up (hash-checked) and freed with this value's owner.
final class GitObject {
    private let pointer: OpaquePointer
    let kind: git_object_t

    init(_ repository: GitRepository, _ oid: git_oid) throws(PushRefusal) {
        var copy = oid
        var object: OpaquePointer?
        guard git_object_lookup(&object, repository.pointer, &copy, GIT_OBJECT_ANY) == 0, let object else {
            throw .unreadable("object \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        pointer = object
        kind = git_object_type(object)
    }

    deinit {
        git_object_free(pointer)
    }

    var commitTree: git_oid? {
        guard kind == GIT_OBJECT_COMMIT else { return nil }
        return git_commit_tree_id(pointer)?.pointee
    }

    var commitParents: [git_oid] {
        guard kind == GIT_OBJECT_COMMIT else { return [] }
        return (0..<git_commit_parentcount(pointer)).compactMap { git_commit_parent_id(pointer, $0)?.pointee }
    }

    /// An object's bytes as stored and sent (for a commit: its headers, extra headers included,
    /// then its message).
    static func raw(_ repository: GitRepository, _ oid: git_oid) throws(PushRefusal) -> [UInt8] {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repository.pointer) == 0, let odb else { throw .unreadable("the agent cannot read the objects to push") }
        defer { git_odb_free(odb) }
        var copy = oid
        var object: OpaquePointer?
        guard git_odb_read(&object, odb, &copy) == 0, let object else {
            throw .unreadable("object \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        defer { git_odb_object_free(object) }
        guard let data = git_odb_object_data(object) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: git_odb_object_size(object)))
    }

    var tagTarget: git_oid? {
        guard kind == GIT_OBJECT_TAG else { return nil }
        return git_tag_target_id(pointer)?.pointee
    }

    var size: Int {
        guard kind == GIT_OBJECT_BLOB else { return 0 }
        return Int(git_blob_rawsize(pointer))
    }

    /// Lends a blob's bytes (empty for other objects).
    func withBlobContent<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        guard kind == GIT_OBJECT_BLOB, let content = git_blob_rawcontent(pointer) else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return body(UnsafeRawBufferPointer(start: content, count: size))
    }
}
