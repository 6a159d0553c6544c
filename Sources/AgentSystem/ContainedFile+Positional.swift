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
