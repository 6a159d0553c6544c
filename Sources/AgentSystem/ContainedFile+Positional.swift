import CAgentShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension ContainedFile {
    /// Reads up to `buffer.count` bytes at `offset` without moving a file position, so that
    /// several threads may read one file at once. Returns how many bytes were read (fewer at the
    /// end of the file, 0 past it). Calls `pread`, `EINTR` retried.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(ContainedFileError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let count = pread(descriptor, base + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            if count == 0 { break }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ContainedFileError(path: displayPath, SystemCallError(call: "pread", errno: code))
            }
            filled += count
        }
        return filled
    }

    /// Writes all of `bytes` at the current position, without `fsync` (see `synchronize`).
    /// Calls `write`, `EINTR` retried.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(ContainedFileError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ContainedFileError(path: displayPath, SystemCallError(call: "write", errno: code))
            }
            offset += count
        }
    }

    /// Flushes what was written to the disk. Calls `fsync`.
    public func synchronize() throws(ContainedFileError) {
        do {
            try retryingSyscall("fsync") { fsync(descriptor) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
    }
}

extension ContainedDirectory {
    /// Creates the file `name` in this directory for writing, never following or replacing
    /// anything already there (a link or file of that name makes it fail). Calls
    /// `openat2(O_CREAT | O_EXCL | O_NOFOLLOW)`.
    public func createExclusive(_ name: String, mode: UInt32 = 0o644) throws(ContainedFileError) -> ContainedFile {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY
        let descriptor: Int32
        do {
            descriptor = try retryingSyscall("openat2") { agent_openat2_beneath(self.descriptor, name, flags, mode) }
        } catch {
            throw ContainedFileError(path: displayPath + "/" + name, error)
        }
        return ContainedFile(descriptor: descriptor, displayPath: displayPath + "/" + name)
    }

    /// Flushes this directory's entries (a rename into it, say) to the disk. Calls `fsync`.
    public func synchronize() throws(ContainedFileError) {
        do {
            try retryingSyscall("fsync") { fsync(descriptor) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
    }
}

extension ContainedDirectory {
    /// What the open directory itself is (device and inode tell two openings of one directory
    /// apart from two directories). Calls `fstat`.
    public func status() throws(ContainedFileError) -> FileStatus {
        var info = stat()
        do {
            try retryingSyscall("fstat") { fstat(descriptor, &info) }
        } catch {
            throw ContainedFileError(path: displayPath, error)
        }
        return FileStatus(info)
    }
}

extension ContainedFileError {
    /// Whether the call failed because the name already exists (`EEXIST`).
    public var isAlreadyExisting: Bool {
        if case .system(let error) = kind { return error.errno == EEXIST }
        return false
    }
}
