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

    /// What is at a socket path before we bind it.
    public enum Occupant: Sendable {
        case nothing
        case staleSocket
        case liveSocket
        case notASocket
    }

    /// Looks at `path`: nothing there, a socket nobody listens on, a live one, or another file.
    public static func occupant(of path: String) -> Occupant {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .nothing }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { return .notASocket }
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
