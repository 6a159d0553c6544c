import Foundation

/// A fresh directory under `/tmp` (short, for socket paths), removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    /// - Parameter mode: permission bits; 0755 lets other uids reach sockets inside.
    public init(prefix: String = "agent", mode: Int = 0o755) throws {
        let template = "/tmp/\(prefix).XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    public func sub(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
