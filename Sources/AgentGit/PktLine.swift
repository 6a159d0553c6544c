/// The bits of git's pkt-line protocol the agent reads or changes itself (`gitprotocol-common(5)`,
/// `gitprotocol-pack(5)`). Pure.
enum PktLine {
    /// The capabilities of a `git-receive-pack` advertisement (smart HTTP body): the words after
    /// the NUL of its first ref line. `nil` while `bytes` does not hold that line yet, or when
    /// the advertisement is malformed.
    static func receivePackCapabilities(_ bytes: [UInt8]) -> [String]? {
        var position = 0
        while let (payload, next) = line(bytes, at: position) {
            position = next
            guard let payload, !payload.isEmpty else { continue }  // flush
            if payload.starts(with: Array("# service=".utf8)) { continue }
            guard let nul = payload.firstIndex(of: 0) else { return [] }
            var capabilities = payload[(nul + 1)...]
            if capabilities.last == UInt8(ascii: "\n") { capabilities = capabilities.dropLast() }
            return capabilities.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        }
        return nil
    }

    /// The push command list with ` atomic` added to the capabilities of its first command (the
    /// pkt-line whose payload holds a NUL), its length fixed; `nil` when the list is not as
    /// libgit2 writes it, so that the agent never sends a non-atomic push by mistake.
    static func addingAtomic(to commands: [UInt8]) -> [UInt8]? {
        guard let (payload, next) = line(commands, at: 0), let payload, let nul = payload.firstIndex(of: 0) else { return nil }
        var changed = Array(payload)
        let insertAt = changed.last == UInt8(ascii: "\n") ? changed.count - 1 : changed.count
        let words = changed[(nul + 1)..<insertAt].split(separator: UInt8(ascii: " "))
        if !words.contains(where: { Array($0) == Array("atomic".utf8) }) {
            changed.insert(contentsOf: Array(" atomic".utf8), at: insertAt)
        }
        let length = changed.count + 4
        guard length <= 65520 else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        let prefix = [12, 8, 4, 0].map { digits[(length >> $0) & 0xF] }
        return prefix + changed + commands[next...]
    }

    /// The pkt-line at `position`: its payload (`nil` for a flush or other special packet) and
    /// where the next one starts; `nil` when the bytes end first.
    private static func line(_ bytes: [UInt8], at position: Int) -> ([UInt8]?, Int)? {
        guard bytes.count - position >= 4 else { return nil }
        var length = 0
        for byte in bytes[position..<(position + 4)] {
            guard let value = RawObjectID.hexValue(byte) else { return nil }
            length = length << 4 | Int(value)
        }
        if length < 4 { return (nil, position + 4) }  // 0000 flush, 0001 delimiter, 0002 end
        guard bytes.count - position >= length else { return nil }
        return (Array(bytes[(position + 4)..<(position + length)]), position + length)
    }
}
