#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A fresh directory of the agent's own (mode 0700, in its temporary directory), removed with
/// everything in it when this object goes away.
///
/// Scratch space that nobody else can enter or change: the agent's private view of a workspace
/// repository lives here for one operation.
///
/// `@unchecked Sendable`: `path` and `root` are set once in `init`; removal happens once in `deinit`.
public final class PrivateDirectory: @unchecked Sendable {
    /// The absolute path (for libraries that only take paths).
    public let path: String
    /// The directory, opened; everything in it is reached beneath this descriptor.
    public let root: ContainedDirectory

    /// Creates `parent/prefix-XXXXXX`. Calls `mkdtemp`.
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
    }

    deinit {
        Self.removeContents(of: root, depth: 0)
        rmdir(path)
    }

    /// Removes everything beneath `directory`, links not followed (depth-limited: the agent makes
    /// shallow trees here). Calls `unlinkat`.
    private static func removeContents(of directory: ContainedDirectory, depth: Int) {
        guard depth < 64, let names = try? directory.entryNames() else { return }
        for name in names {
            if (try? directory.entryStatus(name))?.kind == .directory, let child = try? directory.directory(name) {
                removeContents(of: child, depth: depth + 1)
                try? directory.remove(name, directory: true)
            } else {
                try? directory.remove(name)
            }
        }
    }
}
