#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A fresh directory of the agent's own (mode 0700, in its temporary directory), removed with
/// everything in it when this object goes away.
///
/// Scratch space that nobody else can enter or change: the agent's private view of a workspace
/// repository lives here for one operation. While it exists the directory is locked (`flock`),
/// so that `sweep` at the next start can tell a leftover (its agent died) from one in use by
/// another agent sharing the temporary directory.
///
/// `@unchecked Sendable`: `path` and `root` are set once in `init`; removal happens once in `deinit`.
public final class PrivateDirectory: @unchecked Sendable {
    /// The absolute path (for libraries that only take paths).
    public let path: String
    /// The directory, opened; everything in it is reached beneath this descriptor.
    public let root: ContainedDirectory

    /// Creates `parent/prefix-XXXXXX`. Calls `mkdtemp` and `flock`.
    public init(in parent: String, prefix: String) throws(ContainedFileError) {
        var template = Array(((parent.hasSuffix("/") ? parent : parent + "/") + prefix + "-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard let made else {
            throw ContainedFileError(path: parent, kind: .system(SystemCallError(call: "mkdtemp", errno: errno)))
        }
        path = String(cString: made)
        do {
            root = try ContainedDirectory.openRoot(path)
        } catch {
            rmdir(path)
            throw error
        }
        // Held until the descriptor closes (in deinit, or when the process dies).
        _ = flock(root.descriptor, LOCK_EX | LOCK_NB)
    }

    deinit {
        Self.removeContents(of: root)
        rmdir(path)
    }

    /// Removes the `prefix-*` directories in `parent` that no live process holds (left behind
    /// by an agent that was killed) and that have not changed for `minimumAge` seconds, with
    /// everything in them; returns how many. The age keeps what the lock cannot tell: a
    /// directory just made whose lock is not taken yet, or one of a process that does not lock
    /// (an earlier version sharing `parent`). Links, files and directories of other owners are
    /// left alone. Calls `flock`, `time`, `unlinkat`, `renameat2`.
    @discardableResult
    public static func sweep(in parent: String, prefix: String, minimumAge: Int64) -> Int {
        guard let directory = try? ContainedDirectory.openRoot(parent), let entries = try? directory.entries() else { return 0 }
        let now = Int64(time(nil))
        var removed = 0
        for entry in entries where entry.kind == .directory && entry.name.hasPrefix(prefix + "-") {
            guard let leftover = try? directory.directory(entry.name, followingLinks: false),
                let status = try? leftover.status(),
                status.owner == geteuid(),
                now - status.modified >= minimumAge,
                flock(leftover.descriptor, LOCK_EX | LOCK_NB) == 0
            else { continue }
            removeContents(of: leftover)
            if (try? directory.remove(entry.name, directory: true)) != nil { removed += 1 }
        }
        return removed
    }

    /// Removes everything beneath `root`, links not followed, however deep: each subdirectory
    /// is moved up into `root` itself (a rename) and emptied there, so the walk needs neither
    /// recursion nor a descriptor per level, and no path grows with the depth.
    /// Calls `unlinkat` and `renameat2`.
    static func removeContents(of root: ContainedDirectory) {
        var pending: [String] = []
        var fresh = 0
        empty(root, into: root, pending: &pending, fresh: &fresh)
        while let name = pending.popLast() {
            if let directory = try? root.directory(name, followingLinks: false) {
                empty(directory, into: root, pending: &pending, fresh: &fresh)
            }
            try? root.remove(name, directory: true)
        }
    }

    /// Removes the files of `directory` and moves its subdirectories into `root` under fresh
    /// names (added to `pending`).
    private static func empty(_ directory: ContainedDirectory, into root: ContainedDirectory, pending: inout [String], fresh: inout Int) {
        guard let entries = try? directory.entries() else { return }
        for entry in entries {
            guard entry.kind == .directory else {
                try? directory.remove(entry.name)
                continue
            }
            if directory === root {
                pending.append(entry.name)
                continue
            }
            // A name taken already (RENAME_NOREPLACE refuses it) is simply skipped over.
            for _ in 0..<64 {
                fresh += 1
                let name = ".removing-\(fresh)"
                if (try? directory.move(entry.name, to: name, in: root)) != nil {
                    pending.append(name)
                    break
                }
            }
        }
    }
}
