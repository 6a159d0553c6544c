/// What the guard knows about one entry of a git directory (a hook, `info/attributes`, a `.git`
/// file…): enough to tell whether it is still what the user had.
public struct MetadataFile: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case regular, directory, symbolicLink, other
    }

    public var kind: Kind
    /// Permission bits (only the executable bits matter to git).
    public var mode: UInt32
    /// The link's text, for a symbolic link.
    public var linkTarget: [UInt8]?
    /// The bytes git would read (through links that stay in the workspace), when they were read;
    /// `nil` when the file was too large to keep or could not be read.
    public var content: [UInt8]?
    /// Device, inode, size, modification and change times of what was read: equal identities
    /// mean equal content (the change time cannot be set by the workspace's writers).
    public var identity: FileIdentity?

    public init(kind: Kind, mode: UInt32, linkTarget: [UInt8]? = nil, content: [UInt8]? = nil, identity: FileIdentity? = nil) {
        self.kind = kind
        self.mode = mode
        self.linkTarget = linkTarget
        self.content = content
        self.identity = identity
    }

    var isExecutable: Bool { mode & 0o111 != 0 }

    /// Whether `current` is still what `self` (the baseline) was: same kind, same link text, same
    /// executable bits, and the same bytes (compared, or vouched for by an unchanged identity).
    public func isUnchanged(_ current: MetadataFile) -> Bool {
        guard kind == current.kind, linkTarget == current.linkTarget, isExecutable == current.isExecutable else { return false }
        if let identity, identity == current.identity { return true }
        // A directory, or a link whose target is outside the workspace (unreadable here and
        // unwritable for the session): only its kind and link text can change.
        if identity == nil, current.identity == nil, content == nil, current.content == nil { return true }
        guard let content, let currentContent = current.content else { return false }
        return content == currentContent
    }
}

/// Which file an entry is, and when it last changed: device, inode, size, mtime and ctime.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modified: Int64
    public let modifiedNanoseconds: Int
    public let changed: Int64
    public let changedNanoseconds: Int

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64, modifiedNanoseconds: Int, changed: Int64, changedNanoseconds: Int) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changed = changed
        self.changedNanoseconds = changedNanoseconds
    }
}

/// Decisions on the files of a git directory that git runs or follows, compared with the
/// baseline: hooks, `info/attributes`, `commondir`, legacy `remotes/` and `branches/` files, and
/// a `.git` that is a file or a link.
public enum MetadataReview {
    /// What a guarded entry is, for the reason text.
    public enum Role: Hashable, Sendable {
        /// A file in `hooks/`: a new `*.sample` (never run by git, written by `git init`) is kept.
        case hook
        /// Another file git reads: attributes, `commondir`, legacy remotes, a `.git` file or link.
        case metadata(String)
    }

    /// - Parameters:
    ///   - name: the entry's name (for `*.sample`).
    ///   - baseline: what was there when the agent started, `nil` if nothing.
    ///   - current: what is there now.
    public static func verdict(name: String, role: Role, baseline: MetadataFile?, current: MetadataFile) -> GuardVerdict {
        if let baseline {
            if baseline.isUnchanged(current) { return .keep }
            return .quarantine("\(what(role)) changed since the session started")
        }
        if role == .hook, name.hasSuffix(".sample"), current.kind == .regular { return .keep }
        return .quarantine("\(what(role)) is new: git would \(role == .hook ? "run" : "follow") it")
    }

    private static func what(_ role: Role) -> String {
        switch role {
        case .hook: "a hook"
        case .metadata(let description): description
        }
    }
}
