/// How git recognises repositories and follows `.git` files, as pure functions of names and
/// bytes, so that the walk finds every directory the person's git could treat as a repository.
public enum GitDirectoryLayout {
    /// The name of the quarantine directory inside a git directory: git never reads it.
    public static let quarantineDirectory = "agent-quarantine"

    /// Whether a directory with these entries is a git directory for git's discovery
    /// (`is_git_directory`): `HEAD` plus `objects/` and `refs/`, or plus `commondir` (a linked
    /// worktree). Looser than git (it does not validate `HEAD`), which only guards more.
    public static func isGitDirectory(_ entries: [String: MetadataFile.Kind]) -> Bool {
        guard let head = entries["HEAD"], head == .regular || head == .symbolicLink else { return false }
        func isDirectoryLike(_ name: String) -> Bool { entries[name] == .directory || entries[name] == .symbolicLink }
        return (isDirectoryLike("objects") && isDirectoryLike("refs")) || entries["commondir"] == .regular
    }

    /// Whether a directory can be the common directory a linked worktree's `commondir` names:
    /// git needs its `objects/` and `refs/`.
    public static func isCommonDirectory(_ entries: [String: MetadataFile.Kind]) -> Bool {
        func isDirectoryLike(_ name: String) -> Bool { entries[name] == .directory || entries[name] == .symbolicLink }
        return isDirectoryLike("objects") && isDirectoryLike("refs")
    }

    /// The directory a `.git` file names (`gitdir: PATH`, trailing line ends dropped), as
    /// `read_gitfile` reads it; `nil` when git would refuse the file.
    public static func gitFileTarget(_ bytes: [UInt8]) -> [UInt8]? {
        let prefix = Array("gitdir: ".utf8)
        guard bytes.starts(with: prefix) else { return nil }
        var target = bytes.dropFirst(prefix.count)
        while let last = target.last, last == ASCII.newline || last == ASCII.carriageReturn { target.removeLast() }
        return target.isEmpty ? nil : Array(target)
    }

    /// `commondir`: one path, trailing whitespace dropped, as git reads it.
    public static func commonDirectoryTarget(_ bytes: [UInt8]) -> [UInt8]? {
        var target = bytes[...]
        while let last = target.last, ASCII.isSpace(last) { target.removeLast() }
        return target.isEmpty ? nil : Array(target)
    }

    /// Resolves `target` as git would from `directory` (components relative to the workspace),
    /// lexically: an absolute path counts only below `workspaceRoot` (the path the agent sees);
    /// `..` above the workspace, or an absolute path elsewhere, is outside (`nil`).
    public static func resolve(_ target: [UInt8], from directory: [String], workspaceRoot: String) -> [String]? {
        var components: [String]
        var rest = target[...]
        if rest.first == ASCII.slash {
            let root = Array(workspaceRoot.utf8).reversed().drop { $0 == ASCII.slash }.reversed()
            guard rest.starts(with: root), rest.count == root.count || rest[rest.startIndex + root.count] == ASCII.slash else { return nil }
            rest = rest.dropFirst(root.count)
            components = []
        } else {
            components = directory
        }
        for component in rest.split(separator: ASCII.slash, omittingEmptySubsequences: true) {
            let text = String(decoding: component, as: UTF8.self)
            guard String(validating: component, as: UTF8.self) != nil else { return nil }
            switch text {
            case ".": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default: components.append(text)
            }
        }
        return components
    }
}
