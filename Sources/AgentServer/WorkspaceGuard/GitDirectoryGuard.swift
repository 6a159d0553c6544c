import AgentSystem
import AgentWorkspaceGuard

/// Guards one git directory: `config`, `config.worktree` and the files they include, `hooks/`
/// (and the folder a baseline `core.hooksPath` names), `info/attributes`, the legacy `remotes/`
/// and `branches/` files, and `commondir`. Takes its baseline at the start; afterwards moves into
/// its quarantine whatever the baseline did not have and the rules refuse, and puts back the
/// baseline's version of a file the session changed.
final class GitDirectoryGuard {
    let root: ContainedDirectory
    let workspacePath: String
    let reader: GuardedEntryReader
    private let configs: ConfigFileGuard
    private let quarantine: QuarantineWriter

    static let configNames = ["config", "config.worktree"]
    /// Directories whose every entry git may run (hooks) or read as a remote definition.
    static let guardedDirectories: [(String, MetadataReview.Role)] = [
        ("hooks", .hook), ("remotes", .metadata("a legacy remote definition")), ("branches", .metadata("a legacy branch definition")),
    ]
    /// More entries than this in a guarded directory: it is moved aside whole (fail closed).
    static let entryLimit = 10_000

    init(root: ContainedDirectory, workspacePath: String, reader: GuardedEntryReader, quarantine: QuarantineWriter) {
        self.root = root
        self.workspacePath = workspacePath
        self.reader = reader
        self.quarantine = quarantine
        self.configs = ConfigFileGuard(reader: reader, quarantine: quarantine)
    }

    /// Checks the git directory at `gitPath` against `baselines`; returns the git directories its
    /// `commondir` names (to be guarded too) and whether to check again soon.
    func check(_ gitPath: String, baselines: [DirectoryKey: GitDirectoryBaseline]) -> (commonDirectories: [String], retrySoon: Bool) {
        guard let directory = try? root.directory(gitPath, followingLinks: false), let status = try? directory.status() else { return ([], false) }
        let baseline = baselines[DirectoryKey(status)] ?? .empty
        let home = QuarantineHome(directory: directory, repository: gitPath, folderName: GitDirectoryLayout.quarantineDirectory)
        var retrySoon = false
        for name in Self.configNames {
            let path = WorkspacePaths.join(gitPath, name)
            if case .retrySoon = configs.check(name, in: directory, at: gitPath, baseline: baseline.configs[path], home: home) { retrySoon = true }
        }
        for path in baseline.includedFiles {
            let (includeDirectory, name) = WorkspacePaths.split(path)
            guard let parent = try? root.directory(includeDirectory, followingLinks: true) else { continue }
            if case .retrySoon = configs.check(name, in: parent, at: includeDirectory, baseline: baseline.configs[path], home: home) { retrySoon = true }
        }
        for (name, role) in Self.guardedDirectories {
            guard let opened = openSubdirectory(name, in: directory, gitPath: gitPath, baseline: baseline) else { continue }
            checkEntries(of: opened, at: WorkspacePaths.join(gitPath, name), role: role, home: home, whole: (name, directory)) {
                baseline.files[name + "/" + $0]
            }
        }
        for (path, entries) in baseline.hookDirectories {
            guard let opened = try? root.directory(path, followingLinks: true) else { continue }
            checkEntries(of: opened, at: path, role: .hook, home: home, whole: nil) { entries[$0] }
        }
        if let info = openSubdirectory("info", in: directory, gitPath: gitPath, baseline: baseline) {
            checkEntry(
                "attributes", in: info, at: WorkspacePaths.join(gitPath, "info"), role: .metadata("info/attributes"),
                previous: baseline.files["info/attributes"], home: home)
        }
        return (checkCommonDirectory(directory, gitPath: gitPath, baseline: baseline, home: home), retrySoon)
    }

    /// Every entry of a guarded directory; one that cannot be listed (too many entries) is moved
    /// aside whole when it is a git directory's own.
    private func checkEntries(
        of directory: ContainedDirectory, at directoryPath: String, role: MetadataReview.Role, home: QuarantineHome,
        whole: (name: String, parent: ContainedDirectory)?, baseline: (String) -> MetadataFile?
    ) {
        do {
            for entry in try directory.entries(limit: Self.entryLimit) {
                checkEntry(entry.name, in: directory, at: directoryPath, role: role, previous: baseline(entry.name), home: home)
            }
        } catch {
            guard error.kind != .missing, let whole else { return }
            quarantine.moveAside(
                whole.name, of: whole.parent, origin: directoryPath, home: home,
                rule: "\(whole.name) cannot be listed or has more than \(Self.entryLimit) entries: moved aside whole")
        }
    }

    /// One entry: kept, or moved aside (and the baseline's version put back).
    private func checkEntry(
        _ name: String, in directory: ContainedDirectory, at directoryPath: String, role: MetadataReview.Role, previous: MetadataFile?,
        home: QuarantineHome
    ) {
        guard var state = reader.state(of: name, in: directory, at: directoryPath, withContent: false) else { return }
        if let previous, previous.content != nil, previous.identity != state.identity {
            state = reader.state(of: name, in: directory, at: directoryPath, withContent: true) ?? state
        }
        guard case .quarantine(let rule) = MetadataReview.verdict(name: name, role: role, baseline: previous, current: state) else { return }
        let origin = WorkspacePaths.join(directoryPath, name)
        guard quarantine.moveAside(name, of: directory, origin: origin, home: home, rule: rule, expecting: state) != nil, let previous else { return }
        BaselineRestorer.putBack(previous, as: name, in: directory)
    }

    /// `name` in the git directory as a directory: a real one, or a link the baseline already had
    /// (followed beneath the workspace); `nil` otherwise. With a baseline, a link the session
    /// made is moved aside.
    func openSubdirectory(_ name: String, in directory: ContainedDirectory, gitPath: String, baseline: GitDirectoryBaseline?) -> ContainedDirectory? {
        guard let state = reader.state(of: name, in: directory, at: gitPath, withContent: false) else { return nil }
        switch state.kind {
        case .directory:
            return try? directory.directory(name, followingLinks: false)
        case .symbolicLink:
            if let baseline, !(baseline.files[name].map { $0.kind == .symbolicLink && $0.linkTarget == state.linkTarget } ?? false) {
                quarantine.moveAside(
                    name, of: directory, origin: WorkspacePaths.join(gitPath, name),
                    home: QuarantineHome(directory: directory, repository: gitPath, folderName: GitDirectoryLayout.quarantineDirectory),
                    rule: "\(name) is a symbolic link the session made: git would follow it", expecting: state)
                return nil
            }
            return try? root.directory(WorkspacePaths.join(gitPath, name), followingLinks: true)
        case .regular, .other:
            return nil
        }
    }

    /// The common directory `gitPath/commondir` names, when it is one inside the workspace.
    func commonDirectory(of gitPath: String) -> String? {
        guard let directory = try? root.directory(gitPath, followingLinks: false),
            let state = reader.state(of: "commondir", in: directory, at: gitPath, withContent: true)
        else { return nil }
        return commonDirectory(state, gitPath: gitPath)
    }

    private func commonDirectory(_ state: MetadataFile, gitPath: String) -> String? {
        guard state.kind == .regular, let content = state.content, let target = GitDirectoryLayout.commonDirectoryTarget(content),
            let resolved = GitDirectoryLayout.resolve(target, from: WorkspacePaths.components(gitPath), workspaceRoot: workspacePath),
            let opened = try? root.directory(resolved.joined(separator: "/"), followingLinks: true),
            let entries = try? opened.entries(limit: 100_000), GitDirectoryLayout.isCommonDirectory(WorkspaceWalk.kindsByName(entries))
        else { return nil }
        // Guarded under its real path (links resolved): the checks never follow a link.
        return opened.path(relativeTo: root)
    }

    /// `commondir` may name another git directory: kept when that one is inside the workspace (it
    /// is then guarded too), or when it is the baseline's own; moved aside otherwise.
    private func checkCommonDirectory(_ directory: ContainedDirectory, gitPath: String, baseline: GitDirectoryBaseline, home: QuarantineHome) -> [String] {
        guard let state = reader.state(of: "commondir", in: directory, at: gitPath, withContent: true) else { return [] }
        if let common = commonDirectory(state, gitPath: gitPath) { return [common] }
        if let previous = baseline.files["commondir"], previous.isUnchanged(state) { return [] }
        quarantine.moveAside(
            "commondir", of: directory, origin: WorkspacePaths.join(gitPath, "commondir"), home: home,
            rule: "commondir names no git directory inside the workspace", expecting: state)
        return []
    }
}
