import AgentAPIPolicy
import AgentSystem

/// Reading GitHub's answers about App tokens without copying the token around: the token is
/// taken from the raw response bytes straight into a `LockedSecret` and overwritten there before
/// the rest is parsed. Dates are read as GitHub writes them. Pure, apart from the secret's mapping.
enum AppTokenAnswers {
    /// Moves the top-level `"token"` string of `body` into a locked secret and overwrites it in
    /// `body` with `x`s. `nil` when there is no such string of token characters.
    static func takeToken(from body: inout [UInt8]) -> LockedSecret? {
        let key = Array(#""token""#.utf8)
        var index = 0
        while index + key.count <= body.count {
            guard body[index..<(index + key.count)].elementsEqual(key), index == 0 || body[index - 1] != UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            var cursor = index + key.count
            func skipSpaces() { while cursor < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[cursor]) { cursor += 1 } }
            skipSpaces()
            guard cursor < body.count, body[cursor] == UInt8(ascii: ":") else { index += 1; continue }
            cursor += 1
            skipSpaces()
            guard cursor < body.count, body[cursor] == UInt8(ascii: "\"") else { index += 1; continue }
            let start = cursor + 1
            var end = start
            while end < body.count, isTokenByte(body[end]) { end += 1 }
            guard end < body.count, body[end] == UInt8(ascii: "\""), end > start, end - start <= LockedSecret.capacity else { return nil }
            let secret = try? LockedSecret { buffer throws(TokenError) in
                for offset in 0..<(end - start) { buffer[offset] = body[start + offset] }
                return end - start
            }
            for offset in start..<end { body[offset] = UInt8(ascii: "x") }
            // The value taken must be the answer's own `token`, not text inside another string.
            guard let secret, let json = JSONValue.parse(body), json["token"]?.string?.utf8.count == end - start else { return nil }
            return secret
        }
        return nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// `2026-12-01T22:39:15Z` as seconds since 1970.
    static func seconds(iso8601 text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z"),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19])
        else { return nil }
        return civil(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// An HTTP `Date` header (`Tue, 01 Dec 2026 22:39:15 GMT`) as seconds since 1970.
    static func seconds(httpDate text: String) -> Int64? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let day = number(Array(parts[1].utf8)[...]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = number(Array(parts[3].utf8)[...])
        else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = number(Array(time[0].utf8)[...]), let minute = number(Array(time[1].utf8)[...]),
            let second = number(Array(time[2].utf8)[...])
        else { return nil }
        return civil(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// Days from a civil date (Howard Hinnant's algorithm), to seconds.
    private static func civil(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// GitHub's `message`, for a status line: at most 200 characters, control characters dropped.
    static func message(_ body: [UInt8]) -> String {
        let text = JSONValue.parse(body)?["message"]?.string ?? ""
        return String(String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }).prefix(200))
    }
}
