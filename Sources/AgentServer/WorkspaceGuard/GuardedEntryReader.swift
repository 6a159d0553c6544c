import AgentSystem
import AgentWorkspaceGuard

/// Reads what the guard compares: an entry's kind, link text, mode, identity and (when asked)
/// its content, never following a link except to read what git would read through it, and then
/// only beneath the workspace.
struct GuardedEntryReader {
    let root: ContainedDirectory

    /// The state of `name` in `directory` (at `directoryPath` relative to the workspace), `nil`
    /// when there is nothing by that name.
    func state(of name: String, in directory: ContainedDirectory, at directoryPath: String, withContent: Bool) -> MetadataFile? {
        guard let status = try? directory.entryStatus(name) else { return nil }
        var file = MetadataFile(kind: Self.kind(status.kind), mode: status.mode)
        switch status.kind {
        case .regular:
            file.identity = Self.identity(status)
            if withContent, let opened = try? directory.file(name, followingLinks: false) {
                read(opened, into: &file)
            }
        case .symbolicLink:
            file.linkTarget = try? directory.linkTarget(name)
            if let opened = try? root.file(WorkspacePaths.join(directoryPath, name), followingLinks: true) {
                if let target = try? opened.status() {
                    file.identity = Self.identity(target)
                    file.mode = target.mode
                }
                if withContent { read(opened, into: &file) }
            }
        case .directory:
            break
        case .other:
            file.identity = Self.identity(status)
        }
        return file
    }

    private func read(_ opened: ContainedFile, into file: inout MetadataFile) {
        guard let status = try? opened.status() else { return }
        file.identity = Self.identity(status)
        if status.size <= Int64(ContentBudget.perFile) { file.content = try? opened.readAll(limit: ContentBudget.perFile) }
    }

    static func kind(_ kind: FileStatus.Kind) -> MetadataFile.Kind {
        switch kind {
        case .regular: .regular
        case .directory: .directory
        case .symbolicLink: .symbolicLink
        case .other: .other
        }
    }

    static func identity(_ status: FileStatus) -> FileIdentity {
        FileIdentity(
            device: status.device, inode: status.inode, size: status.size, modified: status.modified,
            modifiedNanoseconds: status.modifiedNanoseconds, changed: status.changed, changedNanoseconds: status.changedNanoseconds)
    }
}

/// Paths relative to the workspace, as the guard names them (`""` is the workspace itself).
enum WorkspacePaths {
    static func join(_ directory: String, _ name: String) -> String {
        directory.isEmpty ? name : directory + "/" + name
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    /// The directory part and the last name of a path.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}
