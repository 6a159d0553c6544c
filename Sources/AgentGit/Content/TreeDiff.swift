import CLibGit2

/// What a tree holds at one path: a file, a link or a submodule's commit (never a tree).
struct TreeLeaf: Hashable {
    let mode: UInt32
    let id: RawObjectID

    static let symlinkMode: UInt32 = 0o120000
    static let gitlinkMode: UInt32 = 0o160000

    /// A file or a link: content the push carries (a submodule's commit is not sent).
    var isContent: Bool { mode != Self.gitlinkMode }
}

/// One path whose leaf differs between two trees; `nil` where it is absent.
struct LeafChange {
    let old: TreeLeaf?
    let new: TreeLeaf?
}

/// The paths at which two trees differ, down to leaves (files, links, submodules), computed
/// iteratively with an explicit stack: subtrees with the same id are skipped, a subtree that
/// appears or disappears contributes every leaf under it, and a leaf replaced by a subtree (or
/// the reverse) is a change at that path plus every leaf under the subtree.
///
/// Trees are read from the view (hash-checked) and must be well formed: one entry per name.
/// Names are bytes; paths are the names joined with `/`, compared byte for byte.
struct TreeDiff {
    let repository: GitRepository
    let budget: WalkBudget

    /// `new`'s leaves that differ from `old`'s, and `old`'s leaves that `new` lacks.
    func changes(from old: git_oid?, to new: git_oid?) throws(PushRefusal) -> [[UInt8]: LeafChange] {
        var result: [[UInt8]: LeafChange] = [:]
        var stack: [(prefix: [UInt8], old: git_oid?, new: git_oid?)] = [([], old, new)]
        while let (prefix, oldTree, newTree) = stack.popLast() {
            var previous = try entries(of: oldTree)
            for entry in try entries(of: newTree).values {
                try budget.spend()
                let path = Self.join(prefix, entry.name)
                let before = previous.removeValue(forKey: entry.name)
                if let before, before.mode == entry.mode, before.id == entry.id { continue }
                record(path, before, entry, into: &result, stack: &stack)
            }
            for (name, before) in previous {
                try budget.spend()
                record(Self.join(prefix, name), before, nil, into: &result, stack: &stack)
            }
        }
        return result
    }

    private func record(
        _ path: [UInt8],
        _ before: TreeEntry?,
        _ after: TreeEntry?,
        into result: inout [[UInt8]: LeafChange],
        stack: inout [(prefix: [UInt8], old: git_oid?, new: git_oid?)]
    ) {
        let oldTree = before.flatMap { $0.isTree ? $0.oid : nil }
        let newTree = after.flatMap { $0.isTree ? $0.oid : nil }
        if oldTree != nil || newTree != nil { stack.append((path, oldTree, newTree)) }
        let oldLeaf = before.flatMap { $0.isTree ? nil : $0.leaf }
        let newLeaf = after.flatMap { $0.isTree ? nil : $0.leaf }
        if oldLeaf != nil || newLeaf != nil { result[path] = LeafChange(old: oldLeaf, new: newLeaf) }
    }

    static func join(_ prefix: [UInt8], _ name: [UInt8]) -> [UInt8] {
        prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
    }

    struct TreeEntry {
        let name: [UInt8]
        let mode: UInt32
        let id: RawObjectID
        let oid: git_oid
        var isTree: Bool { mode & 0o170000 == 0o040000 }
        var leaf: TreeLeaf { TreeLeaf(mode: mode, id: id) }
    }

    static func bytes(ofCString text: UnsafePointer<CChar>) -> [UInt8] {
        var length = 0
        while text[length] != 0 { length += 1 }
        return Array(UnsafeRawBufferPointer(start: text, count: length))
    }

    /// The entries of a tree by name; empty for `nil`. A tree that names an entry twice is
    /// refused: git's fsck (and GitHub) refuse it, and which copy counts would be a guess.
    private func entries(of tree: git_oid?) throws(PushRefusal) -> [[UInt8]: TreeEntry] {
        guard var oid = tree else { return [:] }
        var pointer: OpaquePointer?
        guard git_tree_lookup(&pointer, repository.pointer, &oid) == 0, let pointer else {
            throw .unreadable("tree \(ObjectID(oid)) cannot be read: \(GitError.lastMessage())")
        }
        defer { git_tree_free(pointer) }
        let count = git_tree_entrycount(pointer)
        var entries: [[UInt8]: TreeEntry] = [:]
        entries.reserveCapacity(count)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(pointer, index), let name = git_tree_entry_name(entry), let id = git_tree_entry_id(entry)?.pointee
            else { continue }
            let bytes = Self.bytes(ofCString: name)
            let value = TreeEntry(name: bytes, mode: git_tree_entry_filemode(entry).rawValue, id: RawObjectID(id), oid: id)
            guard entries.updateValue(value, forKey: bytes) == nil else {
                throw .unreadable("tree \(ObjectID(oid)) names an entry twice; git fsck and GitHub refuse such trees")
            }
        }
        return entries
    }
}

/// Steps one content inspection may take (tree entries compared), and its deadline.
final class WalkBudget {
    let limit: Int
    let control: OperationControl?
    private(set) var steps = 0

    init(limit: Int, control: OperationControl?) {
        self.limit = limit
        self.control = control
    }

    func spend(_ count: Int = 1) throws(PushRefusal) {
        steps += count
        guard steps <= limit else {
            throw .unreadable("the push's changes take more than \(limit) steps to inspect (PROTECTED_PATHS, SECRET_SCAN)")
        }
        if steps & 1023 == 0, let reason = control?.stopReason { throw .unreadable(reason) }
    }
}
