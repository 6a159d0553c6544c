import AgentSystem
import Synchronization

/// The objects of a workspace repository, served by the agent itself from files it opened
/// beneath the workspace root: packs and loose objects of the repository's object directory and
/// of every alternate. Never maps a file, never follows a link out, and checks every size before
/// allocating. libgit2 reaches it through `ObjectBackend` and checks each object's hash itself.
///
/// Deliberately ignored: `objects/info/commit-graph`, `multi-pack-index` and every other cache;
/// they could claim anything.
final class WorkspaceObjectStore {
    /// One object directory: its loose objects and its packs.
    struct Directory {
        let loose: LooseObjects
        let packs: [PackFile]
    }

    enum Location {
        case packed(PackFile, Int64)
        case loose(LooseObjects.Opened)
    }

    let directories: [Directory]
    let limits: ObjectLimits
    let control: OperationControl?
    private let cache: Mutex<DeltaBaseCache>
    /// The kind of each pack entry whose delta chain was walked (a delta has its base's kind).
    private let kinds = Mutex<[DeltaBaseCache.Key: ObjectKind]>([:])
    private static let kindCacheLimit = 1 << 20
    /// Rebuilt objects up to this size are kept too: libgit2 reads each object it packs twice.
    private static let rebuiltObjectCacheLimit = 64 * 1024
    private let packs: [PackFile]
    /// Bytes rebuilt from deltas and bytes of objects read so far, and what is allowed.
    private let rebuildBudget: Mutex<RebuildBudget>

    init(directories: [Directory], limits: ObjectLimits, control: OperationControl?) {
        self.directories = directories
        self.limits = limits
        self.control = control
        self.cache = Mutex(DeltaBaseCache(budget: limits.deltaBaseCacheBytes))
        self.rebuildBudget = Mutex(RebuildBudget(allowance: limits.maximumRebuiltBytes, perByteRead: limits.rebuiltBytesPerByteRead))
        self.packs = directories.flatMap(\.packs)
    }

    /// Where `id` is stored (a loose object opened, its header read), or `nil`.
    func locate(_ id: RawObjectID) throws(ObjectStoreError) -> Location? {
        try control?.check()
        for pack in packs {
            if let offset = try pack.offset(of: id) { return .packed(pack, offset) }
        }
        for directory in directories {
            if let opened = try directory.loose.open(id) { return .loose(opened) }
        }
        return nil
    }

    func contains(_ id: RawObjectID) throws(ObjectStoreError) -> Bool {
        try control?.check()
        for pack in packs where try pack.offset(of: id) != nil { return true }
        for directory in directories where try directory.loose.contains(id) { return true }
        return false
    }

    /// The object's kind and size, from headers only.
    func header(_ id: RawObjectID) throws(ObjectStoreError) -> (kind: ObjectKind, size: Int) {
        switch try locate(id) {
        case .none:
            throw .notFound(id.hex)
        case .loose(let opened):
            return (opened.kind, opened.size)
        case .packed(let pack, let offset):
            return try packedHeader(pack, offset)
        }
    }

    /// Rebuilds the object into a buffer from `allocate` (called once, with its exact size).
    /// - Throws: `.tooLarge` before allocating anything larger than the limit.
    func read(
        _ id: RawObjectID,
        allocate: (Int) -> UnsafeMutableRawBufferPointer?
    ) throws(ObjectStoreError) -> ObjectKind {
        var size = 0
        let kind = try readUncounted(id) { count in
            size = count
            return allocate(count)
        }
        rebuildBudget.withLock { $0.delivered(size) }
        return kind
    }

    private func readUncounted(
        _ id: RawObjectID,
        allocate: (Int) -> UnsafeMutableRawBufferPointer?
    ) throws(ObjectStoreError) -> ObjectKind {
        switch try locate(id) {
        case .none:
            throw .notFound(id.hex)
        case .loose(let opened):
            try checkSize(opened.size, id)
            guard let output = allocate(opened.size) else { throw .stopped("out of memory") }
            try Self.fill(output, from: opened)
            return opened.kind
        case .packed(let pack, let offset):
            return try readPacked(pack, offset, id: id, allocate: allocate)
        }
    }

    /// The unique object whose id starts with the first `hexDigits` digits of `prefix`.
    func resolve(prefix: RawObjectID, hexDigits: Int) throws(ObjectStoreError) -> RawObjectID {
        var found: Set<RawObjectID> = []
        for pack in packs { found.formUnion(try pack.index.ids(withPrefix: prefix, hexDigits: hexDigits, limit: 2)) }
        for directory in directories { found.formUnion(try directory.loose.ids(withPrefix: prefix, hexDigits: hexDigits, limit: 2)) }
        guard found.count <= 1 else { throw .ambiguous(prefix: String(prefix.hex.prefix(hexDigits))) }
        guard let id = found.first else { throw .notFound(String(prefix.hex.prefix(hexDigits))) }
        return id
    }

    // MARK: - Packs

    private func packedHeader(_ pack: PackFile, _ offset: Int64) throws(ObjectStoreError) -> (kind: ObjectKind, size: Int) {
        let first = try pack.entry(at: offset)
        var size = first.size
        if case .whole = first.representation {} else { size = try deltaHeader(pack, first).resultSize }
        var current = (pack, first)
        var walked: [DeltaBaseCache.Key] = []
        for _ in 0...limits.maximumDeltaChain {
            let key = DeltaBaseCache.Key(pack: current.0.number, offset: current.1.offset)
            var kind = kinds.withLock { $0[key] }
            switch current.1.representation {
            case .whole(let whole):
                kind = whole
            case .offsetDelta(let base):
                if kind == nil { current = (current.0, try current.0.entry(at: base)) }
            case .referenceDelta(let base):
                if kind == nil {
                    switch try locateBase(base, preferring: current.0) {
                    case .packed(let basePack, let baseOffset): current = (basePack, try basePack.entry(at: baseOffset))
                    case .loose(let opened): kind = opened.kind
                    }
                }
            }
            if let kind {
                kinds.withLock { kinds in
                    if kinds.count + walked.count > Self.kindCacheLimit { kinds.removeAll() }
                    for key in walked { kinds[key] = kind }
                }
                return (kind, size)
            }
            walked.append(key)
        }
        throw .corrupt(path: pack.file.displayPath, problem: "a delta chain is longer than \(limits.maximumDeltaChain)")
    }

    private func readPacked(
        _ pack: PackFile,
        _ offset: Int64,
        id: RawObjectID,
        allocate: (Int) -> UnsafeMutableRawBufferPointer?
    ) throws(ObjectStoreError) -> ObjectKind {
        var chain: [(pack: PackFile, entry: PackFile.Entry)] = []
        var current = (pack: pack, offset: offset)
        var base: (kind: ObjectKind, bytes: [UInt8])
        while true {
            try control?.check()
            guard chain.count <= limits.maximumDeltaChain else {
                throw .corrupt(path: pack.file.displayPath, problem: "a delta chain is longer than \(limits.maximumDeltaChain)")
            }
            if let cached = cache.withLock({ $0.get(.init(pack: current.pack.number, offset: current.offset)) }) {
                if chain.isEmpty {
                    // Rebuilt before (libgit2 reads an object to search deltas, then to write it).
                    try checkSize(cached.bytes.count, id)
                    guard let output = allocate(cached.bytes.count) else { throw .stopped("out of memory") }
                    cached.bytes.withUnsafeBytes { output.copyMemory(from: $0) }
                    return cached.kind
                }
                base = cached
                break
            }
            let entry = try current.pack.entry(at: current.offset)
            switch entry.representation {
            case .whole(let kind):
                if chain.isEmpty {
                    try checkSize(entry.size, id)
                    guard let output = allocate(entry.size) else { throw .stopped("out of memory") }
                    try current.pack.stream(for: entry).readExactly(into: output, mustEnd: true)
                    return kind
                }
                base = (kind, try inflate(current.pack, entry))
            case .offsetDelta(let baseOffset):
                chain.append((current.pack, entry))
                current = (current.pack, baseOffset)
                continue
            case .referenceDelta(let baseID):
                chain.append((current.pack, entry))
                switch try locateBase(baseID, preferring: current.pack) {
                case .packed(let basePack, let baseOffset):
                    current = (basePack, baseOffset)
                    continue
                case .loose(let opened):
                    try checkSize(opened.size, baseID)
                    var bytes = [UInt8](repeating: 0, count: opened.size)
                    try bytes.withMutableBytes { (raw) throws(ObjectStoreError) in try Self.fill(raw, from: opened) }
                    base = (opened.kind, bytes)
                }
            }
            break
        }
        for (step, link) in chain.reversed().enumerated() {
            try control?.check()
            let delta = try inflate(link.pack, link.entry, slack: true)
            let isLast = step == chain.count - 1
            let result: [UInt8]? = try delta.withBytes { (deltaBytes) throws(ObjectStoreError) -> [UInt8]? in
                let header = try deltaHeader(deltaBytes, link.pack)
                try checkSize(header.resultSize, id)
                try rebuildBudget.withLock { (budget) throws(ObjectStoreError) in try budget.rebuilding(header.resultSize) }
                return try base.bytes.withBytes { (baseBytes) throws(ObjectStoreError) -> [UInt8]? in
                    if isLast {
                        guard let output = allocate(header.resultSize) else { throw .stopped("out of memory") }
                        try apply(deltaBytes, header, baseBytes, output, link.pack)
                        if header.resultSize <= Self.rebuiltObjectCacheLimit {
                            let copy = [UInt8](UnsafeRawBufferPointer(output))
                            cache.withLock { $0.put(.init(pack: link.pack.number, offset: link.entry.offset), kind: base.kind, bytes: copy) }
                        }
                        return nil
                    }
                    var bytes = [UInt8](repeating: 0, count: header.resultSize)
                    try bytes.withMutableBytes { (output) throws(ObjectStoreError) in try apply(deltaBytes, header, baseBytes, output, link.pack) }
                    return bytes
                }
            }
            guard let result else { return base.kind }
            base = (base.kind, result)
            cache.withLock { $0.put(.init(pack: link.pack.number, offset: link.entry.offset), kind: base.kind, bytes: result) }
        }
        return base.kind
    }

    /// A delta's base: in the same pack when it is there (as git writes them), else anywhere.
    private func locateBase(_ id: RawObjectID, preferring pack: PackFile) throws(ObjectStoreError) -> Location {
        if let offset = try pack.offset(of: id) { return .packed(pack, offset) }
        guard let location = try locate(id) else {
            throw .corrupt(path: pack.file.displayPath, problem: "a delta's base object \(id.hex) is missing")
        }
        return location
    }

    /// The sizes at the start of a delta entry, inflating only its first bytes.
    private func deltaHeader(_ pack: PackFile, _ entry: PackFile.Entry) throws(ObjectStoreError) -> Delta.Header {
        var bytes = [UInt8](repeating: 0, count: min(entry.size, 20))
        let count = try bytes.withMutableBytes { (raw) throws(ObjectStoreError) -> Int in try pack.stream(for: entry).read(into: raw) }
        return try bytes[0..<count].withBytes { (raw) throws(ObjectStoreError) -> Delta.Header in try deltaHeader(raw, pack) }
    }

    private func deltaHeader(_ delta: UnsafeRawBufferPointer, _ pack: PackFile) throws(ObjectStoreError) -> Delta.Header {
        do { return try Delta.header(delta) } catch {
            throw .corrupt(path: pack.file.displayPath, problem: "a delta header is malformed")
        }
    }

    private func apply(
        _ delta: UnsafeRawBufferPointer,
        _ header: Delta.Header,
        _ base: UnsafeRawBufferPointer,
        _ output: UnsafeMutableRawBufferPointer,
        _ pack: PackFile
    ) throws(ObjectStoreError) {
        do { try Delta.apply(delta, header: header, to: base, into: output) } catch {
            switch error {
            case .malformed(let problem): throw .corrupt(path: pack.file.displayPath, problem: problem)
            }
        }
    }

    /// Inflates one whole entry (an object or a delta) into memory, its size checked first.
    /// Delta data may be slightly larger than the object it builds (insert instructions).
    private func inflate(_ pack: PackFile, _ entry: PackFile.Entry, slack: Bool = false) throws(ObjectStoreError) -> [UInt8] {
        let limit = slack ? limits.maximumObjectSize + limits.maximumObjectSize / 64 + 1024 : limits.maximumObjectSize
        guard entry.size <= limit else { throw .tooLarge(id: "at offset \(entry.offset) of \(pack.file.displayPath)", size: entry.size, limit: limit) }
        var bytes = [UInt8](repeating: 0, count: entry.size)
        try bytes.withMutableBytes { (raw) throws(ObjectStoreError) in try pack.stream(for: entry).readExactly(into: raw, mustEnd: true) }
        return bytes
    }

    private func checkSize(_ size: Int, _ id: RawObjectID) throws(ObjectStoreError) {
        guard size <= limits.maximumObjectSize else { throw .tooLarge(id: id.hex, size: size, limit: limits.maximumObjectSize) }
    }

    /// Copies a loose object's content (what came with the header, then the rest of the stream).
    private static func fill(_ output: UnsafeMutableRawBufferPointer, from opened: LooseObjects.Opened) throws(ObjectStoreError) {
        let early = min(opened.leftover.count, output.count)
        guard opened.leftover.count <= output.count else {
            throw .corrupt(path: opened.path, problem: "it is longer than its header says")
        }
        opened.leftover.withUnsafeBytes { source in
            output.baseAddress.map { target in source.baseAddress.map { target.copyMemory(from: $0, byteCount: early) } }
        }
        if early < output.count {
            try opened.stream.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: output[early...]), mustEnd: true)
        } else if !opened.stream.hasEnded {
            try opened.stream.expectEnd()
        }
    }
}
