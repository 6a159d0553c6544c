import CAgentShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The token's one home: a page-aligned anonymous mapping that is `mlock`ed (never swapped),
/// marked `MADV_DONTDUMP` (never in a core file), zeroed on `wipe()` and on deinit.
///
/// Its bytes are reachable only inside `withUnsafeBytes` / `withCString`; `description` is
/// `<redacted>`, so that an accidental interpolation prints nothing secret.
///
/// `@unchecked Sendable`: the bytes are written once, inside `init`, and only read afterwards; the
/// owner calls `wipe()` only after every user has stopped (at shutdown).
public final class LockedSecret: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Largest secret accepted; a GitHub token is under 100 bytes.
    public static let capacity = 4096 - 1

    private let base: UnsafeMutableRawPointer
    private let mappingLength: Int
    /// Number of secret bytes; a NUL follows them.
    public let count: Int
    /// Whether `mlock` succeeded. When it did not, `lockFailure` says why.
    public let isLocked: Bool
    public let lockFailure: SystemCallError?

    /// Creates the mapping and lets `fill` write at most `capacity` bytes into it.
    /// - Parameter fill: writes the secret into the buffer and returns its length.
    /// - Throws: `SystemCallError` when the mapping cannot be made; rethrows `fill`'s error.
    public init(
        filling fill: (UnsafeMutableRawBufferPointer) throws(TokenError) -> Int
    ) throws(TokenError) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = max(pageSize, 4096)
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapping != MAP_FAILED
        else {
            throw .memory(source: "the secret", SystemCallError(call: "mmap", errno: errno))
        }
        var lockError: SystemCallError?
        if mlock(mapping, length) != 0 { lockError = SystemCallError(call: "mlock", errno: errno) }
        _ = agent_madvise_dontdump(mapping, length)
        let usable = UnsafeMutableRawBufferPointer(start: mapping, count: LockedSecret.capacity)
        let written: Int
        do {
            written = try fill(usable)
        } catch {
            agent_secure_zero(mapping, length)
            munmap(mapping, length)
            throw error
        }
        precondition(written >= 0 && written <= LockedSecret.capacity, "fill wrote outside the secret's buffer")
        mapping.storeBytes(of: 0, toByteOffset: written, as: UInt8.self)
        self.base = mapping
        self.mappingLength = length
        self.count = written
        self.isLocked = lockError == nil
        self.lockFailure = lockError
    }

    deinit {
        agent_secure_zero(base, mappingLength)
        if isLocked { munlock(base, mappingLength) }
        munmap(base, mappingLength)
    }

    /// Gives `body` the secret bytes (without the trailing NUL). Do not let them escape.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Gives `body` the secret as a NUL-terminated C string, for C APIs such as libgit2's.
    public func withCString<Result, Failure: Error>(
        _ body: (UnsafePointer<CChar>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafePointer(base.assumingMemoryBound(to: CChar.self)))
    }

    /// Overwrites the secret with zeros. Only at shutdown, after every reader has stopped.
    public func wipe() {
        agent_secure_zero(base, mappingLength)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
