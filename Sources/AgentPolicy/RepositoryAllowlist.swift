/// One `ALLOWED_REPOS` entry: `owner/name`, or `owner/*` for every repository of an owner.
///
/// GitHub compares owners and names case-insensitively, so both sides are compared lowercased:
/// `Octo/App` is `octo/app`. An entry may be written with `.git` (dropped); a name to check is
/// compared as given (a remote URL's one `.git` is dropped when it is parsed), so `app.git` is
/// not taken for `app`: were GitHub to hold a repository of that name, it would be another one.
public struct RepositoryPattern: Hashable, Sendable, CustomStringConvertible {
    /// The owner, lowercased.
    public let owner: String
    /// The name, lowercased and without `.git`; `nil` for `owner/*`.
    public let name: String?

    public var description: String { "\(owner)/\(name ?? "*")" }

    /// - Throws: `RepositoryPatternError` when `raw` is not `owner/name` or `owner/*`.
    public init(_ raw: String) throws(RepositoryPatternError) {
        let parts = raw.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw RepositoryPatternError(pattern: raw, problem: "expected owner/name or owner/*") }
        guard GitHubRepository.isValidOwner(parts[0]) else {
            throw RepositoryPatternError(pattern: raw, problem: "'\(parts[0])' is not a GitHub owner")
        }
        owner = parts[0].lowercased()
        if parts[1] == "*" {
            name = nil
        } else {
            let name = RepositoryPattern.withoutGitSuffix(parts[1])
            guard GitHubRepository.isValidName(name) else {
                throw RepositoryPatternError(pattern: raw, problem: "'\(parts[1])' is not a GitHub repository name (or '*')")
            }
            self.name = name.lowercased()
        }
    }

    /// Whether the repository `owner/name` matches, as GitHub would resolve it.
    public func matches(owner: String, name: String) -> Bool {
        guard owner.lowercased() == self.owner else { return false }
        guard let expected = self.name else { return true }
        return name.lowercased() == expected
    }

    static func withoutGitSuffix(_ name: String) -> String {
        name.lowercased().hasSuffix(".git") && name.count > 4 ? String(name.dropLast(4)) : name
    }
}

/// An `ALLOWED_REPOS` entry that cannot be used.
public struct RepositoryPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    public let problem: String
    public var description: String { "invalid repository '\(pattern)': \(problem)" }
}

/// `ALLOWED_REPOS`: the only repositories the agent writes to (and, with
/// `ALLOW_OTHER_REPO_READS=false`, reads from). Pure.
///
/// Example: with `["octo/app", "octo-lib/*"]`, `OCTO/app.git` and `octo-lib/x` are in the list,
/// `octo/other` is not, and a write to it is refused with "repository 'octo/other' is not in
/// ALLOWED_REPOS (octo/app, octo-lib/*)".
public struct RepositoryAllowlist: Hashable, Sendable, CustomStringConvertible {
    public let patterns: [RepositoryPattern]

    public init(_ patterns: [RepositoryPattern]) {
        self.patterns = patterns
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// `octo/app, octo-lib/*`, or `none` for an empty list.
    public var description: String { patterns.isEmpty ? "none" : patterns.map(\.description).joined(separator: ", ") }

    public func contains(owner: String, name: String) -> Bool {
        patterns.contains { $0.matches(owner: owner, name: name) }
    }

    /// Whether `owner/name` (as GitHub's `full_name` or `nameWithOwner` gives it) is listed; text
    /// of any other shape is not.
    public func contains(nameWithOwner text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return contains(owner: String(parts[0]), name: String(parts[1]))
    }

    /// The refusal of a write to `repository` (shown as named), or `nil` when it is listed.
    public func writeDenial(_ repository: String) -> Denial? {
        guard !contains(nameWithOwner: repository) else { return nil }
        return Denial(.repositoryNotAllowed, "repository '\(repository.quotedInRefusal)' is not in ALLOWED_REPOS (\(listed))")
    }

    /// The refusal of a read of `repository` when `ALLOW_OTHER_REPO_READS=false`, or `nil`.
    public func readDenial(_ repository: String, allowOtherReads: Bool) -> Denial? {
        guard !allowOtherReads, !contains(nameWithOwner: repository) else { return nil }
        return Denial(
            .repositoryNotAllowed,
            "reading repository '\(repository.quotedInRefusal)' is not allowed: it is not in ALLOWED_REPOS (\(listed)) and ALLOW_OTHER_REPO_READS=false")
    }

    /// The list as a refusal shows it; an empty one says why and what to do.
    public var listed: String {
        patterns.isEmpty
            ? "the list is empty: no GitHub remote was found in the workspace when the agent started; set ALLOWED_REPOS" : description
    }
}
