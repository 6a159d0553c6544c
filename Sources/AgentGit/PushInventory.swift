import CLibGit2

/// Walks what a push will send, the way libgit2's pack builder will walk it, before it does:
/// the trees under every commit the remote already has (libgit2 marks them, recursively, as not
/// to be sent) and the new commits with their new trees and blobs. Iterative, so no input can
/// exhaust the stack here; it refuses trees deeper than the limit (so libgit2's own recursion stays
/// bounded), objects over the size limit and pushes over the total limit, reading only object
/// headers for sizes.
public struct PushInventory {
    public let objectCount: Int
    public let totalSize: Int

    /// - Parameters:
    ///   - repository: the private view the push is made from.
    ///   - tips: the objects the push sends (new values of refs).
    ///   - remoteTips: every object the remote advertised (what libgit2 hides).
    public static func check(
        _ repository: GitRepository,
        sending tips: [ObjectID],
        remoteHas remoteTips: [ObjectID],
        limits: PushLimits,
        control: OperationControl?
    ) throws(PushRefusal) -> PushInventory {
        var walker = try TreeWalker(repository: repository, limits: limits, control: control)
        defer { walker.close() }
        for tip in remoteTips {
            if let tree = walker.treeOfCommit(peeling: tip.gitOID) { try walker.markUninteresting(tree) }
        }
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repository.pointer) == 0, let walk else { throw .unreadable("the agent cannot walk the history to push") }
        defer { git_revwalk_free(walk) }
        for tip in tips {
            var oid = try walker.peelTags(tip.gitOID)
            switch walker.kind(of: oid) {
            case GIT_OBJECT_COMMIT:
                guard git_revwalk_push(walk, &oid) == 0 else { throw .unreadable("commit \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())") }
            case GIT_OBJECT_TREE: try walker.addTree(oid)
            case GIT_OBJECT_BLOB: try walker.addBlob(oid)
            default: throw .unreadable("object \(ObjectID(oid)) is not in the repository")
            }
        }
        for tip in remoteTips {
            var oid = tip.gitOID
            _ = git_revwalk_hide(walk, &oid)  // as libgit2's push: what cannot be hidden is simply sent
        }
        var commit = git_oid()
        while true {
            let result = git_revwalk_next(&commit, walk)
            if result == GIT_ITEROVER.rawValue { break }
            guard result == 0 else { throw .unreadable("the history to push cannot be read: \(GitError.lastMessage())") }
            try walker.addCommit(commit)
        }
        return PushInventory(objectCount: walker.counted.count, totalSize: walker.totalSize)
    }
}

/// One tree being walked: its entries are visited one by one (`next`).
private struct TreeFrame {
    let id: RawObjectID
    let tree: OpaquePointer
    /// Its size, from its header.
    let size: Int
    var next = 0
    /// Levels of trees under it seen so far (1 without subtrees).
    var height = 1
}

/// The state of one inventory: heights of trees seen, what the remote has, what is counted.
private struct TreeWalker {
    let repository: GitRepository
    let limits: PushLimits
    let control: OperationControl?
    let odb: OpaquePointer
    /// Levels of trees under each tree seen (1 for a tree without subtrees).
    var heights: [RawObjectID: Int] = [:]
    var uninteresting: Set<RawObjectID> = []
    var counted: Set<RawObjectID> = []
    var totalSize = 0
    private var steps = 0

    init(repository: GitRepository, limits: PushLimits, control: OperationControl?) throws(PushRefusal) {
        self.repository = repository
        self.limits = limits
        self.control = control
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repository.pointer) == 0, let odb else { throw .unreadable("the agent cannot read the objects to push") }
        self.odb = odb
    }

    func close() {
        git_odb_free(odb)
    }

    func kind(of oid: git_oid) -> git_object_t {
        var copy = oid
        var size = 0
        var type = GIT_OBJECT_INVALID
        return git_odb_read_header(&size, &type, odb, &copy) == 0 ? type : GIT_OBJECT_INVALID
    }

    /// Follows annotated tags (at most 100 deep) to what they point at, counting each tag.
    mutating func peelTags(_ oid: git_oid) throws(PushRefusal) -> git_oid {
        var current = oid
        for _ in 0..<100 {
            guard kind(of: current) == GIT_OBJECT_TAG else { return current }
            try count(current)
            var tag: OpaquePointer?
            guard git_tag_lookup(&tag, repository.pointer, &current) == 0, let tag else {
                throw .unreadable("tag \(ObjectID(current)) cannot be read: \(GitError.lastMessage())")
            }
            defer { git_tag_free(tag) }
            guard let target = git_tag_target_id(tag) else { throw .unreadable("tag \(ObjectID(current)) has no target") }
            current = target.pointee
        }
        throw .unreadable("tag \(ObjectID(oid)) is nested too deeply")
    }

    /// The tree of the commit `oid` peels to, when it is one the view has.
    func treeOfCommit(peeling oid: git_oid) -> git_oid? {
        var copy = oid
        var object: OpaquePointer?
        guard git_object_lookup(&object, repository.pointer, &copy, GIT_OBJECT_ANY) == 0, let object else { return nil }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0, let peeled else { return nil }
        defer { git_object_free(peeled) }
        return git_commit_tree_id(peeled)?.pointee
    }

    mutating func addCommit(_ oid: git_oid) throws(PushRefusal) {
        try count(oid)
        var copy = oid
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, repository.pointer, &copy) == 0, let commit else {
            throw .unreadable("commit \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        defer { git_commit_free(commit) }
        guard let tree = git_commit_tree_id(commit)?.pointee else { throw .unreadable("commit \(ObjectID(oid)) has no tree") }
        try addTree(tree)
    }

    mutating func addBlob(_ oid: git_oid) throws(PushRefusal) {
        guard !uninteresting.contains(RawObjectID(oid)) else { return }
        try count(oid)
    }

    /// A tree the remote has: its height is checked, and it and everything under it is not sent.
    mutating func markUninteresting(_ tree: git_oid) throws(PushRefusal) {
        try walk(tree, marking: true)
    }

    /// A tree to send: its height is checked, new subtrees and blobs are counted.
    mutating func addTree(_ tree: git_oid) throws(PushRefusal) {
        try walk(tree, marking: false)
    }

    /// Post-order walk with an explicit stack; a tree's height is known once its subtrees' are.
    /// The trees on the stack are held parsed at once: their sizes together are bounded.
    private mutating func walk(_ root: git_oid, marking: Bool) throws(PushRefusal) {
        let rootID = RawObjectID(root)
        if marking ? uninteresting.contains(rootID) : (heights[rootID] != nil || uninteresting.contains(rootID)) { return }
        var stack: [TreeFrame] = []
        var bytesOnPath = 0
        defer { for frame in stack { git_tree_free(frame.tree) } }
        try push(root, onto: &stack, bytesOnPath: &bytesOnPath, marking: marking)
        while let top = stack.last {
            if top.next < git_tree_entrycount(top.tree) {
                stack[stack.count - 1].next += 1
                guard let entry = git_tree_entry_byindex(top.tree, top.next), let entryID = git_tree_entry_id(entry)?.pointee else { continue }
                let id = RawObjectID(entryID)
                switch git_tree_entry_type(entry) {
                case GIT_OBJECT_TREE:
                    if let height = heights[id], marking ? uninteresting.contains(id) : true {
                        stack[stack.count - 1].height = max(top.height, height + 1)
                        guard height + 1 <= limits.maximumTreeDepth else {
                            throw .treeTooDeep(tree: ObjectID(root).hex, limit: limits.maximumTreeDepth)
                        }
                    } else {
                        guard stack.count < limits.maximumTreeDepth else {
                            throw .treeTooDeep(tree: ObjectID(root).hex, limit: limits.maximumTreeDepth)
                        }
                        try push(entryID, onto: &stack, bytesOnPath: &bytesOnPath, marking: marking)
                    }
                case GIT_OBJECT_BLOB:
                    if marking { try noteUninteresting(id) } else if !uninteresting.contains(id) { try count(entryID) }
                default:
                    break  // a submodule's commit: never sent
                }
            } else {
                stack.removeLast()
                git_tree_free(top.tree)
                bytesOnPath -= top.size
                heights[top.id] = top.height
                if let parent = stack.indices.last {
                    stack[parent].height = max(stack[parent].height, top.height + 1)
                    guard top.height + 1 <= limits.maximumTreeDepth else {
                        throw .treeTooDeep(tree: ObjectID(root).hex, limit: limits.maximumTreeDepth)
                    }
                }
            }
        }
    }

    /// Reads the tree `oid` onto the stack, once its size (from its header) fits the budget of
    /// tree bytes on one path.
    private mutating func push(_ oid: git_oid, onto stack: inout [TreeFrame], bytesOnPath: inout Int, marking: Bool) throws(PushRefusal) {
        if let reason = control?.stopReason { throw .unreadable(reason) }
        let size = try headerSize(oid)
        guard bytesOnPath + size <= limits.maximumTreeBytesOnPath else {
            throw .treesTooLarge(tree: ObjectID(oid).hex, size: bytesOnPath + size, limit: limits.maximumTreeBytesOnPath)
        }
        let id = RawObjectID(oid)
        if marking { try noteUninteresting(id) } else { try count(oid, size: size) }
        var copy = oid
        var tree: OpaquePointer?
        guard git_tree_lookup(&tree, repository.pointer, &copy) == 0, let tree else {
            throw .unreadable("tree \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        bytesOnPath += size
        stack.append(TreeFrame(id: id, tree: tree, size: size))
    }

    /// An object's size, from its header only.
    private func headerSize(_ oid: git_oid) throws(PushRefusal) -> Int {
        var copy = oid
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard git_odb_read_header(&size, &type, odb, &copy) == 0 else {
            throw .unreadable("object \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        return size
    }

    private mutating func noteUninteresting(_ id: RawObjectID) throws(PushRefusal) {
        guard uninteresting.insert(id).inserted else { return }
        guard uninteresting.count + counted.count <= limits.maximumObjects else { throw .tooManyObjects(limit: limits.maximumObjects) }
    }

    /// Counts a new object once, its size from its header (or `knownSize`, read already).
    private mutating func count(_ oid: git_oid, size knownSize: Int? = nil) throws(PushRefusal) {
        let id = RawObjectID(oid)
        guard counted.insert(id).inserted else { return }
        guard uninteresting.count + counted.count <= limits.maximumObjects else { throw .tooManyObjects(limit: limits.maximumObjects) }
        steps += 1
        if steps % 256 == 0, let reason = control?.stopReason { throw .unreadable(reason) }
        var size = knownSize ?? 0
        if knownSize == nil { size = try headerSize(oid) }
        guard size <= limits.maximumObjectSize else { throw .objectTooLarge(id: ObjectID(oid).hex, size: size, limit: limits.maximumObjectSize) }
        totalSize += size
        guard totalSize <= limits.maximumPushSize else { throw .pushTooLarge(size: totalSize, limit: limits.maximumPushSize) }
    }
}
