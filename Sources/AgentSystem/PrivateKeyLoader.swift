#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a GitHub App's private key (PEM) once, straight into a `LockedSecret`, from the file its
/// setting names. Unlike a token, PEM text has lines and spaces; anything but printable ASCII,
/// spaces and line ends is refused, and so is a file larger than the secret's buffer.
public enum PrivateKeyLoader {
    /// - Parameters:
    ///   - path: the file (`GITHUB_APP_PRIVATE_KEY_FILE`).
    ///   - key: the setting, for messages.
    /// - Throws: `TokenError` naming the setting; never the file's content.
    public static func load(fromFile path: String, key: String) throws(TokenError) -> LockedSecret {
        let descriptor: Int32
        do {
            descriptor = try retryingSyscall("open") { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        } catch {
            throw .unreadableFile(key: key, path: path, error)
        }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw .unreadableFile(key: key, path: path, SystemCallError(call: "fstat", errno: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(key: key, path: path) }
        return try LockedSecret { buffer throws(TokenError) in
            var total = 0
            while total < buffer.count {
                let count: Int
                do throws(SystemCallError) {
                    count = try retryingSyscall("read") { read(descriptor, buffer.baseAddress.map { $0 + total }, buffer.count - total) }
                } catch {
                    throw .unreadableFile(key: key, path: path, error)
                }
                if count == 0 { break }
                total += count
            }
            if total == buffer.count { throw .tooLong(source: key, limit: LockedSecret.capacity) }
            if total == 0 { throw .empty(source: key) }
            for index in 0..<total where !((0x20...0x7E).contains(buffer[index]) || buffer[index] == 0x0A || buffer[index] == 0x0D) {
                throw .invalidCharacters(source: key)
            }
            return total
        }
    }
}
