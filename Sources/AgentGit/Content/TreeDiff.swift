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
/// The two trees' entries are walked side by side in git's order (a name, `/` after a folder's),
/// which git and GitHub require (fsck: treeNotSorted, duplicateEntries); a tree out of that order
/// is refused, since a walk that trusted it could pair the wrong entries. Only changed entries
/// cost an allocation. Names are bytes; paths are the names joined with `/`.
struct TreeDiff {
    let repository: GitRepository
    let budget: WalkBudget

    /// `new`'s leaves that differ from `old`'s, and `old`'s leaves that `new` lacks.
    func changes(from old: git_oid?, to new: git_oid?) throws(PushRefusal) -> [[UInt8]: LeafChange] {
        var result: [[UInt8]: LeafChange] = [:]
        var stack: [(prefix: [UInt8], old: git_oid?, new: git_oid?)] = [([], old, new)]
        while let (prefix, oldID, newID) = stack.popLast() {
            let before = try Listing(repository, oldID)
            let after = try Listing(repository, newID)
            var oldIndex = 0
            var newIndex = 0
            while oldIndex < before.count || newIndex < after.count {
                try budget.spend()
                let oldEntry = oldIndex < before.count ? try before.entry(oldIndex) : nil
                let newEntry = newIndex < after.count ? try after.entry(newIndex) : nil
                let order: Int
                switch (oldEntry, newEntry) {
                case (.some(let left), .some(let right)): order = Listing.compare(left, right)
                case (.some, .none): order = -1
                default: order = 1
                }
                if order == 0, let left = oldEntry, let right = newEntry {
                    oldIndex += 1
                    newIndex += 1
                    if left.mode == right.mode, git_oid_equal(left.oid, right.oid) != 0 { continue }
                    record(Self.join(prefix, right.name), left, right, into: &result, stack: &stack)
                } else if order < 0, let left = oldEntry {
                    oldIndex += 1
                    record(Self.join(prefix, left.name), left, nil, into: &result, stack: &stack)
                } else if let right = newEntry {
                    newIndex += 1
                    record(Self.join(prefix, right.name), nil, right, into: &result, stack: &stack)
                }
            }
        }
        return result
    }

    private func record(
        _ path: [UInt8],
        _ before: Listing.Entry?,
        _ after: Listing.Entry?,
        into result: inout [[UInt8]: LeafChange],
        stack: inout [(prefix: [UInt8], old: git_oid?, new: git_oid?)]
    ) {
        let oldTree = before.flatMap { $0.isTree ? $0.oid.pointee : nil }
        let newTree = after.flatMap { $0.isTree ? $0.oid.pointee : nil }
        if oldTree != nil || newTree != nil { stack.append((path, oldTree, newTree)) }
        let oldLeaf = before.flatMap { $0.isTree ? nil : $0.leaf }
        let newLeaf = after.flatMap { $0.isTree ? nil : $0.leaf }
        // A leaf and a folder of the same name are two entries: keep the leaf's change.
        if oldLeaf != nil || newLeaf != nil {
            let known = result[path]
            result[path] = LeafChange(old: oldLeaf ?? known?.old, new: newLeaf ?? known?.new)
        }
    }

    static func join(_ prefix: [UInt8], _ name: UnsafePointer<CChar>) -> [UInt8] {
        var path = prefix
        if !path.isEmpty { path.append(UInt8(ascii: "/")) }
        var index = 0
        while name[index] != 0 {
            path.append(UInt8(bitPattern: name[index]))
            index += 1
        }
        return path
    }

    static func bytes(ofCString text: UnsafePointer<CChar>) -> [UInt8] {
        join([], text)
    }
}

/// One tree's entries, in its own order, checked to be git's order as they are read.
private final class Listing {
    struct Entry {
        let name: UnsafePointer<CChar>
        let mode: UInt32
        let oid: UnsafePointer<git_oid>
        var isTree: Bool { mode & 0o170000 == 0o040000 }
        var leaf: TreeLeaf { TreeLeaf(mode: mode, id: RawObjectID(oid.pointee)) }
    }

    private let tree: OpaquePointer?
    private let id: git_oid?
    let count: Int
    private var checked = -1

    init(_ repository: GitRepository, _ oid: git_oid?) throws(PushRefusal) {
        id = oid
        guard var copy = oid else {
            tree = nil
            count = 0
            return
        }
        var pointer: OpaquePointer?
        guard git_tree_lookup(&pointer, repository.pointer, &copy) == 0, let pointer else {
            throw .unreadable("tree \(ObjectID(copy)) cannot be read: \(GitError.lastMessage())")
        }
        tree = pointer
        count = git_tree_entrycount(pointer)
    }

    deinit {
        if let tree { git_tree_free(tree) }
    }

    /// The entry at `index` (read in increasing order), refused when it does not come after the
    /// one before it in git's order.
    func entry(_ index: Int) throws(PushRefusal) -> Entry {
        guard let tree, let raw = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(raw), let oid = git_tree_entry_id(raw) else {
            throw .unreadable("tree \(id.map { ObjectID($0).hex } ?? "?") cannot be read")
        }
        let entry = Entry(name: name, mode: git_tree_entry_filemode(raw).rawValue, oid: oid)
        if index > checked {
            if index > 0, let previous = git_tree_entry_byindex(tree, index - 1), let previousName = git_tree_entry_name(previous) {
                let before = Entry(name: previousName, mode: git_tree_entry_filemode(previous).rawValue, oid: oid)
                guard Self.compare(before, entry) < 0 else {
                    throw .unreadable(
                        "tree \(id.map { ObjectID($0).hex } ?? "?") is not sorted as git sorts trees, or names an entry twice; git fsck and GitHub refuse it")
                }
            }
            checked = index
        }
        return entry
    }

    /// git's tree order: names byte by byte, a folder's name as if followed by `/`.
    static func compare(_ left: Entry, _ right: Entry) -> Int {
        var index = 0
        while true {
            let leftByte = UInt8(bitPattern: left.name[index])
            let rightByte = UInt8(bitPattern: right.name[index])
            if leftByte == 0 || rightByte == 0 {
                let leftNext = leftByte != 0 ? leftByte : (left.isTree ? UInt8(ascii: "/") : 0)
                let rightNext = rightByte != 0 ? rightByte : (right.isTree ? UInt8(ascii: "/") : 0)
                if leftNext != rightNext { return leftNext < rightNext ? -1 : 1 }
                if leftByte == 0 && rightByte == 0 { return 0 }
                // One name ended, the other goes on with '/' (a folder's next byte): compare on.
                return leftByte == 0 ? -1 : 1
            }
            if leftByte != rightByte { return leftByte < rightByte ? -1 : 1 }
            index += 1
        }
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
