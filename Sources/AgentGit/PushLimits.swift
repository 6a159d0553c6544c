/// Limits on what one push may send, checked before libgit2 packs anything.
public struct PushLimits: Hashable, Sendable {
    /// Levels of trees inside one another. libgit2's pack builder recurses once per level (on
    /// the agent's git threads, whose stacks are sized for far more than this); git's own
    /// `core.maxTreeDepth` defaults to 4096.
    public var maximumTreeDepth: Int
    /// One object's size (GitHub refuses files over 100 MiB).
    public var maximumObjectSize: Int
    /// All new objects together, uncompressed (GitHub refuses pushes over 2 GiB).
    public var maximumPushSize: Int
    /// Objects walked in all: new ones and those of the remote's trees (memory for their ids).
    public var maximumObjects: Int
    /// Bytes of the trees on one path from a root tree down (a tree and every tree above it),
    /// in the push and in the remote's trees: a walk holds all of them parsed at once (this one
    /// and libgit2's pack builder, which recurses), about twice their size in memory.
    public var maximumTreeBytesOnPath: Int

    public init(
        maximumTreeDepth: Int = 4096,
        maximumObjectSize: Int = 100 << 20,
        maximumPushSize: Int = 2 << 30,
        maximumObjects: Int = 4_000_000,
        maximumTreeBytesOnPath: Int = 128 << 20
    ) {
        self.maximumTreeDepth = maximumTreeDepth
        self.maximumObjectSize = maximumObjectSize
        self.maximumPushSize = maximumPushSize
        self.maximumObjects = maximumObjects
        self.maximumTreeBytesOnPath = maximumTreeBytesOnPath
    }
}

/// Why a push was refused before packing. Names objects by id, never by content.
public enum PushRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case treeTooDeep(tree: String, limit: Int)
    /// The trees on one path, `tree` the deepest, are larger than the limit together.
    case treesTooLarge(tree: String, size: Int, limit: Int)
    case objectTooLarge(id: String, size: Int, limit: Int)
    case pushTooLarge(size: Int, limit: Int)
    case tooManyObjects(limit: Int)
    /// An object the push needs cannot be read (missing, damaged, or refused by the store).
    case unreadable(String)

    public var code: String {
        switch self {
        case .treeTooDeep: "tree-too-deep"
        case .treesTooLarge: "trees-too-large"
        case .objectTooLarge: "object-too-large"
        case .pushTooLarge: "push-too-large"
        case .tooManyObjects: "too-many-objects"
        case .unreadable: "object-unreadable"
        }
    }

    public var description: String {
        switch self {
        case .treeTooDeep(let tree, let limit):
            "tree \(tree) nests directories more than \(limit) levels deep, more than the agent packs (git's core.maxTreeDepth)"
        case .treesTooLarge(let tree, let size, let limit):
            "tree \(tree) and the trees above it are \(ByteCount(size)) together; trees nested in one another may be at most "
                + "\(ByteCount(limit)) together (the agent holds them all at once to pack them)"
        case .objectTooLarge(let id, let size, let limit):
            "object \(id) is \(ByteCount(size)); one object may be at most \(ByteCount(limit)) (GitHub's limit for a file)"
        case .pushTooLarge(let size, let limit):
            "the push would send \(ByteCount(size)) of objects; a push may send at most \(ByteCount(limit)) (GitHub's limit)"
        case .tooManyObjects(let limit): "the push would have the agent walk more than \(limit) objects (new ones and the remote's trees)"
        case .unreadable(let reason): reason
        }
    }
}
