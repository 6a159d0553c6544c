import AgentSystem

/// The four kinds of git object, numbered as in packs and in libgit2 (`git_object_t`).
enum ObjectKind: Int, Sendable {
    case commit = 1
    case tree = 2
    case blob = 3
    case tag = 4

    /// From a loose object's header word.
    init?(name: Substring) {
        switch name {
        case "commit": self = .commit
        case "tree": self = .tree
        case "blob": self = .blob
        case "tag": self = .tag
        default: return nil
        }
    }
}

/// One pack (`.pack` with its `.idx`), read with positioned reads only.
final class PackFile {
    /// How an entry is stored.
    enum Representation {
        case whole(ObjectKind)
        /// A delta against the entry at an earlier offset of the same pack.
        case offsetDelta(base: Int64)
        /// A delta against the object with this id (normally in the same pack).
        case referenceDelta(base: RawObjectID)
    }

    struct Entry {
        let offset: Int64
        let representation: Representation
        /// The inflated size of the object (whole) or of the delta data.
        let size: Int
        /// Where the compressed data starts.
        let dataOffset: Int64
        /// The first compressed bytes, read together with the header (saves a read per object).
        let prefetched: ArraySlice<UInt8>
    }

    /// Bytes read at an entry's start: its header and, for most objects, all their data.
    static let entryReadSize = 4096

    let index: PackIndex
    let file: ContainedFile
    let size: Int64
    /// The pack's number in its store (cache keys).
    let number: Int

    init(index: PackIndex, file: ContainedFile, size: Int64, number: Int) throws(ObjectStoreError) {
        self.index = index
        self.file = file
        self.size = size
        self.number = number
        guard size >= 32 else { throw .corrupt(path: file.displayPath, problem: "it is too short for a pack") }
        var header = [UInt8](repeating: 0, count: 12)
        try PackIndex.readExactly(file, into: &header, at: 0)
        guard Array(header[0..<4]) == Array("PACK".utf8), [2, 3].contains(PackIndex.uint32(header, 4)) else {
            throw .corrupt(path: file.displayPath, problem: "it is not a version 2 or 3 pack")
        }
        guard PackIndex.uint32(header, 8) == index.count else {
            throw .corrupt(path: file.displayPath, problem: "it holds another number of objects than its index lists")
        }
        var trailer = [UInt8](repeating: 0, count: RawObjectID.byteCount)
        try PackIndex.readExactly(file, into: &trailer, at: size - Int64(RawObjectID.byteCount))
        guard trailer == index.packChecksum else {
            throw .corrupt(path: file.displayPath, problem: "its checksum differs from the one its index records")
        }
    }

    /// The end of the entries (the checksum follows).
    var dataEnd: Int64 { size - Int64(RawObjectID.byteCount) }

    /// Where `id` starts in this pack, or `nil`.
    func offset(of id: RawObjectID) throws(ObjectStoreError) -> Int64? {
        guard let position = try index.position(of: id) else { return nil }
        return try index.packOffset(at: position)
    }

    /// Reads the header of the entry at `offset`.
    func entry(at offset: Int64) throws(ObjectStoreError) -> Entry {
        guard offset >= 12, offset < dataEnd else { throw corrupt("an object offset is out of range") }
        var bytes = [UInt8](repeating: 0, count: Int(min(Int64(Self.entryReadSize), dataEnd - offset)))
        try PackIndex.readExactly(file, into: &bytes, at: offset)
        var position = 0
        var byte = bytes[position]
        position += 1
        let type = Int(byte >> 4) & 7
        var size = Int(byte & 0x0F)
        var shift = 4
        while byte & 0x80 != 0 {
            guard position < bytes.count, shift <= 53 else { throw corrupt("an object header is too long") }
            byte = bytes[position]
            position += 1
            size |= Int(byte & 0x7F) << shift
            shift += 7
        }
        let representation: Representation
        switch type {
        case 1...4:
            representation = .whole(ObjectKind(rawValue: type) ?? .blob)
        case 6:
            guard position < bytes.count else { throw corrupt("a delta header is cut short") }
            byte = bytes[position]
            position += 1
            var distance = Int64(byte & 0x7F)
            while byte & 0x80 != 0 {
                guard position < bytes.count, distance < (1 << 48) else { throw corrupt("a delta offset is too long") }
                byte = bytes[position]
                position += 1
                distance = ((distance + 1) << 7) | Int64(byte & 0x7F)
            }
            guard distance > 0, distance <= offset - 12 else { throw corrupt("a delta points outside the pack") }
            representation = .offsetDelta(base: offset - distance)
        case 7:
            guard bytes.count - position >= RawObjectID.byteCount else { throw corrupt("a delta header is cut short") }
            representation = .referenceDelta(base: bytes.withUnsafeBytes { RawObjectID($0, at: position) })
            position += RawObjectID.byteCount
        default:
            throw corrupt("an object has unknown type \(type)")
        }
        return Entry(
            offset: offset, representation: representation, size: size, dataOffset: offset + Int64(position), prefetched: bytes[position...])
    }

    /// A zlib stream over an entry's compressed data.
    func stream(for entry: Entry) throws(ObjectStoreError) -> ZlibStream {
        try ZlibStream(
            file: file, offset: entry.dataOffset, end: dataEnd, chunkSize: entry.size > 1 << 20 ? 256 * 1024 : 16 * 1024, initial: entry.prefetched)
    }

    private func corrupt(_ problem: String) -> ObjectStoreError {
        .corrupt(path: file.displayPath, problem: problem)
    }
}
