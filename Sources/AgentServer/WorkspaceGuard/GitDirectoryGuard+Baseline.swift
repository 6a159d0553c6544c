import AgentSystem
import AgentWorkspaceGuard

/// The baseline of one git directory, taken when the agent starts.
extension GitDirectoryGuard {
    /// What `gitPath` holds now, as its baseline.
    func captureBaseline(of gitPath: String, budget: inout ContentBudget) -> (DirectoryKey, GitDirectoryBaseline)? {
        guard let directory = try? root.directory(gitPath, followingLinks: false), let status = try? directory.status() else { return nil }
        var baseline = GitDirectoryBaseline()
        captureConfigs(of: gitPath, into: &baseline, budget: &budget)
        for (name, _) in Self.guardedDirectories {
            guard let state = reader.state(of: name, in: directory, at: gitPath, withContent: false) else { continue }
            baseline.files[name] = state
            guard let opened = openSubdirectory(name, in: directory, gitPath: gitPath, baseline: nil) else { continue }
            for (entry, state) in captureEntries(of: opened, at: WorkspacePaths.join(gitPath, name), budget: &budget) {
                baseline.files[name + "/" + entry] = state
            }
        }
        if let info = reader.state(of: "info", in: directory, at: gitPath, withContent: false) { baseline.files["info"] = info }
        if let info = openSubdirectory("info", in: directory, gitPath: gitPath, baseline: nil),
            let state = kept(reader.state(of: "attributes", in: info, at: WorkspacePaths.join(gitPath, "info"), withContent: true), budget: &budget)
        {
            baseline.files["info/attributes"] = state
        }
        if let state = kept(reader.state(of: "commondir", in: directory, at: gitPath, withContent: true), budget: &budget) {
            baseline.files["commondir"] = state
        }
        for path in hookDirectories(named: baseline.configs.values.flatMap(\.settings), gitPath: gitPath) {
            let opened = try? root.directory(path, followingLinks: true)
            baseline.hookDirectories[path] = opened.map { Dictionary(uniqueKeysWithValues: captureEntries(of: $0, at: path, budget: &budget)) } ?? [:]
        }
        return (DirectoryKey(status), baseline)
    }

    /// `config`, `config.worktree`, and every file they include (recursively, at most 10 deep as
    /// in git), recorded even when missing: a session must not be able to create one either.
    private func captureConfigs(of gitPath: String, into baseline: inout GitDirectoryBaseline, budget: inout ContentBudget) {
        var pending = Self.configNames.map { (directoryPath: gitPath, name: $0, depth: 0) }
        while let (directoryPath, name, depth) = pending.popLast() {
            let path = WorkspacePaths.join(directoryPath, name)
            guard baseline.configs[path] == nil, !baseline.includedFiles.contains(path) else { continue }
            if depth > 0 { baseline.includedFiles.append(path) }
            guard let directory = try? root.directory(directoryPath, followingLinks: depth > 0),
                var state = reader.state(of: name, in: directory, at: directoryPath, withContent: true)
            else { continue }
            var settings: Set<GitConfigSetting> = []
            if let content = state.content, case .success(let document) = GitConfigParser.parse(content) {
                settings = Set(document.entries.map(\.setting))
            }
            if let content = state.content, !budget.admit(content.count) { state.content = nil }
            baseline.configs[path] = ConfigFileBaseline(state: state, settings: settings)
            guard depth < 10 else { continue }
            for include in ConfigReview.includedPaths(in: settings) {
                guard let resolved = GitDirectoryLayout.resolve(include, from: WorkspacePaths.components(directoryPath), workspaceRoot: workspacePath),
                    !resolved.isEmpty
                else { continue }
                let (includeDirectory, includeName) = WorkspacePaths.split(resolved.joined(separator: "/"))
                pending.append((includeDirectory, includeName, depth + 1))
            }
        }
    }

    /// The directories `core.hooksPath` names inside the workspace: relative to the work tree
    /// (the folder holding `.git`), or to the git directory itself when it has no such folder.
    func hookDirectories(named settings: [GitConfigSetting], gitPath: String) -> [String] {
        let workTree = gitPath == ".git" ? "" : gitPath.hasSuffix("/.git") ? String(gitPath.dropLast(5)) : gitPath
        let values = settings.filter { $0.name == Array("core.hookspath".utf8) }.compactMap(\.value)
        return values.compactMap { value in
            GitDirectoryLayout.resolve(value, from: WorkspacePaths.components(workTree), workspaceRoot: workspacePath)?.joined(separator: "/")
        }
    }

    private func captureEntries(of directory: ContainedDirectory, at path: String, budget: inout ContentBudget) -> [(String, MetadataFile)] {
        guard let entries = try? directory.entries(limit: 10_000) else { return [] }
        return entries.compactMap { entry in
            kept(reader.state(of: entry.name, in: directory, at: path, withContent: true), budget: &budget).map { (entry.name, $0) }
        }
    }

    private func kept(_ state: MetadataFile?, budget: inout ContentBudget) -> MetadataFile? {
        guard var state else { return nil }
        if let content = state.content, !budget.admit(content.count) { state.content = nil }
        return state
    }
}
