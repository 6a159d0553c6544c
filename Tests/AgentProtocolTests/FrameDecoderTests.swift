import AgentProtocol
import Testing

struct FrameDecoderTests {
    let decoder = FrameDecoder()

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func decodesOneFrameWithRepeatedKeys() throws {
        let scan = try decoder.scan(bytes("operation=push\nref=a\nref=b\n\nrest"))
        guard case .frame(let frame, let consumed) = scan else {
            Issue.record("expected a frame, got \(scan)")
            return
        }
        #expect(frame.kind == "operation")
        #expect(frame["operation"] == "push")
        #expect(frame.values(for: "ref") == ["a", "b"])
        #expect(consumed == "operation=push\nref=a\nref=b\n\n".utf8.count)
    }

    @Test func valuesMayContainEqualsSignsAndUnicode() throws {
        guard case .frame(let frame, _) = try decoder.scan(bytes("message=a=b ünïcødé\n\n")) else {
            Issue.record("expected a frame")
            return
        }
        #expect(frame["message"] == "a=b ünïcødé")
    }

    @Test func leadingBlankLinesAreSkipped() throws {
        guard case .frame(let frame, let consumed) = try decoder.scan(bytes("\n\n\nop=x\n\n")) else {
            Issue.record("expected a frame")
            return
        }
        #expect(frame["op"] == "x")
        #expect(consumed == 9)
        #expect(try decoder.scan(bytes("\n\n")) == .needMoreData(skippable: 2))
    }

    @Test func dripFedByteByByte() throws {
        let input = bytes("operation=status\nx=1\n\n")
        var buffer: [UInt8] = []
        var frames: [Frame] = []
        for byte in input {
            buffer.append(byte)
            if case .frame(let frame, let consumed) = try decoder.scan(buffer) {
                frames.append(frame)
                buffer.removeFirst(consumed)
            }
        }
        #expect(frames == [Frame(["operation": "status", "x": "1"])])
        #expect(buffer.isEmpty)
    }

    @Test func roundTrips() throws {
        let frame = Frame(["operation": "push", "ref": "refs/heads/a", "ref": "refs/heads/b", "empty": ""])
        guard case .frame(let decoded, let consumed) = try decoder.scan(frame.encoded()) else {
            Issue.record("expected a frame")
            return
        }
        #expect(decoded == frame)
        #expect(consumed == frame.encoded().count)
    }

    @Test func encodingNeutralisesNewlinesInValues() throws {
        let frame = Frame(["message": "line one\nstatus=ok\r\u{0}"])
        guard case .frame(let decoded, _) = try decoder.scan(frame.encoded()) else {
            Issue.record("expected a frame")
            return
        }
        #expect(decoded.fields.count == 1)
        #expect(decoded["message"] == "line one status=ok  ")
        #expect(decoded["status"] == nil)
    }

    @Test(arguments: [
        "no equals sign\n\n", "=value\n\n", "bad key=1\n\n", "k\u{0}ey=1\n\n", "key=with\rcr\n\n",
        String(repeating: "k", count: 129) + "=1\n\n",
    ])
    func rejectsMalformedFrames(_ text: String) {
        #expect(throws: ProtocolError.self) { try decoder.scan(bytes(text)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: ProtocolError.self) { try decoder.scan([0x6B, 0x3D, 0xFF, 0xFE, 0x0A, 0x0A]) }
    }

    @Test func rejectsOversizedFramesWithOrWithoutTerminator() throws {
        let small = FrameDecoder(maximumFrameSize: 32)
        #expect(throws: ProtocolError.frameTooLarge(limit: 32)) { try small.scan(bytes("k=" + String(repeating: "v", count: 40))) }
        #expect(throws: ProtocolError.frameTooLarge(limit: 32)) { try small.scan(bytes("k=" + String(repeating: "v", count: 40) + "\n\n")) }
        #expect(try small.scan(bytes("k=" + String(repeating: "v", count: 20))) == .needMoreData(skippable: 0))
    }
}

/// A stream fed in pieces: each byte is looked at once, frames come out whole.
struct FrameScannerTests {
    @Test func aLargeFrameDripFedByteByByte() throws {
        var scanner = FrameScanner()
        let value = String(repeating: "v", count: 60_000)
        let input = Array("\n\noperation=push\nrefspec=\(value)\n\noperation=status\n\n".utf8)
        var buffer: [UInt8] = []
        var frames: [Frame] = []
        for byte in input {
            buffer.append(byte)
            switch try scanner.scan(buffer) {
            case .needMoreData(let skippable): buffer.removeFirst(skippable)
            case .frame(let frame, let consumed):
                frames.append(frame)
                buffer.removeFirst(consumed)
            }
        }
        #expect(frames == [Frame(["operation": "push", "refspec": value]), Frame(["operation": "status"])])
        #expect(buffer.isEmpty)
    }

    @Test func keepsItsPlaceAndStillEnforcesTheLimit() throws {
        var scanner = FrameScanner(decoder: FrameDecoder(maximumFrameSize: 100))
        var buffer = Array("operation=".utf8)
        #expect(try scanner.scan(buffer) == .needMoreData(skippable: 0))
        buffer += Array(String(repeating: "x", count: 95).utf8)
        #expect(throws: ProtocolError.frameTooLarge(limit: 100)) { try scanner.scan(buffer) }
    }
}
