import AgentSystem

/// The loose objects of one object directory (`objects/xx/yyyy…`, each a zlib stream of
/// `"<type> <size>\0<content>"`), opened beneath the workspace root one by one.
final class LooseObjects {
    let root: ContainedDirectory
    /// The object directory, relative to `root`.
    let relativePath: String

    /// What a loose object's header says, and the stream positioned after it.
    struct Opened {
        let kind: ObjectKind
        let size: Int
        let stream: ZlibStream
        /// Content bytes already inflated together with the header.
        let leftover: [UInt8]
        let path: String
    }

    init(root: ContainedDirectory, relativePath: String) {
        self.root = root
        self.relativePath = relativePath
    }

    /// Whether the object's file exists (a regular file beneath the root); nothing is inflated.
    func contains(_ id: RawObjectID) throws(ObjectStoreError) -> Bool {
        try file(for: id) != nil
    }

    private func file(for id: RawObjectID) throws(ObjectStoreError) -> ContainedFile? {
        let hex = id.hex
        do {
            return try root.file(relativePath + "/" + hex.prefix(2) + "/" + hex.dropFirst(2))
        } catch  where error.kind == .missing {
            return nil
        } catch {
            throw .file(error)
        }
    }

    /// Opens the object's file and reads its header; `nil` when there is no such file.
    func open(_ id: RawObjectID) throws(ObjectStoreError) -> Opened? {
        guard let file = try file(for: id) else { return nil }
        let size: Int64
        do { size = try file.status().size } catch { throw .file(error) }
        let stream = try ZlibStream(file: file, offset: 0, end: size)
        var header = [UInt8](repeating: 0, count: 64)
        let count = try header.withMutableBytes { (raw) throws(ObjectStoreError) -> Int in try stream.read(into: raw) }
        guard let nul = header[0..<count].firstIndex(of: 0),
            let space = header[0..<nul].firstIndex(of: UInt8(ascii: " ")),
            let kind = ObjectKind(name: Substring(decoding: header[0..<space], as: UTF8.self)),
            nul - space - 1 >= 1, nul - space - 1 <= 18,
            header[(space + 1)..<nul].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let declared = Int(String(decoding: header[(space + 1)..<nul], as: UTF8.self))
        else {
            throw .corrupt(path: file.displayPath, problem: "it does not start with a loose object header")
        }
        return Opened(kind: kind, size: declared, stream: stream, leftover: Array(header[(nul + 1)..<count]), path: file.displayPath)
    }

    /// The ids in this directory that start with the first `hexDigits` (at least 2) digits of
    /// `prefix`, at most `limit` of them.
    func ids(withPrefix prefix: RawObjectID, hexDigits: Int, limit: Int) throws(ObjectStoreError) -> [RawObjectID] {
        let hex = prefix.hex
        let wanted = hex.prefix(hexDigits).dropFirst(2)
        let names: [String]
        do {
            names = try root.directory(relativePath + "/" + hex.prefix(2)).entryNames(limit: 1 << 20)
        } catch  where error.kind == .missing {
            return []
        } catch {
            throw .file(error)
        }
        var found: [RawObjectID] = []
        for name in names where name.utf8.count == 38 && name.hasPrefix(wanted) {
            guard let bytes = RawObjectID.bytes(fromHex: hex.prefix(2) + name), bytes.count == RawObjectID.byteCount else { continue }
            found.append(bytes.withUnsafeBytes { RawObjectID($0) })
            if found.count >= limit { break }
        }
        return found
    }
}
