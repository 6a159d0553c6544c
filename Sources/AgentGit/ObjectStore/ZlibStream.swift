import AgentSystem
import CZlib

/// One zlib stream read from a file region, inflated into buffers the caller provides.
///
/// The compressed bytes are read in chunks with `pread` (never mapped: a file the workspace
/// truncates meanwhile gives a read error, not a crash), so memory stays at one chunk plus the
/// caller's output, whatever the file claims.
final class ZlibStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let chunk: UnsafeMutableRawBufferPointer
    private let file: ContainedFile
    private var position: Int64
    private let end: Int64
    private var isInitialised = false
    private(set) var hasEnded = false

    /// - Parameters:
    ///   - file: where the compressed bytes are.
    ///   - offset: where the stream starts.
    ///   - end: where the region that may hold it ends (the stream must end before).
    ///   - chunkSize: bytes read at a time.
    ///   - initial: the stream's first bytes, already read (at `offset`).
    init(file: ContainedFile, offset: Int64, end: Int64, chunkSize: Int = 16 * 1024, initial: ArraySlice<UInt8> = []) throws(ObjectStoreError) {
        self.file = file
        self.end = end
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let usable = Array(initial.prefix(Int(max(0, end - offset))))
        chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: max(64, chunkSize, usable.count), alignment: 16)
        self.position = offset + Int64(usable.count)
        guard agent_inflate_init(stream) == Z_OK else { throw .corrupt(path: file.displayPath, problem: "zlib could not start") }
        isInitialised = true
        if !usable.isEmpty {
            usable.withUnsafeBytes { chunk.copyMemory(from: $0) }
            stream.pointee.next_in = chunk.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(usable.count)
        }
    }

    deinit {
        if isInitialised { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        chunk.deallocate()
    }

    /// Inflates until `output` is full or the stream ends; returns how many bytes were written.
    func read(into output: UnsafeMutableRawBufferPointer) throws(ObjectStoreError) -> Int {
        guard let base = output.baseAddress, !output.isEmpty, !hasEnded else { return 0 }
        stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(min(output.count, Int(UInt32.max)))
        var written = 0
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 { try refill() }
            let before = stream.pointee.avail_out
            let result = inflate(stream, Z_NO_FLUSH)
            written += Int(before - stream.pointee.avail_out)
            switch result {
            case Z_STREAM_END:
                hasEnded = true
                return written
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                continue  // needs more input: refilled above on the next turn
            case Z_BUF_ERROR:
                throw .corrupt(path: file.displayPath, problem: "its compressed data cannot be inflated")
            default:
                throw .corrupt(path: file.displayPath, problem: "its compressed data is damaged")
            }
        }
        return written
    }

    /// Inflates exactly `output.count` bytes, and requires the stream to end right there when
    /// `mustEnd` (git's objects are one stream of exactly their declared size).
    func readExactly(into output: UnsafeMutableRawBufferPointer, mustEnd: Bool) throws(ObjectStoreError) {
        var filled = 0
        while filled < output.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: output[filled...]))
            if count == 0 { throw .corrupt(path: file.displayPath, problem: "an object is shorter than its header says") }
            filled += count
        }
        if mustEnd { try expectEnd() }
    }

    /// Requires the stream to end without producing another byte.
    func expectEnd() throws(ObjectStoreError) {
        var spare: [UInt8] = [0]
        let count = try spare.withMutableBytes { (raw) throws(ObjectStoreError) -> Int in try read(into: raw) }
        guard count == 0, hasEnded else {
            throw .corrupt(path: file.displayPath, problem: "an object is longer than its header says")
        }
    }

    private func refill() throws(ObjectStoreError) {
        let available = end - position
        guard available > 0 else { throw .corrupt(path: file.displayPath, problem: "it ends in the middle of an object") }
        let wanted = Int(min(Int64(chunk.count), available))
        let count: Int
        do {
            count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]), at: position)
        } catch {
            throw .file(error)
        }
        guard count > 0 else { throw .corrupt(path: file.displayPath, problem: "it ends in the middle of an object") }
        position += Int64(count)
        stream.pointee.next_in = chunk.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(count)
    }
}
