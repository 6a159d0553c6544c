#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Paths in the workspace, with every link resolved before any decision.
public enum WorkspacePath {
    /// The canonical absolute path (`realpath`): no `..`, no symbolic links.
    public static func resolve(_ path: String) throws(SystemCallError) -> String {
        guard let resolved = realpath(path, nil) else { throw SystemCallError(call: "realpath", errno: errno) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether canonical `path` is `root` or below it (compared by whole components).
    public static func isInside(_ path: String, root: String) -> Bool {
        if root == "/" { return path.hasPrefix("/") }
        return path == root || path.utf8.starts(with: (root + "/").utf8)
    }
}
