#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The capabilities this process holds, for a clear line at start when the agent runs as
/// another user than the workspace's owner and could not write there or hand over what it
/// writes.
public enum ProcessCapabilities {
    /// `CAP_CHOWN`: give files to another owner.
    public static let chown = 0
    /// `CAP_DAC_OVERRIDE`: read and write files whatever their permission bits.
    public static let overrideFilePermissions = 1

    /// Whether capability number `bit` is in the effective set (`CapEff:` in
    /// `/proc/self/status`); `false` when that cannot be read. Calls `open`, `read`.
    public static func effectiveIncludes(bit: Int) -> Bool {
        guard let mask = effectiveMask() else { return false }
        return mask & (1 << UInt64(bit)) != 0
    }

    /// The `CapEff:` line of `/proc/self/status` as a number.
    static func effectiveMask() -> UInt64? {
        let descriptor = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingPrefix(while: \.isWhitespace), radix: 16)
        }
        return nil
    }
}
