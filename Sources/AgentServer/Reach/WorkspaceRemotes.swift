import AgentPolicy
import AgentSystem
import AgentWorkspaceGuard

/// The default `ALLOWED_REPOS`: the GitHub repositories named by the remotes (`remote.*.url`) of
/// the repositories in the workspace when the agent starts.
///
/// Found with the workspace guard's bounded walk; each `config` is read beneath the workspace by
/// descriptor (at most `configLimit` bytes), parsed as git parses it, and nothing else of it is
/// used (no includes, no `insteadOf`). Only URLs that name github.com count:
/// `https://github.com/O/R`, `git@github.com:O/R`, `ssh://git@github.com/O/R`, `git://github.com/O/R`.
enum WorkspaceRemotes {
    static let directoryLimit = 20_000
    static let configLimit = 1 << 20

    /// The repositories, sorted and without duplicates (compared as GitHub compares names).
    static func repositories(in workspace: String) -> [GitHubRepository] {
        guard let root = try? ContainedDirectory.openRoot(workspace) else { return [] }
        let found = WorkspaceWalk.walk(root, from: [.workTree("")], limit: directoryLimit) { _, _, _ in }
        var seen: Set<String> = []
        var repositories: [GitHubRepository] = []
        for gitDirectory in found.gitDirectories.sorted() {
            let path = gitDirectory.isEmpty ? "config" : gitDirectory + "/config"
            guard let bytes = try? root.readIfPresent(path, limit: configLimit), case .success(let document) = GitConfigParser.parse(bytes) else {
                continue
            }
            for entry in document.entries {
                guard let repository = repository(entry), seen.insert(repository.description.lowercased()).inserted else { continue }
                repositories.append(repository)
            }
        }
        return repositories.sorted { $0.description.lowercased() < $1.description.lowercased() }
    }

    /// The repository a `remote.<name>.url` entry names, if it is one on github.com.
    static func repository(_ entry: GitConfigEntry) -> GitHubRepository? {
        let name = String(decoding: entry.name, as: UTF8.self)
        guard name.hasPrefix("remote."), name.hasSuffix(".url"), let value = entry.value else { return nil }
        return repository(url: String(decoding: value, as: UTF8.self))
    }

    static func repository(url: String) -> GitHubRepository? {
        var text = url
        for prefix in ["git@github.com:", "ssh://git@github.com/", "git://github.com/"] where text.lowercased().hasPrefix(prefix) {
            text = "https://github.com/" + text.dropFirst(prefix.count)
        }
        return try? GitHubRepository.parse(remoteURL: text).get()
    }
}
