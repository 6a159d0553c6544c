#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads the GitHub token once, straight into a `LockedSecret`, from `GITHUB_TOKEN` or from the
/// file named by `GITHUB_TOKEN_FILE`.
///
/// The environment variable is then removed **and** its bytes in the process's original
/// environment block are overwritten, so that `/proc/<pid>/environ` no longer shows it: `unsetenv`
/// alone only edits the `environ` array, not the block the kernel reports.
public enum TokenLoader {
    public static let variable = "GITHUB_TOKEN"
    public static let fileVariable = "GITHUB_TOKEN_FILE"

    /// Loads the token and scrubs `GITHUB_TOKEN` from the environment, whatever the outcome.
    /// - Parameter tokenFile: a path that overrides `GITHUB_TOKEN_FILE` (command-line flag).
    public static func load(tokenFile: String? = nil) throws(TokenError) -> LockedSecret {
        defer { scrubEnvironment(variable) }
        let fromEnvironment = environmentValue(variable)
        let filePath = tokenFile ?? environmentValue(fileVariable).map { String(cString: $0) }
        if let filePath, !filePath.isEmpty {
            if let fromEnvironment, fromEnvironment.pointee != 0 { throw .bothSet }
            return try load(fromFile: filePath)
        }
        guard let fromEnvironment else { throw .missing }
        return try LockedSecret { buffer throws(TokenError) in
            let length = strlen(fromEnvironment)
            guard length <= buffer.count else { throw .tooLong(source: variable, limit: LockedSecret.capacity) }
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: fromEnvironment, count: length))
            return try validatedLength(buffer, length, source: variable)
        }
    }

    /// Loads the token from a file (its trailing newline dropped).
    public static func load(fromFile path: String) throws(TokenError) -> LockedSecret {
        let descriptor: Int32
        do {
            descriptor = try retryingSyscall("open") { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) }
        } catch {
            throw .unreadableFile(path: path, error)
        }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw .unreadableFile(path: path, SystemCallError(call: "fstat", errno: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        return try LockedSecret { buffer throws(TokenError) in
            let total = try readAll(descriptor, into: buffer, path: path)
            if total == buffer.count { throw .tooLong(source: fileVariable, limit: LockedSecret.capacity) }
            return try validatedLength(buffer, total, source: fileVariable)
        }
    }

    /// Reads until end of file or until `buffer` is full; returns the number of bytes read.
    private static func readAll(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(TokenError) -> Int {
        var total = 0
        while total < buffer.count {
            let count: Int
            do {
                count = try retryingSyscall("read") { read(descriptor, buffer.baseAddress.map { $0 + total }, buffer.count - total) }
            } catch {
                throw .unreadableFile(path: path, error)
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Drops trailing whitespace (a file's final newline) and checks what is left: visible ASCII
    /// only, since the token goes into an HTTP header.
    private static func validatedLength(
        _ buffer: UnsafeMutableRawBufferPointer,
        _ length: Int,
        source: String
    ) throws(TokenError) -> Int {
        var end = length
        while end > 0, [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(buffer[end - 1]) {
            end -= 1
        }
        if end == 0 { throw .empty(source: source) }
        for index in 0..<end where !(0x21...0x7E).contains(buffer[index]) {
            throw .invalidCharacters(source: source)
        }
        // Whatever followed the token (whitespace) is cleared, so that only the token remains.
        for index in end..<length { buffer[index] = 0 }
        return end
    }

    /// The value of `name` in the live environment, as a pointer into it (no copy is made).
    private static func environmentValue(_ name: String) -> UnsafeMutablePointer<CChar>? {
        getenv(name)
    }

    /// Overwrites the value of every `name=` entry in `environ` with zeros, then unsets `name`.
    ///
    /// Every entry, not only the first: a crafted exec can pass the same name twice, and
    /// `getenv` would only ever show the first.
    public static func scrubEnvironment(_ name: String) {
        let prefix = name + "="
        let prefixLength = prefix.utf8.count
        let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        if var entry = table {
            while let pointer = entry.pointee {
                if strncmp(pointer, prefix, prefixLength) == 0 {
                    let value = pointer + prefixLength
                    memset(value, 0, strlen(value))
                }
                entry += 1
            }
        }
        unsetenv(name)  // glibc removes every entry of that name
    }
}
