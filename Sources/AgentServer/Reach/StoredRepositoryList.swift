import AgentPolicy

/// `AGENT_STATE_DIR/allowed-repos`: the default `ALLOWED_REPOS` found at the agent's first
/// start (the workspace's GitHub remotes then). Later starts reuse it: the session writes the
/// workspace, so a remote it adds must not widen the list at the next start. Only an explicit
/// `ALLOWED_REPOS` replaces it. Text, one pattern a line, after a header:
///
/// ```
/// command-agent allowed repositories 1
/// octo/app
/// ```
struct StoredRepositoryList {
    static let fileName = "allowed-repos"
    static let header = "command-agent allowed repositories 1"

    let file: BranchStateFile

    init(directory: BranchStateFile) {
        file = directory.sibling(Self.fileName)
    }

    /// The stored list, or `nil` when none was stored yet.
    func read() throws(BranchStateFile.Failure) -> RepositoryAllowlist? {
        guard let bytes = try file.read() else { return nil }
        guard let list = Self.decode(bytes) else {
            throw BranchStateFile.Failure(
                description:
                    "AGENT_STATE_DIR: \(file.path)/\(Self.fileName) is not a list the agent wrote; move it aside (the next start takes the workspace's remotes) or set ALLOWED_REPOS"
            )
        }
        return list
    }

    func write(_ list: RepositoryAllowlist) throws(BranchStateFile.Failure) {
        try file.write(Self.encode(list), attempt: 1)
    }

    static func encode(_ list: RepositoryAllowlist) -> [UInt8] {
        Array((([header] + list.patterns.map(\.description)).joined(separator: "\n") + "\n").utf8)
    }

    /// Accepts exactly what `encode` writes: the header, then one valid pattern a line.
    static func decode(_ bytes: [UInt8]) -> RepositoryAllowlist? {
        guard let text = String(validating: bytes, as: UTF8.self), text.hasSuffix("\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == header else { return nil }
        var patterns: [RepositoryPattern] = []
        for line in lines.dropFirst() {
            guard let pattern = try? RepositoryPattern(line), pattern.description == line else { return nil }
            patterns.append(pattern)
        }
        return RepositoryAllowlist(patterns)
    }
}
