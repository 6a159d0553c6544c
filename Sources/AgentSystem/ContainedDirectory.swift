import CAgentShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An open directory, and everything reached beneath it by descriptor: containment by
/// construction rather than by comparing path strings.
///
/// Every path given to it is resolved by the kernel strictly beneath the directory
/// (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`): a symbolic link, a `..` or an
/// absolute path that would leave it fails with `.escapes`, whatever the workspace did to its
/// files meanwhile (no check-then-open race). Files are opened `O_NONBLOCK` and checked with
/// `fstat` before any read, so a FIFO, socket or device where a file is expected is refused
/// rather than blocking; reads are bounded before they start.
///
/// `@unchecked Sendable`: the descriptor is set once in `init` and closed once in `deinit`.
public final class ContainedDirectory: @unchecked Sendable {
    /// The open directory's descriptor (owned: closed on deinit).
    public let descriptor: Int32
    /// How the directory was named (for messages only, never re-opened by this name).
    public let displayPath: String

    init(descriptor: Int32, displayPath: String) {
        self.descriptor = descriptor
        self.displayPath = displayPath
    }

    deinit {
        close(descriptor)
    }

    /// Opens `path` (an absolute path the operator configured, links allowed) as the root that
    /// everything else is reached beneath. Calls `open(O_DIRECTORY)`.
    public static func openRoot(_ path: String) throws(ContainedFileError) -> ContainedDirectory {
        let descriptor: Int32
        do {
            descriptor = try retryingSyscall("open") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        } catch {
            throw ContainedFileError(path: path, error)
        }
        return ContainedDirectory(descriptor: descriptor, displayPath: path)
    }

    /// A `/proc/self/fd/N` name for this directory, for libraries that only take paths: it names
    /// exactly this open directory, whatever is renamed or replaced meanwhile.
    public var procPath: String { "/proc/self/fd/\(descriptor)" }

    func shown(_ relative: String) -> String {
        relative.isEmpty || relative == "." ? displayPath : (displayPath.hasSuffix("/") ? displayPath : displayPath + "/") + relative
    }

    /// Opens `relative` beneath this directory. Calls `openat2(RESOLVE_BENEATH)`.
    private func openBeneath(_ relative: String, flags: Int32, mode: UInt32 = 0) throws(ContainedFileError) -> Int32 {
        let name = relative.isEmpty ? "." : relative
        do {
            return try retryingSyscall("openat2") { agent_openat2_beneath(descriptor, name, flags | O_CLOEXEC | O_NOCTTY, mode) }
        } catch {
            throw ContainedFileError(path: shown(relative), error)
        }
    }

    /// The directory at `relative` beneath this one.
    public func directory(_ relative: String) throws(ContainedFileError) -> ContainedDirectory {
        let descriptor = try openBeneath(relative, flags: O_RDONLY | O_DIRECTORY | O_NONBLOCK)
        return ContainedDirectory(descriptor: descriptor, displayPath: shown(relative))
    }

    /// The regular file at `relative`, open for reading; anything else (FIFO, socket, device,
    /// directory) is refused with `.notRegularFile` before a byte is read.
    public func file(_ relative: String) throws(ContainedFileError) -> ContainedFile {
        let descriptor = try openBeneath(relative, flags: O_RDONLY | O_NONBLOCK)
        let file = ContainedFile(descriptor: descriptor, displayPath: shown(relative))
        let info = try file.status()
        guard info.kind == .regular else { throw ContainedFileError(path: shown(relative), kind: .notRegularFile) }
        return file
    }

    /// The whole regular file at `relative`, refused when it is larger than `limit` bytes (checked
    /// with `fstat` before reading, and again while reading, since it may grow).
    public func read(_ relative: String, limit: Int) throws(ContainedFileError) -> [UInt8] {
        try file(relative).readAll(limit: limit)
    }

    /// Like `read`, but `nil` when the file does not exist.
    public func readIfPresent(_ relative: String, limit: Int) throws(ContainedFileError) -> [UInt8]? {
        do {
            return try read(relative, limit: limit)
        } catch  where error.kind == .missing {
            return nil
        }
    }

    /// What is at `name` in this directory, links not followed. Calls `fstatat(AT_SYMLINK_NOFOLLOW)`.
    public func entryStatus(_ name: String) throws(ContainedFileError) -> FileStatus {
        var info = stat()
        do {
            try retryingSyscall("fstatat") { fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
        return FileStatus(info)
    }

    /// The names in this directory (without `.` and `..`), at most `limit` of them.
    /// Calls `fdopendir` on a duplicate of the descriptor, then `readdir`.
    public func entryNames(limit: Int = 1 << 20) throws(ContainedFileError) -> [String] {
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
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            guard names.count < limit else { throw ContainedFileError(path: displayPath, kind: .tooLarge(limit: limit)) }
            names.append(name)
        }
        return names
    }

    /// Creates `name` in this directory (never following or replacing anything there), owned
    /// like the directory (see `handOver`), and writes `bytes` to it. Calls
    /// `openat2(O_CREAT | O_EXCL)`, `fchown`, `write`, `fsync`.
    public func createFile(_ name: String, contents bytes: [UInt8], mode: UInt32 = 0o644) throws(ContainedFileError) {
        let descriptor = try openBeneath(name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        let file = ContainedFile(descriptor: descriptor, displayPath: shown(name))
        handOver(file)
        try file.write(bytes)
    }

    /// Creates the directory `name` here, owned like this one. Calls `mkdirat`, `fchownat`.
    public func makeDirectory(_ name: String, mode: UInt32 = 0o755) throws(ContainedFileError) {
        do {
            try retryingSyscall("mkdirat") { mkdirat(descriptor, name, mode_t(mode)) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
        handOver(entryNamed: name)
    }

    /// Moves `name` to `newName` in `destination`, failing rather than replacing anything there.
    /// Both names are single entries of their directories. Calls `renameat2(RENAME_NOREPLACE)`.
    public func move(_ name: String, to newName: String, in destination: ContainedDirectory) throws(ContainedFileError) {
        do {
            try retryingSyscall("renameat2") { agent_rename_noreplace(descriptor, name, destination.descriptor, newName) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
    }

    /// Moves `name` over `newName` in `destination` (replacing it atomically). Calls `renameat`.
    public func replace(_ newName: String, in destination: ContainedDirectory, with name: String) throws(ContainedFileError) {
        do {
            try retryingSyscall("renameat") { renameat(descriptor, name, destination.descriptor, newName) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
    }

    /// Removes the file (or, with `directory`, the empty directory) `name`. Calls `unlinkat`.
    public func remove(_ name: String, directory: Bool = false) throws(ContainedFileError) {
        do {
            try retryingSyscall("unlinkat") { unlinkat(descriptor, name, directory ? AT_REMOVEDIR : 0) }
        } catch {
            throw ContainedFileError(path: shown(name), error)
        }
    }
}

/// An open file reached through a `ContainedDirectory` (owned: closed on deinit).
///
/// `@unchecked Sendable`: the descriptor is set once in `init` and closed once in `deinit`.
public final class ContainedFile: @unchecked Sendable {
    public let descriptor: Int32
    public let displayPath: String

    init(descriptor: Int32, displayPath: String) {
        self.descriptor = descriptor
        self.displayPath = displayPath
    }

    deinit {
        close(descriptor)
    }

    /// A `/proc/self/fd/N` name for exactly this open file.
    public var procPath: String { "/proc/self/fd/\(descriptor)" }

    /// Calls `fstat`.
    public func status() throws(ContainedFileError) -> FileStatus {
        var info = stat()
        do {
            try retryingSyscall("fstat") { fstat(descriptor, &info) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
        return FileStatus(info)
    }

    /// Reads the whole file, refusing one larger than `limit` bytes before reading it.
    public func readAll(limit: Int) throws(ContainedFileError) -> [UInt8] {
        let size = try status().size
        guard size <= limit else { throw ContainedFileError(path: displayPath, kind: .tooLarge(limit: limit)) }
        var bytes = [UInt8](repeating: 0, count: Int(size) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= limit else { throw ContainedFileError(path: displayPath, kind: .tooLarge(limit: limit)) }
                bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - bytes.count)))
            }
            let count = try readSome(into: &bytes, at: filled)
            if count == 0 { break }
            filled += count
            if filled > limit { throw ContainedFileError(path: displayPath, kind: .tooLarge(limit: limit)) }
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// One `read` into `bytes[offset...]`, `EINTR` retried.
    private func readSome(into bytes: inout [UInt8], at offset: Int) throws(ContainedFileError) -> Int {
        while true {
            let count = bytes.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if count >= 0 { return count }
            let code = errno
            if code != EINTR { throw ContainedFileError(path: displayPath, SystemCallError(call: "read", errno: code)) }
        }
    }

    /// Writes all of `bytes`, then `fsync`s.
    public func write(_ bytes: [UInt8]) throws(ContainedFileError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ContainedFileError(path: displayPath, SystemCallError(call: "write", errno: code))
            }
            offset += count
        }
        do {
            try retryingSyscall("fsync") { fsync(descriptor) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
    }
}

/// What `stat` says about a file, as far as the agent asks.
public struct FileStatus: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case regular, directory, symbolicLink, other
    }

    public let kind: Kind
    public let size: Int64
    public let mode: UInt32
    public let device: UInt64
    public let inode: UInt64
    public let modified: Int64
    public let modifiedNanoseconds: Int
    /// The inode's change time: set by the kernel on every write, rename or `chmod`; no
    /// unprivileged process can set it back.
    public let changed: Int64
    public let changedNanoseconds: Int
    /// The owner's uid.
    public let owner: UInt32

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        size = Int64(info.st_size)
        mode = UInt32(info.st_mode & 0o7777)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modified = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec)
        changedNanoseconds = Int(info.st_ctim.tv_nsec)
        owner = UInt32(info.st_uid)
    }
}

/// Why a path beneath a contained directory could not be used. Names the path, never content.
public struct ContainedFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A link, `..` or absolute path would leave the directory (`EXDEV` from `openat2`).
        case escapes
        case missing
        case notRegularFile
        case notDirectory
        case tooLarge(limit: Int)
        /// The kernel has no `openat2` (before Linux 5.6) or a sandbox forbids it.
        case unsupported
        case system(SystemCallError)
    }

    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    init(path: String, _ error: SystemCallError) {
        self.path = path
        switch error.errno {
        case EXDEV, ELOOP: kind = .escapes
        case ENOENT: kind = .missing
        case ENOTDIR: kind = .notDirectory
        case ENOSYS: kind = .unsupported
        default: kind = .system(error)
        }
    }

    public var description: String {
        switch kind {
        case .escapes: "\(path) leads outside the directory it must stay in (a link or '..')"
        case .missing: "\(path) does not exist"
        case .notRegularFile: "\(path) is not a regular file"
        case .notDirectory: "\(path) is not a directory"
        case .tooLarge(let limit): "\(path) is larger than \(limit) bytes"
        case .unsupported: "\(path) cannot be opened safely: the kernel lacks openat2 (Linux 5.6 or later is needed)"
        case .system(let error): "\(path): \(error.reason)"
        }
    }
}
