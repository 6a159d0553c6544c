import Foundation
import Testing

@testable import AgentServer

struct AuditLineTests {
    /// The audit timestamp agrees with Foundation's ISO 8601 formatter across eras and leap days
    /// (milliseconds may differ by one: the two round a binary fraction differently).
    @Test func timestampsMatchFoundation() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        func check(_ seconds: Double) {
            let date = Date(timeIntervalSince1970: seconds)
            let ours = Timestamp.iso8601(date)
            let theirs = date.formatted(style)
            #expect(ours.count == 24 && ours.hasSuffix("Z"), "\(ours)")
            #expect(ours.prefix(19) == theirs.prefix(19), "\(seconds): \(ours) \(theirs)")
            let difference = abs((Int(ours.dropFirst(20).prefix(3)) ?? -9) - (Int(theirs.dropFirst(20).prefix(3)) ?? 9))
            #expect(difference <= 1, "\(seconds): \(ours) \(theirs)")
        }
        var seconds: Double = -2_208_988_800  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            check(seconds)
            seconds += 86_400 * 37 + 3_723.456
        }
        for special in [0, 951_782_400, 951_868_799.5, 1_709_164_800.25, 4_107_542_399] as [Double] { check(special) }
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 951_868_799.5)) == "2000-02-29T23:59:59.500Z")
    }

    @Test func linesAreOneJSONObject() throws {
        let entry = AuditEntry(
            peer: nil, socket: "gh.sock", operation: "GET /x", decision: "allow", reason: "a \"quoted\"\nline\u{01}", started: .now)
        let line = entry.jsonLine()
        #expect(!line.contains("\n"))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["reason"] as? String == "a \"quoted\"\nline\u{01}")
        #expect(object?["socket"] as? String == "gh.sock")
    }
}
