import AgentSystem

/// Reads the parts of a repository's layout beneath the workspace root, with its limits, and
/// stops when its operation must (at its deadline), so that no layout keeps a git thread busy
/// after its client got its answer.
struct LayoutReader {
    let root: ContainedDirectory
    let workspace: String
    let limits: WorkspaceLimits
    let control: OperationControl?

    /// Throws when the operation must stop.
    func checkControl() throws(WorkspaceError) {
        if let reason = control?.stopReason { throw WorkspaceError(.stopped, reason) }
    }

    /// A directory listing's error; too many entries is worded as such.
    private func entriesError(_ error: ContainedFileError) -> WorkspaceError {
        guard case .tooLarge(let limit) = error.kind else { return WorkspaceError(error, workspace: workspace) }
        return WorkspaceError(.tooMany, "\(error.path) holds more than \(limit) entries, more than the agent reads")
    }

    /// The whole regular file at `relative`, or `nil` when it does not exist.
    func readIfPresent(_ relative: String, limit: Int) throws(WorkspaceError) -> [UInt8]? {
        do {
            return try root.readIfPresent(relative, limit: limit)
        } catch {
            throw WorkspaceError(error, workspace: workspace)
        }
    }

    /// The object directory at `start` and every alternate, breadth first, each once. Relative
    /// alternates are relative to the object directory that names them, as in git; absolute ones
    /// must lie inside the workspace; the kernel refuses any that leave it through a link.
    ///
    /// Every entry read counts against `limits.alternatesEntries` (missing and repeated ones
    /// too), a name already queued is not queued again, and the queue is walked by index: the
    /// work is linear in the bytes of the alternates files read, and bounded.
    func objectDirectories(startingAt start: String, map: WorkspacePathMap, displayName: String) throws(WorkspaceError) -> [String] {
        var found: [String] = []
        var seen: Set<[UInt64]> = []
        var queued: Set<String> = [start]
        var queue: [(path: String, depth: Int)] = [(start, 0)]
        var entriesRead = 0
        var next = 0
        while next < queue.count {
            try checkControl()
            let (path, depth) = queue[next]
            next += 1
            let status: FileStatus
            do {
                status = try root.directory(path).status()
            } catch  where error.kind == .missing && depth > 0 {
                continue  // git skips an alternate that does not exist
            } catch  where error.kind == .missing || error.kind == .notDirectory {
                throw WorkspaceError(.notRepository, "\(displayName) is not a git repository (\(error.path) is not a directory)")
            } catch {
                throw WorkspaceError(error, workspace: workspace)
            }
            guard seen.insert([status.device, status.inode]).inserted else { continue }
            found.append(path)
            guard found.count <= limits.objectDirectories else {
                throw WorkspaceError(.tooMany, "\(displayName) names more than \(limits.objectDirectories) object directories (alternates)")
            }
            guard let text = try readIfPresent(path + "/info/alternates", limit: limits.alternatesFile) else { continue }
            let file = "\(root.displayPath)/\(path)/info/alternates"
            for line in text.split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
                let entry = String(decoding: line, as: UTF8.self)
                if entry.isEmpty || entry.hasPrefix("#") { continue }
                entriesRead += 1
                guard entriesRead <= limits.alternatesEntries else {
                    throw WorkspaceError(
                        .tooMany, "\(file) brings the alternates entries of \(displayName) to more than \(limits.alternatesEntries) (in all files)")
                }
                guard depth < limits.alternateDepth else {
                    throw WorkspaceError(.tooMany, "\(file) nests alternates more than \(limits.alternateDepth) deep")
                }
                let alternate = entry.hasPrefix("/") ? try map.relative(entry, what: "an entry of \(file)") : path + "/" + entry
                if queued.insert(alternate).inserted { queue.append((alternate, depth + 1)) }
            }
        }
        return found
    }

    /// Adds the loose refs under `relative` (a `refs` directory) to `references`, replacing
    /// packed ones of the same name. Directories are walked with an explicit stack.
    func readLooseReferences(under relative: String, into references: inout [String: ReferenceTarget]) throws(WorkspaceError) {
        var stack: [(path: String, name: String, depth: Int)] = [(relative, "refs", 0)]
        while let (path, name, depth) = stack.popLast() {
            try checkControl()
            let directory: ContainedDirectory
            let entries: [String]
            do {
                directory = try root.directory(path)
                entries = try directory.entryNames(limit: limits.directoryEntries)
            } catch  where error.kind == .missing && depth == 0 {
                return
            } catch {
                throw WorkspaceError(error, workspace: workspace)
            }
            for (index, entry) in entries.sorted().enumerated() {
                if index % 256 == 255 { try checkControl() }
                let status: FileStatus
                do { status = try directory.entryStatus(entry) } catch { throw WorkspaceError(error, workspace: workspace) }
                switch status.kind {
                case .directory:
                    guard depth < limits.referenceDepth else {
                        throw WorkspaceError(.tooMany, "\(root.displayPath)/\(path)/\(entry) nests refs more than \(limits.referenceDepth) deep")
                    }
                    stack.append((path + "/" + entry, name + "/" + entry, depth + 1))
                case .regular, .symbolicLink, .other:
                    guard let bytes = try readIfPresent(path + "/" + entry, limit: limits.smallFile) else { continue }
                    guard let target = ReferenceSnapshot.parseLoose(bytes) else { continue }
                    references[name + "/" + entry] = target
                    guard references.count <= limits.references else {
                        throw WorkspaceError(.tooMany, "\(root.displayPath)/\(relative) holds more than \(limits.references) refs")
                    }
                }
            }
        }
    }

    /// The pack whose files are `base.idx` and `base.pack`; `nil` when the `.pack` is missing
    /// (git ignores an index alone too).
    private func pack(at base: String, number: Int, budget: IndexMemoryBudget) throws(WorkspaceError) -> PackFile? {
        let index: ContainedFile
        let data: ContainedFile
        let indexSize: Int64
        let dataSize: Int64
        do {
            index = try root.file(base + ".idx")
            guard let found = try optionalFile(base + ".pack") else { return nil }
            data = found
            indexSize = try index.status().size
            dataSize = try data.status().size
        } catch {
            throw WorkspaceError(error, workspace: workspace)
        }
        do {
            return try PackFile(index: PackIndex(file: index, size: indexSize, budget: budget), file: data, size: dataSize, number: number)
        } catch {
            throw WorkspaceError(error, workspace: workspace)
        }
    }

    private func optionalFile(_ relative: String) throws(ContainedFileError) -> ContainedFile? {
        do {
            return try root.file(relative)
        } catch  where error.kind == .missing {
            return nil
        }
    }

    /// The packs of the object directory at `relative`: each `pack-*.idx` with its `.pack`,
    /// both regular files beneath the root, their structure checked.
    func packs(in relative: String, numberedFrom first: Int, budget: IndexMemoryBudget) throws(WorkspaceError) -> [PackFile] {
        let names: [String]
        do {
            names = try root.directory(relative + "/pack").entryNames(limit: limits.directoryEntries)
        } catch  where error.kind == .missing {
            return []
        } catch {
            throw WorkspaceError(error, workspace: workspace)
        }
        var packs: [PackFile] = []
        for name in names.sorted() where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
            guard first + packs.count < limits.packs else {
                throw WorkspaceError(.tooMany, "\(root.displayPath)/\(relative)/pack holds more than \(limits.packs) packs; run 'git repack -a -d' first")
            }
            try checkControl()
            let base = relative + "/pack/" + name.dropLast(4)
            if let pack = try pack(at: base, number: first + packs.count, budget: budget) { packs.append(pack) }
        }
        return packs
    }
}
