import CLibGit2

/// One-time, process-wide libgit2 setup.
///
/// The agent reads repositories from a hostile workspace, so libgit2 is told to read **no**
/// configuration outside the repository (system, global, XDG and program-data search paths are
/// emptied): the agent's own `$HOME` or `/etc/gitconfig` cannot rewrite URLs or add headers.
public enum LibGit2 {
    /// Initialises libgit2 once and applies the agent's global options.
    /// - Parameter caFile: an extra PEM bundle for upstream TLS (`AGENT_CA_FILE`).
    /// - Throws: `GitError` when an option cannot be set.
    public static func bootstrap(caFile: String?) throws(GitError) {
        _ = initialization
        for level in [GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_PROGRAMDATA] {
            try GitError.check(agent_git_set_config_search_path(level, ""), "setting config search paths")
        }
        try GitError.check(agent_git_enable_strict_hash_verification(1), "enabling hash verification")
        if let caFile {
            try GitError.check(agent_git_set_ssl_cert_locations(caFile, nil), "loading \(caFile)")
        }
    }

    /// `major.minor.revision` of the linked libgit2.
    public static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    private static let initialization: Int32 = git_libgit2_init()
}

/// A libgit2 failure: the code it returned and the message it left.
public struct GitError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String

    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Throws the last libgit2 error when `result` is negative.
    static func check(_ result: Int32, _ activity: String) throws(GitError) {
        guard result < 0 else { return }
        throw GitError(code: result, message: "\(activity): \(lastMessage())")
    }

    static func lastMessage() -> String {
        guard let error = git_error_last(), let text = error.pointee.message else { return "unknown libgit2 error" }
        return String(cString: text)
    }
}
