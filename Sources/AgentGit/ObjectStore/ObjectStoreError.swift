import AgentSystem

/// Why an object could not be served from a workspace's object database. Names paths and ids,
/// never the content of a file.
public enum ObjectStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(String)
    /// A short id names more than one object.
    case ambiguous(prefix: String)
    /// An object larger than the limit (its size read from its header, before inflating it).
    case tooLarge(id: String, size: Int, limit: Int)
    /// A file that is not what git writes (a broken pack, index or loose object).
    case corrupt(path: String, problem: String)
    case file(ContainedFileError)
    /// The operation's deadline passed or it was cancelled.
    case stopped(String)
    /// Rebuilding objects from deltas took more than the operation's budget of bytes (`limit`,
    /// given the `read` bytes of objects read so far).
    case tooMuchRebuilding(limit: Int, read: Int)

    public var description: String {
        switch self {
        case .notFound(let id): "object \(id) is not in the repository"
        case .ambiguous(let prefix): "the short id \(prefix) names more than one object"
        case .tooLarge(let id, let size, let limit):
            "object \(id) is \(ByteCount(size)), larger than the \(ByteCount(limit)) an object may be"
        case .corrupt(let path, let problem): "\(path) is not a valid git file: \(problem)"
        case .file(let error) where error.kind == .escapes: "\(error.path) leads outside the workspace (a link or '..')"
        case .file(let error): error.description
        case .stopped(let reason): reason
        case .tooMuchRebuilding(let limit, let read):
            "rebuilding objects from their deltas took more than \(ByteCount(limit)) for \(ByteCount(read)) of objects read "
                + "(long chains of large deltas); repack the repository with shorter chains ('git repack -a -d -f --depth=50')"
        }
    }
}

/// A byte count as people read it: `100 MiB`, `2 GiB`, `512 bytes`.
public struct ByteCount: CustomStringConvertible, Sendable {
    public let value: Int

    public init(_ value: Int) {
        self.value = value
    }

    public var description: String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where value >= size {
            let whole = value / size
            let tenths = (value % size) * 10 / size
            return tenths == 0 ? "\(whole) \(name)" : "\(whole).\(tenths) \(name)"
        }
        return "\(value) bytes"
    }
}
