import AgentSystem
import AgentWorkspaceGuard

/// Guards one git directory: `config`, `config.worktree` and the files they include, `hooks/`,
/// `info/attributes`, the legacy `remotes/` and `branches/` files, and `commondir`. Takes its
/// baseline at the start; afterwards moves into its quarantine whatever the baseline did not
/// have and the rules refuse, and puts back the baseline's version of a file the session changed.
final class GitDirectoryGuard {
    private let root: ContainedDirectory
    private let workspacePath: String
    private let reader: GuardedEntryReader
    private let configs: ConfigFileGuard
    private let quarantine: QuarantineWriter

    static let configNames = ["config", "config.worktree"]
    /// Directories whose every entry git may run (hooks) or read as a remote definition.
    static let guardedDirectories: [(String, MetadataReview.Role)] = [
        ("hooks", .hook), ("remotes", .metadata("a legacy remote definition")), ("branches", .metadata("a legacy branch definition")),
    ]
    /// Directories holding one guarded file, and that file.
    static let guardedFiles: [(directory: String, name: String)] = [("info", "attributes"), ("", "commondir")]

    init(root: ContainedDirectory, workspacePath: String, reader: GuardedEntryReader, quarantine: QuarantineWriter) {
        self.root = root
        self.workspacePath = workspacePath
        self.reader = reader
        self.quarantine = quarantine
        self.configs = ConfigFileGuard(reader: reader, quarantine: quarantine)
    }

    // MARK: - Baseline

    /// What `gitPath` holds now, as its baseline.
    func captureBaseline(of gitPath: String, budget: inout ContentBudget) -> (DirectoryKey, GitDirectoryBaseline)? {
        guard let directory = try? root.directory(gitPath, followingLinks: false), let status = try? directory.status() else { return nil }
        var baseline = GitDirectoryBaseline()
        var pending: [(directory: ContainedDirectory, directoryPath: String, name: String, depth: Int)] = Self.configNames.map { (directory, gitPath, $0, 0) }
        while let (parent, parentPath, name, depth) = pending.popLast() {
            let path = WorkspacePaths.join(parentPath, name)
            guard baseline.configs[path] == nil, let captured = captureConfig(name, in: parent, at: parentPath, budget: &budget) else { continue }
            baseline.configs[path] = captured
            if depth > 0 { baseline.includedFiles.append(path) }
            guard depth < 10 else { continue }
            for include in ConfigReview.includedPaths(in: captured.settings) {
                guard let resolved = GitDirectoryLayout.resolve(include, from: WorkspacePaths.components(parentPath), workspaceRoot: workspacePath),
                    !resolved.isEmpty
                else { continue }
                let (includeDirectory, includeName) = WorkspacePaths.split(resolved.joined(separator: "/"))
                guard let opened = try? root.directory(includeDirectory, followingLinks: true) else { continue }
                pending.append((opened, includeDirectory, includeName, depth + 1))
            }
        }
        for (name, _) in Self.guardedDirectories { captureEntries(of: name, in: directory, gitPath: gitPath, into: &baseline, budget: &budget) }
        for (directoryName, name) in Self.guardedFiles {
            let parent = directoryName.isEmpty ? directory : openSubdirectory(directoryName, in: directory, gitPath: gitPath, baseline: nil)
            if !directoryName.isEmpty, let state = reader.state(of: directoryName, in: directory, at: gitPath, withContent: false) {
                baseline.files[directoryName] = state
            }
            guard let parent else { continue }
            let parentPath = WorkspacePaths.join(gitPath, directoryName)
            if let state = kept(reader.state(of: name, in: parent, at: parentPath, withContent: true), budget: &budget) {
                baseline.files[WorkspacePaths.join(directoryName, name)] = state
            }
        }
        return (DirectoryKey(status), baseline)
    }

    private func captureConfig(_ name: String, in directory: ContainedDirectory, at directoryPath: String, budget: inout ContentBudget) -> ConfigFileBaseline? {
        guard var state = reader.state(of: name, in: directory, at: directoryPath, withContent: true) else { return nil }
        var settings: Set<GitConfigSetting> = []
        if let content = state.content, case .success(let document) = GitConfigParser.parse(content) {
            settings = Set(document.entries.map(\.setting))
        }
        if let content = state.content, !budget.admit(content.count) { state.content = nil }
        return ConfigFileBaseline(state: state, settings: settings)
    }

    private func captureEntries(of name: String, in directory: ContainedDirectory, gitPath: String, into baseline: inout GitDirectoryBaseline, budget: inout ContentBudget) {
        guard let state = reader.state(of: name, in: directory, at: gitPath, withContent: false) else { return }
        baseline.files[name] = state
        guard let opened = openSubdirectory(name, in: directory, gitPath: gitPath, baseline: nil), let entries = try? opened.entries(limit: 10_000) else { return }
        let path = WorkspacePaths.join(gitPath, name)
        for entry in entries {
            if let state = kept(reader.state(of: entry.name, in: opened, at: path, withContent: true), budget: &budget) {
                baseline.files[name + "/" + entry.name] = state
            }
        }
    }

    private func kept(_ state: MetadataFile?, budget: inout ContentBudget) -> MetadataFile? {
        guard var state else { return nil }
        if let content = state.content, !budget.admit(content.count) { state.content = nil }
        return state
    }

    /// `name` in the git directory as a directory: a real one, or a link the baseline already had
    /// (followed beneath the workspace); `nil` otherwise. With a baseline, a link the session
    /// made is moved aside.
    private func openSubdirectory(_ name: String, in directory: ContainedDirectory, gitPath: String, baseline: GitDirectoryBaseline?) -> ContainedDirectory? {
        guard let state = reader.state(of: name, in: directory, at: gitPath, withContent: false) else { return nil }
        switch state.kind {
        case .directory:
            return try? directory.directory(name, followingLinks: false)
        case .symbolicLink:
            if let baseline, !(baseline.files[name].map { $0.kind == .symbolicLink && $0.linkTarget == state.linkTarget } ?? false) {
                quarantine.moveAside(
                    name, of: directory, origin: WorkspacePaths.join(gitPath, name), home: home(directory, gitPath),
                    rule: "\(name) is a symbolic link the session made: git would follow it")
                return nil
            }
            return try? root.directory(WorkspacePaths.join(gitPath, name), followingLinks: true)
        case .regular, .other:
            return nil
        }
    }

    private func home(_ directory: ContainedDirectory, _ gitPath: String) -> QuarantineHome {
        QuarantineHome(directory: directory, repository: gitPath, folderName: GitDirectoryLayout.quarantineDirectory)
    }

    // MARK: - Checks

    /// Checks the git directory at `gitPath` against `baselines`; returns the git directories its
    /// `commondir` names (to be guarded too) and whether to check again soon.
    func check(_ gitPath: String, baselines: [DirectoryKey: GitDirectoryBaseline]) -> (commonDirectories: [String], retrySoon: Bool) {
        guard let directory = try? root.directory(gitPath, followingLinks: false), let status = try? directory.status() else { return ([], false) }
        let baseline = baselines[DirectoryKey(status)] ?? .empty
        let home = home(directory, gitPath)
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
            guard let opened = openSubdirectory(name, in: directory, gitPath: gitPath, baseline: baseline),
                let entries = try? opened.entries(limit: 10_000)
            else { continue }
            for entry in entries { checkEntry(entry.name, role: role, in: opened, at: name, gitPath: gitPath, baseline: baseline, home: home) }
        }
        if let info = openSubdirectory("info", in: directory, gitPath: gitPath, baseline: baseline) {
            checkEntry("attributes", role: .metadata("info/attributes"), in: info, at: "info", gitPath: gitPath, baseline: baseline, home: home)
        }
        return (checkCommonDirectory(directory, gitPath: gitPath, baseline: baseline, home: home), retrySoon)
    }

    /// One entry of a guarded directory: kept, or moved aside (and the baseline's version put back).
    private func checkEntry(_ name: String, role: MetadataReview.Role, in directory: ContainedDirectory, at subdirectory: String, gitPath: String, baseline: GitDirectoryBaseline, home: QuarantineHome) {
        let relative = WorkspacePaths.join(subdirectory, name)
        let directoryPath = WorkspacePaths.join(gitPath, subdirectory)
        let previous = baseline.files[relative]
        guard var state = reader.state(of: name, in: directory, at: directoryPath, withContent: false) else { return }
        if let previous, previous.content != nil, previous.identity != state.identity {
            state = reader.state(of: name, in: directory, at: directoryPath, withContent: true) ?? state
        }
        guard case .quarantine(let rule) = MetadataReview.verdict(name: name, role: role, baseline: previous, current: state) else { return }
        let origin = WorkspacePaths.join(gitPath, relative)
        guard quarantine.moveAside(name, of: directory, origin: origin, home: home, rule: rule) != nil, let previous else { return }
        BaselineRestorer.putBack(previous, as: name, in: directory)
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
        return resolved.joined(separator: "/")
    }

    /// `commondir` may name another git directory: kept when that one is inside the workspace (it
    /// is then guarded too), or when it is the baseline's own; moved aside otherwise.
    private func checkCommonDirectory(_ directory: ContainedDirectory, gitPath: String, baseline: GitDirectoryBaseline, home: QuarantineHome) -> [String] {
        guard let state = reader.state(of: "commondir", in: directory, at: gitPath, withContent: true) else { return [] }
        if let common = commonDirectory(state, gitPath: gitPath) { return [common] }
        if let previous = baseline.files["commondir"], previous.isUnchanged(state) { return [] }
        quarantine.moveAside(
            "commondir", of: directory, origin: WorkspacePaths.join(gitPath, "commondir"), home: home,
            rule: "commondir names no git directory inside the workspace")
        return []
    }
}
