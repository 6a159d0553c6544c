import CLibGit2

/// For a merge commit: the protected paths at which it keeps one parent's version although
/// merging would not give that version.
///
/// Merging gives, per path, the merge base's version when no parent changed it, the one changed
/// version when only one distinct change was made, and any parent's version when parents changed
/// it differently (a conflict, resolved by choosing a side). A merge that takes the copy of a
/// parent that did not change the path, against a parent that did, undoes that change: it is a
/// change of its own, even though the copy equals a parent's. Merging the upstream's branch,
/// which changed a workflow, gives that branch's version and is not a change.
///
/// With several merge bases (criss-cross merges), a path counts when it counts for any of them.
struct MergeRule {
    let walker: ContentWalker

    /// - Parameter parents: the commit's changes against each parent (`old` is that parent's version).
    func firstChangedProtectedPath(commit: git_oid, tree: git_oid, parents: [[[UInt8]: LeafChange]]) throws(PushRefusal) -> [UInt8]? {
        var candidates = Set<[UInt8]>()
        for changes in parents {
            for path in changes.keys where walker.rules.protection(of: path) != nil { candidates.insert(path) }
        }
        guard !candidates.isEmpty else { return nil }
        let ordered = candidates.sorted { $0.lexicographicallyPrecedes($1) }
        guard walker.mergeBaseLookups > 0 else { return ordered.first }
        walker.mergeBaseLookups -= 1
        let bases = try mergeBaseTrees(of: commit)
        for path in ordered {
            let merged = parents.lazy.compactMap { $0[path] }.first?.new
            let versions = parents.map { $0[path].map(\.old) ?? merged }
            for base in bases.isEmpty ? [nil] : bases.map(Optional.some) {
                let baseVersion = try base.map { tree throws(PushRefusal) in try leaf(at: path, in: tree) } ?? nil
                if !Self.expected(versions: versions, base: baseVersion).contains(merged) { return path }
            }
        }
        return nil
    }

    /// What merging may give at one path.
    static func expected(versions: [TreeLeaf?], base: TreeLeaf?) -> Set<TreeLeaf?> {
        let changed = Set(versions.filter { $0 != base })
        switch changed.count {
        case 0: return [base]
        case 1: return changed
        default: return Set(versions)
        }
    }

    private func mergeBaseTrees(of commit: git_oid) throws(PushRefusal) -> [git_oid] {
        let parents = try GitObject(walker.repository, commit).commitParents
        var bases: [git_oid] = []
        if parents.count == 2 {
            var one = parents[0]
            var two = parents[1]
            var found = git_oidarray()
            let result = git_merge_bases(&found, walker.repository.pointer, &one, &two)
            if result == 0 {
                defer { git_oidarray_dispose(&found) }
                bases = (0..<found.count).compactMap { found.ids?[$0] }
            } else if result != GIT_ENOTFOUND.rawValue {
                throw .unreadable("the merge base of commit \(ObjectID(commit)) cannot be found: \(GitError.lastMessage())")
            }
        } else {
            var ids = parents
            var base = git_oid()
            let result = git_merge_base_octopus(&base, walker.repository.pointer, ids.count, &ids)
            if result == 0 {
                bases = [base]
            } else if result != GIT_ENOTFOUND.rawValue {
                throw .unreadable("the merge base of commit \(ObjectID(commit)) cannot be found: \(GitError.lastMessage())")
            }
        }
        return try bases.map { base throws(PushRefusal) in
            guard let tree = try GitObject(walker.repository, base).commitTree else { throw .unreadable("commit \(ObjectID(base)) has no tree") }
            return tree
        }
    }

    /// The leaf at `path` in `tree` (none when the path is absent or names a folder).
    private func leaf(at path: [UInt8], in tree: git_oid) throws(PushRefusal) -> TreeLeaf? {
        var treeID = tree
        var treePointer: OpaquePointer?
        guard git_tree_lookup(&treePointer, walker.repository.pointer, &treeID) == 0, let treePointer else {
            throw .unreadable("tree \(ObjectID(tree)) cannot be read: \(GitError.lastMessage())")
        }
        defer { git_tree_free(treePointer) }
        var entry: OpaquePointer?
        let found = (path + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { git_tree_entry_bypath(&entry, treePointer, $0.baseAddress) }
        }
        guard found == 0, let entry else { return nil }
        defer { git_tree_entry_free(entry) }
        let mode = git_tree_entry_filemode(entry).rawValue
        guard mode & 0o170000 != 0o040000, let id = git_tree_entry_id(entry)?.pointee else { return nil }
        return TreeLeaf(mode: mode, id: RawObjectID(id))
    }
}
