#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A file that lines are appended to, such as the audit log: `O_APPEND`, so that each `write`
/// lands whole at the end even when another process appends too.
///
/// `@unchecked Sendable`: the descriptor never changes after `init`; callers serialise writes
/// (the audit log holds a `Mutex`).
public final class AppendOnlyFile: @unchecked Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Standard output.
    public static let standardOutput = AppendOnlyFile(descriptor: 1)
    /// Standard error.
    public static let standardError = AppendOnlyFile(descriptor: 2)

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        self.ownsDescriptor = false
    }

    /// Opens (creating with mode 0600) `path` for appending. Calls `open(O_WRONLY|O_APPEND|O_CREAT)`.
    public init(path: String) throws(SystemCallError) {
        self.descriptor = try retryingSyscall("open") {
            open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, mode_t(0o600))
        }
        self.ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes all of `bytes`; a failure is reported, not thrown, since a log line is not worth
    /// stopping the agent for.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
