/// One message on `git.sock`, in the style of git's credential helpers.
///
/// On the wire a frame is `key=value` lines ended by one blank line:
/// ```
/// operation=status
///
/// ```
/// Keys are `[A-Za-z0-9._-]`; values hold any UTF-8 except NUL, CR and LF; a key may repeat to
/// make a list (`ref=a`, `ref=b`). Requests start with `operation=`; final replies carry
/// `status=ok|error|denied`; a reply may be preceded by interim frames that start with `progress=`.
public struct Frame: Hashable, Sendable, CustomStringConvertible {
    public struct Field: Hashable, Sendable {
        public let key: String
        public let value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public init(_ pairs: KeyValuePairs<String, String>) {
        self.fields = pairs.map { Field($0.key, $0.value) }
    }

    /// The first value for `key`.
    public subscript(key: String) -> String? {
        fields.first { $0.key == key }?.value
    }

    /// Every value for `key`, in order.
    public func values(for key: String) -> [String] {
        fields.filter { $0.key == key }.map(\.value)
    }

    public mutating func append(_ key: String, _ value: String) {
        fields.append(Field(key, value))
    }

    public mutating func append(_ key: String, _ values: some Sequence<String>) {
        for value in values { fields.append(Field(key, value)) }
    }

    /// The first key, which names what the frame is (`operation`, `status` or `progress`).
    public var kind: String? { fields.first?.key }

    /// The bytes on the wire. Forbidden bytes in a value (NUL, CR, LF) become spaces and invalid
    /// key characters become `_`, so that encoding never produces a frame the peer cannot read.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.reduce(1) { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 })
        for field in fields {
            bytes.append(contentsOf: field.key.utf8.map { WireSyntax.isKeyByte($0) ? $0 : UInt8(ascii: "_") })
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: field.value.utf8.map { WireSyntax.isForbiddenValueByte($0) ? UInt8(ascii: " ") : $0 })
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    public var description: String {
        fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

enum WireSyntax {
    static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    static func isForbiddenValueByte(_ byte: UInt8) -> Bool {
        byte == 0 || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
