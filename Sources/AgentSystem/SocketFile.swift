#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Preparing the directory and the files the agent listens on.
public enum SocketFile {
    /// Creates `path` (and its parents) with mode 0755 when missing; fails when it is not a directory.
    public static func prepareDirectory(_ path: String) throws(SystemCallError) {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) != S_IFDIR { throw SystemCallError(call: "mkdir", errno: ENOTDIR) }
            return
        }
        let parent = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        if !parent.isEmpty {
            try prepareDirectory((path.hasPrefix("/") ? "/" : "") + parent.joined(separator: "/"))
        }
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw SystemCallError(call: "mkdir", errno: errno) }
        if access(path, W_OK) != 0 { throw SystemCallError(call: "access", errno: errno) }
    }

    /// Checks that `path` is writable as a directory (`access(W_OK)`).
    public static func checkWritable(_ path: String) throws(SystemCallError) {
        if access(path, W_OK | X_OK) != 0 { throw SystemCallError(call: "access", errno: errno) }
    }

    /// Who owns a directory and who may write into it.
    public struct DirectoryOwnership: Sendable, Equatable {
        public let uid: UInt32
        public let mode: UInt32
        /// Others than the owner may create, rename or remove entries.
        public var isWritableByOthers: Bool { mode & 0o022 != 0 }
    }

    /// The owner and mode of `path` itself (links not followed). Calls `lstat`.
    public static func ownership(of path: String) throws(SystemCallError) -> DirectoryOwnership {
        var info = stat()
        try retryingSyscall("lstat") { lstat(path, &info) }
        return DirectoryOwnership(uid: info.st_uid, mode: UInt32(info.st_mode & 0o7777))
    }

    /// What is at a socket path before we bind it.
    public enum Occupant: Sendable, Equatable {
        case nothing
        case staleSocket
        case liveSocket
        case notASocket
        /// A socket another user made: the agent did not create it.
        case foreignSocket(uid: UInt32)
    }

    /// Looks at `path`: nothing there, a socket nobody listens on, a live one, another user's,
    /// or another kind of file.
    public static func occupant(of path: String, ownUID: UInt32 = getuid()) -> Occupant {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .nothing }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { return .notASocket }
        if info.st_uid != ownUID { return .foreignSocket(uid: info.st_uid) }
        do {
            _ = try UnixSocketConnection(path: path, timeout: .milliseconds(500))
            return .liveSocket
        } catch {
            return .staleSocket
        }
    }

    /// Removes a file (`unlink`), ignoring a missing one.
    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Sets a file's permission bits (`chmod`).
    public static func setMode(_ path: String, _ mode: UInt32) throws(SystemCallError) {
        try retryingSyscall("chmod") { chmod(path, mode_t(mode)) }
    }
}
