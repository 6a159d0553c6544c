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

    /// The whole message, as stored (any encoding).
    var commitMessage: [UInt8]? {
        guard kind == GIT_OBJECT_COMMIT, let text = git_commit_message_raw(pointer) else { return nil }
        return TreeDiff.bytes(ofCString: text)
    }

    var tagMessage: [UInt8]? {
        guard kind == GIT_OBJECT_TAG, let text = git_tag_message(pointer) else { return nil }
        return TreeDiff.bytes(ofCString: text)
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
