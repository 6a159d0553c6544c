/// Bounds on what the agent reads of a workspace repository's layout. Every file is refused
/// when larger, before a byte of it is read (its size comes from `fstat`).
public struct WorkspaceLimits: Hashable, Sendable {
    /// `HEAD`, a loose ref, `commondir`.
    public var smallFile = 4 * 1024
    /// `packed-refs` (about 60 bytes a ref: room for half a million).
    public var packedReferences = 32 << 20
    /// `objects/info/alternates`, each.
    public var alternatesFile = 64 * 1024
    /// Alternates of alternates, as deep as git follows them.
    public var alternateDepth = 5
    /// Entries read from all `alternates` files together, missing and repeated ones included
    /// (a repository has a handful; git has no limit).
    public var alternatesEntries = 1_000
    /// Object directories in all (the repository's own and its alternates).
    public var objectDirectories = 64
    /// Packs in all object directories (`git gc` keeps it near 1; `gc.autoPackLimit` is 50).
    public var packs = 512
    /// Loose and packed refs together.
    public var references = 200_000
    /// Levels of directories under `refs/`.
    public var referenceDepth = 64
    /// Entries read from one directory (`objects/pack`, a directory under `refs/`).
    public var directoryEntries = 200_000

    public init() {}
}
