#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a secret once, straight into a `LockedSecret`, from its variable (`GITHUB_TOKEN`) or
/// from the file its file variable names (`GITHUB_TOKEN_FILE`).
///
/// The environment variable is then removed **and** its bytes in the process's original
/// environment block are overwritten, so that `/proc/<pid>/environ` no longer shows it: `unsetenv`
/// alone only edits the `environ` array, not the block the kernel reports.
public enum TokenLoader {
    public static let variable = SecretSource.githubToken.variable
    public static let fileVariable = SecretSource.githubToken.fileVariable

    /// Loads the GitHub token and scrubs `GITHUB_TOKEN` from the environment, whatever the outcome.
    /// - Parameter tokenFile: a path that overrides `GITHUB_TOKEN_FILE` (command-line flag).
    public static func load(tokenFile: String? = nil) throws(TokenError) -> LockedSecret {
        let setButEmpty = environmentValue(variable).map { $0.pointee == 0 } ?? false
        guard let secret = try load(.githubToken, fileOverride: tokenFile) else {
            throw setButEmpty ? .empty(source: variable) : .missing(.githubToken)
        }
        return secret
    }

    /// Whether `source` is set at all (its variable or its file variable, non-empty).
    public static func isSet(_ source: SecretSource) -> Bool {
        isSet(named: source.variable) || isSet(named: source.fileVariable)
    }

    /// Whether the environment variable `name` is set and not empty.
    public static func isSet(named name: String) -> Bool {
        environmentValue(name).map { $0.pointee != 0 } ?? false
    }

    /// Loads `source`, or `nil` when neither of its variables is set; scrubs its variable from
    /// the environment whatever the outcome.
    public static func load(_ source: SecretSource, fileOverride: String? = nil) throws(TokenError) -> LockedSecret? {
        defer { scrubEnvironment(source.variable) }
        let fromEnvironment = environmentValue(source.variable).flatMap { $0.pointee == 0 ? nil : $0 }
        let filePath = fileOverride ?? environmentValue(source.fileVariable).map { String(cString: $0) }
        if let filePath, !filePath.isEmpty {
            if fromEnvironment != nil { throw .bothSet(source) }
            return try load(fromFile: filePath, key: source.fileVariable)
        }
        guard let fromEnvironment else { return nil }
        return try LockedSecret { buffer throws(TokenError) in
            let length = strlen(fromEnvironment)
            guard length <= buffer.count else { throw .tooLong(source: source.variable, limit: LockedSecret.capacity) }
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: fromEnvironment, count: length))
            return try validatedLength(buffer, length, source: source.variable)
        }
    }

    /// Loads a secret from a file (its trailing newline dropped); `key` names it in errors.
    public static func load(fromFile path: String, key: String = SecretSource.githubToken.fileVariable) throws(TokenError) -> LockedSecret {
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
            let total = try readAll(descriptor, into: buffer, path: path, key: key)
            if total == buffer.count { throw .tooLong(source: key, limit: LockedSecret.capacity) }
            return try validatedLength(buffer, total, source: key)
        }
    }

    /// Reads until end of file or until `buffer` is full; returns the number of bytes read.
    private static func readAll(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String, key: String) throws(TokenError) -> Int {
        var total = 0
        while total < buffer.count {
            let count: Int
            do {
                count = try retryingSyscall("read") { read(descriptor, buffer.baseAddress.map { $0 + total }, buffer.count - total) }
            } catch {
                throw .unreadableFile(key: key, path: path, error)
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
