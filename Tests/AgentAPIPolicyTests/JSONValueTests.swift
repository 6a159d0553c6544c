import AgentAPIPolicy
import Foundation
import Testing

/// Request bodies are read strictly: what the policy reads must be what the server will read.
struct JSONValueTests {
    @Test(arguments: [
        #"{"query":"a","query":"b"}"#, #"{"query":"a","\u0071uery":"b"}"#, #"{"input":{"name":"x","name":"y"}}"#,
        #"[{"ref":"refs/heads/x","ref":"refs/heads/main"}]"#, #"{"a":1,"b":2,"a":1}"#,
    ])
    func repeatedKeysAreRefused(_ body: String) {
        #expect(JSONValue.parse(Array(body.utf8)) == nil)
    }

    @Test(arguments: [
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{'a':1}", "{a:1}", "// c\n{}", "{} x", "{}{}", "NaN", "-",
        "01", "1.", ".5", "1e", "+1", "0x10", "tru", "nul", "\"\\x\"", "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"",
        "\"a\nb\"", "\"tab\there\"", "\u{FEFF}{}",
    ])
    func malformedBodiesAreRefused(_ body: String) {
        #expect(JSONValue.parse(Array(body.utf8)) == nil, "\(body.debugDescription)")
    }

    @Test func invalidUTF8AndDeepNestingAreRefused() {
        #expect(JSONValue.parse([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\"")]) == nil)
        #expect(JSONValue.parse([UInt8(ascii: "\""), 0xED, 0xA0, 0x80, UInt8(ascii: "\"")]) == nil, "an encoded surrogate")
        #expect(JSONValue.parse(Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)) == nil)
        #expect(JSONValue.parse(Array((String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)).utf8)) == nil)
        #expect(JSONValue.parse(Array((String(repeating: "[", count: 128) + String(repeating: "]", count: 128)).utf8)) != nil)
    }

    @Test func valuesAreRead() {
        let body =
            #" { "s" : "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00" , "n" : [0, -0, 12, -3.5, 1e3, 2E-2, 1.5e+2], "t": true, "f": false, "z": null, "o": {}, "l": [] } "#
        let expected: JSONValue = .object([
            "s": .string("a\"b\\c/d\u{08}\u{0C}\n\r\té😀"),
            "n": .array([.number(0), .number(0), .number(12), .number(-3.5), .number(1000), .number(0.02), .number(150)]),
            "t": .bool(true), "f": .bool(false), "z": .null, "o": .object([:]), "l": .array([]),
        ])
        #expect(JSONValue.parse(Array(body.utf8)) == expected)
    }

    /// Generated documents read the same as Foundation's JSONSerialization reads them.
    @Test func agreesWithFoundationOnGeneratedDocuments() throws {
        var state: UInt64 = 11
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func generate(_ depth: Int) -> Any {
            switch next(depth > 3 ? 4 : 6) {
            case 0: return ["main", "refs/heads/x", "é😀\"\\\n\t\u{01}", "", "\u{7F}"][next(5)]
            case 1: return [0, -1, 42, 3.25, -1e-5, 123_456_789][next(6)]
            case 2, 3: return NSNull()  // booleans are covered by `valuesAreRead`; Foundation on Linux reads them as numbers
            case 4: return (0..<next(4)).map { _ in generate(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for _ in 0..<next(4) { object[["query", "variables", "ref", "sha", "force", "ü"][next(6)]] = generate(depth + 1) }
                return object
            }
        }
        func convert(_ value: Any) -> JSONValue {
            switch value {
            case let string as String: return .string(string)
            case is NSNull: return .null
            case let number as NSNumber: return .number(number.doubleValue)
            case let array as [Any]: return .array(array.map(convert))
            case let object as [String: Any]: return .object(object.mapValues(convert))
            default: return .null
            }
        }
        for _ in 0..<500 {
            let data = try JSONSerialization.data(withJSONObject: ["body": generate(0)], options: [.fragmentsAllowed])
            let reference = convert(try JSONSerialization.jsonObject(with: data, options: []))
            #expect(JSONValue.parse(Array(data)) == reference, "\(String(decoding: data, as: UTF8.self))")
        }
    }
}
