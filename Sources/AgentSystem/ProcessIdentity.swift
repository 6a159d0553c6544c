#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Facts about the running process.
public enum ProcessIdentity {
    public static var userID: UInt32 { getuid() }

    /// The agent's process id. Calls `getpid`.
    public static var processID: Int32 { getpid() }

    /// The environment as a dictionary. Call it only after `TokenLoader.load` has scrubbed the
    /// token, so that no `String` copy of it is made.
    public static func environment() -> [String: String] {
        var result: [String: String] = [:]
        let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var entry = table else { return result }
        while let pointer = entry.pointee {
            entry += 1
            guard let equals = strchr(pointer, Int32(UInt8(ascii: "="))) else { continue }
            let nameLength = pointer.distance(to: equals)
            let name = String(decoding: UnsafeRawBufferPointer(start: pointer, count: nameLength), as: UTF8.self)
            if result[name] == nil { result[name] = String(cString: equals + 1) }
        }
        return result
    }
}

extension ProcessIdentity {
    /// The current working directory (`getcwd`), or `nil` when it cannot be read.
    public static func currentDirectory() -> String? {
        guard let path = getcwd(nil, 0) else { return nil }
        defer { free(path) }
        return String(cString: path)
    }
}

/// Ends the process with `status` (`exit`).
public func exit(status: Int32) -> Never {
    exit(status)
}
