import AgentSystem
import Synchronization

/// A pack's `.idx` file (version 2), read with positioned reads, never mapped. The 1 KiB fan-out
/// table is kept in memory; so are the id and offset tables when they take at most
/// `memoryLimit` and the operation's `IndexMemoryBudget` has room (read once, on the first
/// lookup); otherwise the index is searched with reads.
///
/// Layout (`Documentation/gitformat-pack.txt`): magic `\377tOc`, version 2, 256 fan-out counts,
/// N ids (sorted), N CRCs, N 4-byte offsets (top bit set: index into the 8-byte table), the 8-byte
/// offsets, the pack's checksum, the index's checksum. The size must match that layout exactly.
final class PackIndex {
    let file: ContainedFile
    let count: Int
    let packChecksum: [UInt8]
    private let fanout: [Int]
    private let largeOffsetCount: Int
    private enum TableState {
        case undecided
        case inMemory(ids: [UInt8], offsets: [UInt8])
        case searchedWithReads
    }

    /// The ids (20 bytes each) and 4-byte offsets, once read.
    private let tables = Mutex(TableState.undecided)
    private let budget: IndexMemoryBudget

    /// The most memory the id and offset tables of one index may take (24 bytes an object).
    static let memoryLimit = 64 << 20

    private static let headerSize = 8
    private static let fanoutSize = 256 * 4
    private static let idsStart = Int64(headerSize + fanoutSize)
    /// Ids read at once when a fan-out bucket is small enough.
    private static let rangeReadLimit = 512

    init(file: ContainedFile, size: Int64, budget: IndexMemoryBudget) throws(ObjectStoreError) {
        self.file = file
        self.budget = budget
        let minimum = Int64(Self.headerSize + Self.fanoutSize + 2 * RawObjectID.byteCount)
        guard size >= minimum else { throw .corrupt(path: file.displayPath, problem: "it is too short for a pack index") }
        var header = [UInt8](repeating: 0, count: Self.headerSize + Self.fanoutSize)
        try Self.readExactly(file, into: &header, at: 0)
        guard Array(header[0..<4]) == [0xFF, 0x74, 0x4F, 0x63] else {
            throw .corrupt(path: file.displayPath, problem: "it is not a version 2 pack index (git writes version 2 since 2007)")
        }
        guard Self.uint32(header, 4) == 2 else { throw .corrupt(path: file.displayPath, problem: "unsupported pack index version") }
        var fanout: [Int] = []
        fanout.reserveCapacity(256)
        for bucket in 0..<256 {
            let value = Self.uint32(header, Self.headerSize + 4 * bucket)
            guard value >= (fanout.last ?? 0) else { throw .corrupt(path: file.displayPath, problem: "its fan-out table is not sorted") }
            fanout.append(value)
        }
        count = fanout[255]
        let fixed = minimum + Int64(count) * 28
        guard size >= fixed, (size - fixed) % 8 == 0, (size - fixed) / 8 <= Int64(count) else {
            throw .corrupt(path: file.displayPath, problem: "its size does not match the \(count) objects it lists")
        }
        largeOffsetCount = Int((size - fixed) / 8)
        self.fanout = fanout
        var trailer = [UInt8](repeating: 0, count: RawObjectID.byteCount)
        try Self.readExactly(file, into: &trailer, at: size - Int64(2 * RawObjectID.byteCount))
        packChecksum = trailer
    }

    /// The position of `id` in the index, or `nil`.
    func position(of id: RawObjectID) throws(ObjectStoreError) -> Int? {
        let (low, high) = bucket(id.firstByte)
        let first = try firstPosition(notBelow: id, from: low, to: high)
        guard first < high, try self.id(at: first) == id else { return nil }
        return first
    }

    /// Up to `limit` ids that start with the first `hexDigits` digits of `prefix`.
    func ids(withPrefix prefix: RawObjectID, hexDigits: Int, limit: Int) throws(ObjectStoreError) -> [RawObjectID] {
        let (low, high) = bucket(prefix.firstByte)
        var position = try firstPosition(notBelow: prefix, from: low, to: high)
        var found: [RawObjectID] = []
        while position < high, found.count < limit {
            let candidate = try id(at: position)
            guard candidate.hasPrefix(prefix, hexDigits: hexDigits) else { break }
            found.append(candidate)
            position += 1
        }
        return found
    }

    /// The tables in memory (read on first use), or `nil` for an index too large to keep.
    private func memoryTables() throws(ObjectStoreError) -> (ids: [UInt8], offsets: [UInt8])? {
        switch tables.withLock({ $0 }) {
        case .inMemory(let ids, let offsets): return (ids, offsets)
        case .searchedWithReads: return nil
        case .undecided: break
        }
        guard count * 24 <= Self.memoryLimit, budget.reserve(count * 24) else {
            tables.withLock { $0 = .searchedWithReads }
            return nil
        }
        var ids = [UInt8](repeating: 0, count: count * 20)
        try Self.readExactly(file, into: &ids, at: Self.idsStart)
        var offsets = [UInt8](repeating: 0, count: count * 4)
        try Self.readExactly(file, into: &offsets, at: Self.idsStart + Int64(count) * 24)
        tables.withLock { state in
            if case .undecided = state { state = .inMemory(ids: ids, offsets: offsets) } else { budget.release(count * 24) }
        }
        return (ids, offsets)
    }

    /// The id at `position` (0 ..< count).
    func id(at position: Int) throws(ObjectStoreError) -> RawObjectID {
        if let tables = try memoryTables() { return tables.ids.withUnsafeBytes { RawObjectID($0, at: position * 20) } }
        var bytes = [UInt8](repeating: 0, count: RawObjectID.byteCount)
        try Self.readExactly(file, into: &bytes, at: Self.idsStart + Int64(position) * 20)
        return bytes.withUnsafeBytes { RawObjectID($0) }
    }

    /// Where the object at `position` starts in the pack.
    func packOffset(at position: Int) throws(ObjectStoreError) -> Int64 {
        let value: Int
        if let tables = try memoryTables() {
            value = Self.uint32(tables.offsets, position * 4)
        } else {
            var bytes = [UInt8](repeating: 0, count: 4)
            try Self.readExactly(file, into: &bytes, at: Self.idsStart + Int64(count) * 24 + Int64(position) * 4)
            value = Self.uint32(bytes, 0)
        }
        guard value & 0x8000_0000 != 0 else { return Int64(value) }
        let large = value & 0x7FFF_FFFF
        guard large < largeOffsetCount else { throw .corrupt(path: file.displayPath, problem: "an offset points past its table") }
        var wide = [UInt8](repeating: 0, count: 8)
        try Self.readExactly(file, into: &wide, at: Self.idsStart + Int64(count) * 28 + Int64(large) * 8)
        let offset = wide.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard offset < UInt64(Int64.max) else { throw .corrupt(path: file.displayPath, problem: "an offset is out of range") }
        return Int64(offset)
    }

    private func bucket(_ firstByte: Int) -> (Int, Int) {
        (firstByte == 0 ? 0 : fanout[firstByte - 1], fanout[firstByte])
    }

    /// The first position in `low ..< high` whose id is not below `id` (binary search; a small
    /// range is read in one go).
    private func firstPosition(notBelow id: RawObjectID, from low: Int, to high: Int) throws(ObjectStoreError) -> Int {
        if let tables = try memoryTables() {
            return tables.ids.withUnsafeBytes { raw in Self.firstPosition(notBelow: id, in: raw, from: low, to: high) }
        }
        var low = low
        var high = high
        while high - low > Self.rangeReadLimit {
            let middle = low + (high - low) / 2
            if try self.id(at: middle) < id { low = middle + 1 } else { high = middle }
        }
        guard high > low else { return low }
        var bytes = [UInt8](repeating: 0, count: (high - low) * 20)
        try Self.readExactly(file, into: &bytes, at: Self.idsStart + Int64(low) * 20)
        return bytes.withUnsafeBytes { raw in low + Self.firstPosition(notBelow: id, in: raw, from: 0, to: high - low) }
    }

    /// Binary search over ids laid out 20 bytes apart in `raw`.
    private static func firstPosition(notBelow id: RawObjectID, in raw: UnsafeRawBufferPointer, from low: Int, to high: Int) -> Int {
        var first = low
        var last = high
        while first < last {
            let middle = first + (last - first) / 2
            if RawObjectID(raw, at: middle * 20) < id { first = middle + 1 } else { last = middle }
        }
        return first
    }

    static func readExactly(_ file: ContainedFile, into bytes: inout [UInt8], at offset: Int64) throws(ObjectStoreError) {
        let count: Int
        do {
            count = try bytes.withMutableBytes { (raw) throws(ContainedFileError) -> Int in try file.read(into: raw, at: offset) }
        } catch {
            throw .file(error)
        }
        guard count == bytes.count else { throw .corrupt(path: file.displayPath, problem: "it is shorter than its header says") }
    }

    static func uint32(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }
}

/// Memory one operation may spend on pack index tables, across all its packs (a workspace can
/// hold many large, sparse index files).
final class IndexMemoryBudget: Sendable {
    private let remaining: Mutex<Int>

    init(bytes: Int) {
        remaining = Mutex(bytes)
    }

    func reserve(_ bytes: Int) -> Bool {
        remaining.withLock { remaining in
            guard bytes <= remaining else { return false }
            remaining -= bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        remaining.withLock { $0 += bytes }
    }
}
