import CAgentShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One name in a directory and what it is (links not followed).
public struct DirectoryEntry: Hashable, Sendable {
    public let name: String
    public let kind: FileStatus.Kind
}

/// Operations for code that must not follow any link at all (the workspace guard): the
/// directory's own status, entries with their kinds, link texts, and opens that refuse a
/// symbolic link in any component.
extension ContainedDirectory {
    /// Opens `relative` beneath this directory; with `followingLinks: false` a symbolic link in
    /// any component fails (`.escapes`), so a link swapped in by someone else is never followed.
    /// Calls `openat2(RESOLVE_BENEATH [| RESOLVE_NO_SYMLINKS])`.
    private func openStrictly(_ relative: String, flags: Int32, followingLinks: Bool, mode: UInt32 = 0) throws(ContainedFileError) -> Int32 {
        let name = relative.isEmpty ? "." : relative
        let allFlags = flags | O_CLOEXEC | O_NOCTTY
        do {
            return try retryingSyscall("openat2") {
                followingLinks
                    ? agent_openat2_beneath(descriptor, name, allFlags, mode) : agent_openat2_beneath_no_symlinks(descriptor, name, allFlags, mode)
            }
        } catch {
            throw ContainedFileError(path: shown(relative), error)
        }
    }

    /// The directory at `relative`; see `openStrictly` for `followingLinks`.
    public func directory(_ relative: String, followingLinks: Bool) throws(ContainedFileError) -> ContainedDirectory {
        let descriptor = try openStrictly(relative, flags: O_RDONLY | O_DIRECTORY | O_NONBLOCK, followingLinks: followingLinks)
        return ContainedDirectory(descriptor: descriptor, displayPath: shown(relative))
    }

    /// The regular file at `relative`, open for reading; anything else is refused before a byte
    /// is read. See `openStrictly` for `followingLinks`.
    public func file(_ relative: String, followingLinks: Bool) throws(ContainedFileError) -> ContainedFile {
        let descriptor = try openStrictly(relative, flags: O_RDONLY | O_NONBLOCK, followingLinks: followingLinks)
        let file = ContainedFile(descriptor: descriptor, displayPath: shown(relative))
        guard try file.status().kind == .regular else { throw ContainedFileError(path: shown(relative), kind: .notRegularFile) }
        return file
    }

    /// This directory's own status (its device and inode identify it across renames). Calls `fstat`.
    public func status() throws(ContainedFileError) -> FileStatus {
        var info = stat()
        do {
            try retryingSyscall("fstat") { fstat(descriptor, &info) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
        return FileStatus(info)
    }

    /// The entries of this directory with their kinds (from `d_type`, or `fstatat` without
    /// following links when the file system does not say), at most `limit` of them.
    public func entries(limit: Int = 1 << 20) throws(ContainedFileError) -> [DirectoryEntry] {
        let names = try entryNamesAndTypes(limit: limit)
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(names.count)
        for (name, type) in names {
            let kind: FileStatus.Kind
            switch Int32(type) {
            case Int32(DT_REG): kind = .regular
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symbolicLink
            case Int32(DT_UNKNOWN):
                guard let status = try? entryStatus(name) else { continue }
                kind = status.kind
            default: kind = .other
            }
            entries.append(DirectoryEntry(name: name, kind: kind))
        }
        return entries
    }

    private func entryNamesAndTypes(limit: Int) throws(ContainedFileError) -> [(String, UInt8)] {
        let copy: Int32
        do { copy = try retryingSyscall("openat2") { agent_openat2_beneath(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) } } catch {
            throw ContainedFileError(path: displayPath, error)
        }
        guard let stream = fdopendir(copy) else {
            let code = errno
            close(copy)
            throw ContainedFileError(path: displayPath, SystemCallError(call: "fdopendir", errno: code))
        }
        defer { closedir(stream) }
        var result: [(String, UInt8)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            guard result.count < limit else { throw ContainedFileError(path: displayPath, kind: .tooLarge(limit: limit)) }
            result.append((name, entry.pointee.d_type))
        }
        return result
    }

    /// The text of the symbolic link `name` in this directory (at most 4096 bytes). Calls `readlinkat`.
    public func linkTarget(_ name: String) throws(ContainedFileError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let count: Int
        do {
            count = try retryingSyscall("readlinkat") {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress.map { readlinkat(descriptor, name, $0.assumingMemoryBound(to: CChar.self), raw.count) } ?? -1
                }
            }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
        guard count < buffer.count else { throw ContainedFileError(path: shown(name), kind: .tooLarge(limit: 4096)) }
        return Array(buffer.prefix(count))
    }

    /// Where this open directory is now, relative to `root`, as the kernel names it (every link
    /// resolved): `""` for the root itself, `nil` when it is not beneath `root` (or was removed).
    /// Calls `readlink` on both `/proc/self/fd/N` names.
    public func path(relativeTo root: ContainedDirectory) -> String? {
        func resolved(_ directory: ContainedDirectory) -> String? {
            var buffer = [CChar](repeating: 0, count: 4097)
            let count = readlink(directory.procPath, &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard let mine = resolved(self), let base = resolved(root) else { return nil }
        if mine == base { return "" }
        let prefix = base == "/" ? "/" : base + "/"
        guard mine.hasPrefix(prefix), !mine.hasSuffix(" (deleted)") else { return nil }
        return String(mine.dropFirst(prefix.count))
    }

    /// Whether this process may create and remove entries in this directory (for a clear
    /// message before a write fails). Calls `faccessat(W_OK | X_OK, AT_EACCESS)`.
    public var isWritable: Bool {
        faccessat(descriptor, ".", W_OK | X_OK, AT_EACCESS) == 0
    }

    /// Creates `name` here, failing if anything (a link included) is there, with exactly `mode`
    /// (not reduced by the umask), owned like this directory (see `handOver`), and returns it
    /// open for writing. Calls `openat2(O_CREAT | O_EXCL | O_NOFOLLOW)`, `fchmod` and `fchown`.
    public func createFileExclusively(_ name: String, mode: UInt32) throws(ContainedFileError) -> ContainedFile {
        let descriptor = try openStrictly(name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, followingLinks: false, mode: 0o600)
        let file = ContainedFile(descriptor: descriptor, displayPath: shown(name))
        do {
            try retryingSyscall("fchmod") { fchmod(descriptor, mode_t(mode)) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
        handOver(file)
        return file
    }

    /// Creates the symbolic link `name` here with the text `target`, owned like this directory.
    /// Calls `symlinkat`, `fchownat`.
    public func makeSymbolicLink(_ name: String, target: [UInt8]) throws(ContainedFileError) {
        let text = String(decoding: target, as: UTF8.self)
        do {
            try retryingSyscall("symlinkat") { symlinkat(text, descriptor, name) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
        handOver(entryNamed: name)
    }
}

extension ContainedFileError {
    /// Something already has that name (`EEXIST`, or `ENOTEMPTY` from a rename).
    public var isAlreadyExisting: Bool {
        if case .system(let error) = kind { return error.errno == EEXIST || error.errno == ENOTEMPTY }
        return false
    }

    /// The process lacks permission (`EACCES`, `EPERM`, `EROFS`): the guard says so plainly.
    public var isPermissionDenied: Bool {
        if case .system(let error) = kind { return error.errno == EACCES || error.errno == EPERM || error.errno == EROFS }
        return false
    }
}
