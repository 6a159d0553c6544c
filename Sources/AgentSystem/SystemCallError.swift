#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed system call: which call, and the errno it left.
public struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `strerror` text for the errno.
    public var reason: String { SystemCallError.describe(errno) }

    public var description: String { "\(call): \(reason) (errno \(errno))" }

    /// `strerror(errno)`, read without force-unwrapping.
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Runs a system call that returns -1 on failure, reading errno at once and retrying `EINTR`.
///
/// `@inline(never)` keeps ARC traffic from running between the call and the errno read.
/// Never use it for `close`, which must not be retried.
@inline(never)
@discardableResult
func retryingSyscall<Result: BinaryInteger>(
    _ name: String,
    _ body: () -> Result
) throws(SystemCallError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemCallError(call: name, errno: code)
    }
}
