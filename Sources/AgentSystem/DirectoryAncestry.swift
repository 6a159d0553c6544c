#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Whether one directory lies inside another, decided on the directories themselves (device and
/// inode, walking `..` by descriptor), never on path strings that links or `..` could disguise.
public enum DirectoryAncestry {
    /// Whether `path` is `ancestor` or lies beneath it. `false` when either cannot be opened.
    /// Calls `open(O_DIRECTORY)`, `fstat`, `openat("..")`.
    public static func isDirectory(_ path: String, within ancestor: String) -> Bool {
        guard let target = identity(ofPath: ancestor) else { return false }
        var descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        for _ in 0..<4096 {
            guard let current = identity(of: descriptor) else { return false }
            if current == target { return true }
            let parent = openat(descriptor, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard parent >= 0 else { return false }
            guard let above = identity(of: parent), above != current else {
                close(parent)
                return false  // the root: its parent is itself
            }
            close(descriptor)
            descriptor = parent
        }
        return false
    }

    private struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    private static func identity(ofPath path: String) -> Identity? {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return identity(of: descriptor)
    }

    private static func identity(of descriptor: Int32) -> Identity? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}
