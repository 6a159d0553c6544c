import Testing

@testable import AgentServer

/// The server name of a TLS ClientHello, read strictly.
struct ClientHelloReaderTests {
    /// A ClientHello record with the given extensions (each `(type, body)`).
    static func hello(extensions: [(Int, [UInt8])]?, session: Int = 32) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32)
        body += [UInt8(session)] + [UInt8](repeating: 1, count: session)
        body += u16(4) + [0x13, 0x01, 0x13, 0x02] + [1, 0]
        if let extensions {
            let list = extensions.flatMap { u16($0.0) + u16($0.1.count) + $0.1 }
            body += u16(list.count) + list
        }
        let handshake: [UInt8] = [1, UInt8(body.count >> 16), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
        return [22, 3, 1] + u16(handshake.count) + handshake
    }

    static func serverName(_ name: String) -> (Int, [UInt8]) {
        let bytes = Array(name.utf8)
        let entry: [UInt8] = [0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        return (0, [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry)
    }

    @Test func theServerNameIsRead() {
        let record = Self.hello(extensions: [(10, [0, 2, 0, 29]), Self.serverName("api.anthropic.com"), (43, [2, 3, 4])])
        #expect(ClientHelloReader.read(record) == .serverName("api.anthropic.com"))
        #expect(ClientHelloReader.read(record + Array("more".utf8)) == .serverName("api.anthropic.com"), "bytes after the record")
    }

    @Test func aHelloArrivingInPiecesNeedsMore() {
        let record = Self.hello(extensions: [Self.serverName("claude.ai")])
        for cut in [0, 1, 4, 5, 20, record.count - 1] {
            #expect(ClientHelloReader.read(record.prefix(cut)) == .needMore, "cut at \(cut)")
        }
    }

    @Test func withoutTheExtensionThereIsNoName() {
        #expect(ClientHelloReader.read(Self.hello(extensions: [(10, [0, 2, 0, 29])])) == .serverName(nil))
        #expect(ClientHelloReader.read(Self.hello(extensions: nil)) == .serverName(nil))
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\n\r\n".utf8),
        hello(extensions: [serverName("a.example"), serverName("b.example")]),
        hello(extensions: [(0, [0, 9, 0, 0, 6, 0x61])]),
        hello(extensions: [serverName("bad name")]),
        [22, 3, 1, 0, 4, 2, 0, 0, 0],
        [22, 3, 1, 0x40, 0x01] + [UInt8](repeating: 0, count: 16385),
    ])
    func malformedOrForeignInputIsNotAClientHello(_ bytes: [UInt8]) {
        #expect(ClientHelloReader.read(bytes) == .notClientHello)
    }

    @Test func lengthsThatOverrunAreRefused() {
        var record = Self.hello(extensions: [Self.serverName("claude.ai")])
        record[43] = 0xFF  // the session id length now runs past the hello
        #expect(ClientHelloReader.read(record) == .notClientHello)
    }
}
