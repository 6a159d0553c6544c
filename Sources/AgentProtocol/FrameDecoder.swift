/// Finds and parses frames in a byte stream, with a size limit, without any I/O.
///
/// Blank lines before a frame are skipped (a client may send them as keep-alives). Used by the
/// agent's NIO decoder and by the blocking clients alike.
public struct FrameDecoder: Sendable {
    /// Largest frame accepted, terminator included. 64 KiB is far more than any request needs.
    public static let defaultMaximumFrameSize = 64 * 1024
    public static let maximumKeyLength = 128

    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// The result of looking at buffered bytes.
    public enum Scan: Hashable, Sendable {
        /// No complete frame yet; `skippable` leading blank-line bytes may be discarded.
        case needMoreData(skippable: Int)
        /// A frame, and how many bytes it used (leading blank lines and terminator included).
        case frame(Frame, consumed: Int)
    }

    /// Looks for one complete frame at the start of `bytes`, scanning all of them. For a stream
    /// read in pieces, keep a `FrameScanner` instead: it scans each byte once.
    /// - Throws: `ProtocolError` when the frame is too large or malformed.
    public func scan<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) throws(ProtocolError) -> Scan
    where Bytes.Index == Int {
        var scanner = FrameScanner(decoder: self)
        return try scanner.scan(bytes)
    }

    /// Parses the lines of one frame (without its blank terminator line).
    static func parse(_ body: some Collection<UInt8>) throws(ProtocolError) -> Frame {
        var frame = Frame()
        var lineNumber = 0
        for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }  // the last line's own newline
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
                throw .malformedLine(line: lineNumber, problem: "expected key=value")
            }
            let key = line[line.startIndex..<equals]
            let value = line[line.index(after: equals)...]
            guard !key.isEmpty, key.count <= maximumKeyLength, key.allSatisfy(WireSyntax.isKeyByte) else {
                throw .malformedLine(line: lineNumber, problem: "keys are 1 to \(maximumKeyLength) characters of A-Z a-z 0-9 . _ -")
            }
            if value.contains(where: WireSyntax.isForbiddenValueByte) {
                throw .malformedLine(line: lineNumber, problem: "values cannot contain NUL or CR")
            }
            guard let text = String(validating: value, as: UTF8.self) else {
                throw .malformedLine(line: lineNumber, problem: "the value is not valid UTF-8")
            }
            frame.append(String(decoding: key, as: UTF8.self), text)
        }
        return frame
    }
}

/// Input that is not a valid frame.
public enum ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    case frameTooLarge(limit: Int)
    case malformedLine(line: Int, problem: String)

    /// A stable code for the wire.
    public var code: String {
        switch self {
        case .frameTooLarge: "frame-too-large"
        case .malformedLine: "malformed-frame"
        }
    }

    public var description: String {
        switch self {
        case .frameTooLarge(let limit): "the frame is larger than \(limit) bytes"
        case .malformedLine(let line, let problem): "line \(line) of the frame is malformed: \(problem)"
        }
    }
}
