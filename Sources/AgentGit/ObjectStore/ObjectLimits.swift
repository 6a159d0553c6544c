/// Bounds on what the agent reads from a workspace's object database, so that no repository can
/// make it allocate or work without end.
public struct ObjectLimits: Hashable, Sendable {
    /// The largest object served, read from its header before any byte is inflated. GitHub
    /// refuses files over 100 MiB; git's own `core.bigFileThreshold` is 512 MiB.
    public var maximumObjectSize: Int
    /// The longest chain of deltas followed to rebuild one object (git writes at most 50;
    /// `pack.depth` may be set up to 4095).
    public var maximumDeltaChain: Int
    /// Memory for rebuilt delta bases kept for reuse (recently rebuilt ones, whatever their
    /// size, as git's `core.deltaBaseCacheLimit`).
    public var deltaBaseCacheBytes: Int
    /// Bytes one operation may produce by applying deltas whatever it has read: a long chain of
    /// large deltas read in an unlucky order is rebuilt from its base on every read; this (with
    /// `rebuiltBytesPerByteRead`) ends such work long before the operation's deadline.
    public var maximumRebuiltBytes: Int
    /// Bytes one operation may rebuild in addition, per byte of objects it has read (see
    /// `RebuildBudget`).
    public var rebuiltBytesPerByteRead: Int
    /// Memory for pack index tables kept for fast lookups, over all packs (beyond it, indexes are
    /// searched with reads).
    public var indexMemoryBytes: Int

    public init(
        maximumObjectSize: Int = 100 << 20,
        maximumDeltaChain: Int = 10_000,
        deltaBaseCacheBytes: Int = 32 << 20,
        maximumRebuiltBytes: Int = 8 << 30,
        rebuiltBytesPerByteRead: Int = 16,
        indexMemoryBytes: Int = 128 << 20
    ) {
        self.maximumObjectSize = maximumObjectSize
        self.maximumDeltaChain = maximumDeltaChain
        self.deltaBaseCacheBytes = deltaBaseCacheBytes
        self.maximumRebuiltBytes = maximumRebuiltBytes
        self.rebuiltBytesPerByteRead = rebuiltBytesPerByteRead
        self.indexMemoryBytes = indexMemoryBytes
    }
}

/// Recently rebuilt objects, kept to rebuild the deltas based on them: a byte budget, oldest
/// entries dropped first. Any object that fits the budget is kept, however large: a chain of
/// large deltas read link after link then costs one delta per read, not the whole chain.
struct DeltaBaseCache {
    struct Key: Hashable {
        let pack: Int
        let offset: Int64
    }

    private var entries: [Key: (kind: ObjectKind, bytes: [UInt8])] = [:]
    private var order: [Key] = []
    private var head = 0
    private var bytes = 0
    let budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    func get(_ key: Key) -> (kind: ObjectKind, bytes: [UInt8])? { entries[key] }

    mutating func put(_ key: Key, kind: ObjectKind, bytes value: [UInt8]) {
        guard value.count <= budget, entries[key] == nil else { return }
        while bytes + value.count > budget, head < order.count {
            if let removed = entries.removeValue(forKey: order[head]) { bytes -= removed.bytes.count }
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        entries[key] = (kind, value)
        order.append(key)
        bytes += value.count
    }
}
