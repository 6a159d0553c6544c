/// Reads the server name (SNI) a TLS client asks for from the first bytes it sends: the
/// ClientHello (RFC 8446 §4.1.2, RFC 6066 §3). Pure; every length is checked against what is
/// there before it is used.
///
/// The egress relay checks it against the `CONNECT` host, so that a client allowed to reach
/// `api.anthropic.com` cannot ask the same front for another name.
enum ClientHelloReader {
    /// TLS records are at most 16 KiB; a ClientHello that does not fit in the first record is
    /// refused (real clients' hellos take 0.5 to 2 KiB).
    static let maximumRecord = 5 + (16 << 10)

    enum Result: Equatable {
        /// The record is not complete yet.
        case needMore
        /// A ClientHello, and the host name it asks for (`nil` when it names none).
        case serverName(String?)
        /// Not a TLS ClientHello, or malformed.
        case notClientHello
    }

    static func read(_ bytes: some Collection<UInt8>) -> Result {
        let data = Array(bytes.prefix(maximumRecord))
        var reader = ByteReader(data)
        // Record header: handshake (22), version, length.
        guard let type = reader.uint8() else { return .needMore }
        guard type == 22 else { return .notClientHello }
        guard reader.skip(2), let recordLength = reader.uint16() else { return .needMore }
        guard recordLength <= maximumRecord - 5 else { return .notClientHello }
        guard data.count >= 5 + recordLength else { return data.count >= maximumRecord ? .notClientHello : .needMore }
        var record = ByteReader(Array(data[5..<(5 + recordLength)]))
        // Handshake header: ClientHello (1), 24-bit length, which must fit in this record.
        guard record.uint8() == 1, let length = record.uint24(), length <= record.remaining else { return .notClientHello }
        var hello = ByteReader(record.take(length) ?? [])
        // Version, random, session id, cipher suites, compression methods.
        guard hello.skip(2 + 32), let session = hello.uint8(), hello.skip(session), let suites = hello.uint16(), hello.skip(suites),
            let compression = hello.uint8(), hello.skip(compression)
        else { return .notClientHello }
        if hello.remaining == 0 { return .serverName(nil) }  // no extensions at all
        guard let extensionsLength = hello.uint16(), let extensionBytes = hello.take(extensionsLength) else { return .notClientHello }
        var extensions = ByteReader(extensionBytes)
        var name: String?
        while extensions.remaining > 0 {
            guard let kind = extensions.uint16(), let size = extensions.uint16(), let body = extensions.take(size) else { return .notClientHello }
            guard kind == 0 else { continue }
            guard name == nil, let found = serverName(body) else { return .notClientHello }  // twice, or malformed
            name = found
        }
        return .serverName(name)
    }

    /// The `server_name` extension's body: a list holding one `host_name` (type 0).
    private static func serverName(_ body: [UInt8]) -> String? {
        var reader = ByteReader(body)
        guard let listLength = reader.uint16(), listLength == reader.remaining, reader.uint8() == 0, let nameLength = reader.uint16(),
            let name = reader.take(nameLength), reader.remaining == 0, !name.isEmpty,
            name.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return String(decoding: name, as: UTF8.self)
    }
}

/// Big-endian reads over bytes, each bounds-checked.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    mutating func uint8() -> Int? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return Int(bytes[position])
    }

    mutating func uint16() -> Int? {
        guard remaining >= 2 else { return nil }
        defer { position += 2 }
        return Int(bytes[position]) << 8 | Int(bytes[position + 1])
    }

    mutating func uint24() -> Int? {
        guard remaining >= 3 else { return nil }
        defer { position += 3 }
        return Int(bytes[position]) << 16 | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }
}
