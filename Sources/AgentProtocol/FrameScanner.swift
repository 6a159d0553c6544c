/// Finds frames in a buffer that grows as bytes arrive, looking at each byte once: where the
/// last scan stopped is kept, so a frame sent one byte at a time costs linear, not quadratic, work.
///
/// Contract with the caller, who owns the buffer: pass the whole buffer each time (earlier bytes
/// unchanged, new ones appended); after `.frame(_, consumed:)` remove the first `consumed` bytes,
/// after `.needMoreData(skippable:)` remove the first `skippable` bytes (leading blank lines).
///
/// - Complexity: O(n) over all the bytes of a frame, however they are split.
public struct FrameScanner: Sendable {
    public let decoder: FrameDecoder
    /// Bytes of the buffer already looked at.
    private var position = 0
    /// Where the frame's first line starts, once a byte other than a newline was seen.
    private var start: Int?
    private var previousWasNewline = false

    public init(decoder: FrameDecoder = FrameDecoder()) {
        self.decoder = decoder
    }

    /// Scans the bytes not seen before. Blank lines before a frame are skipped (keep-alives).
    /// - Throws: `ProtocolError` when the frame is too large or malformed.
    public mutating func scan<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) throws(ProtocolError) -> FrameDecoder.Scan
    where Bytes.Index == Int {
        var index = bytes.startIndex + min(position, bytes.count)
        if start == nil {
            while index < bytes.endIndex, bytes[index] == UInt8(ascii: "\n") { index += 1 }
            guard index < bytes.endIndex else {
                reset()
                return .needMoreData(skippable: index - bytes.startIndex)
            }
            start = index - bytes.startIndex
        }
        let frameStart = bytes.startIndex + (start ?? 0)
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                if previousWasNewline {
                    reset()
                    let frame = try FrameDecoder.parse(bytes[frameStart..<index])
                    return .frame(frame, consumed: index + 1 - bytes.startIndex)
                }
                previousWasNewline = true
            } else {
                previousWasNewline = false
            }
            index += 1
            if index - frameStart > decoder.maximumFrameSize {
                reset()
                throw .frameTooLarge(limit: decoder.maximumFrameSize)
            }
        }
        position = index - bytes.startIndex
        return .needMoreData(skippable: 0)
    }

    private mutating func reset() {
        position = 0
        start = nil
        previousWasNewline = false
    }
}
