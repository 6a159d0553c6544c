/// The well-known credential formats `SECRET_SCAN` looks for, each a fixed prefix that the issuer
/// chose so that scanners find it, followed by the token's alphabet and length. Exact shapes are
/// in the README's table; a look-alike (too short, inside a longer word, a test key) does not
/// match.
public enum SecretFormat: String, CaseIterable, Hashable, Sendable {
    case gitHubToken = "GitHub token"
    case gitHubFineGrainedToken = "GitHub fine-grained token"
    case anthropicKey = "Anthropic API key"
    case openAIKey = "OpenAI API key"
    case awsAccessKeyID = "AWS access key ID"
    case awsSecretAccessKey = "AWS secret access key"
    case privateKey = "private key"
    case slackToken = "Slack token"
    case slackWebhook = "Slack webhook URL"
    case stripeLiveKey = "Stripe live key"
    case googleAPIKey = "Google API key"
    case gitLabToken = "GitLab token"
    case npmToken = "npm token"
    case pyPIToken = "PyPI token"
    case huggingFaceToken = "Hugging Face token"

    /// The bytes that can start a match (the scanner checks only where one of them is).
    static let startBytes: Set<UInt8> = Set("ghsSxaArnp-".utf8)

    /// The format whose token starts at `start`, if one does.
    static func match(_ text: UnsafeRawBufferPointer, at start: Int) -> SecretFormat? {
        guard start + 1 < text.count else { return nil }
        let reader = ByteReader(text: text)
        let startsWord = start == 0 || !ByteReader.isWord(text[start - 1])
        let pair = UInt16(text[start]) << 8 | UInt16(text[start + 1])
        switch pair {
        case 0x6768 /* gh */ where startsWord:
            guard start + 3 < text.count, text[start + 3] == UInt8(ascii: "_") else { return nil }
            switch text[start + 2] {
            case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                return reader.exactRun(from: start + 4, count: 36, of: ByteReader.isAlphanumeric, endingBefore: ByteReader.isWord) ? .gitHubToken : nil
            default:
                return nil
            }
        case 0x6769 /* gi */ where startsWord && reader.has("github_pat_", at: start):
            return reader.run(from: start + 11, of: ByteReader.isWord) >= 50 ? .gitHubFineGrainedToken : nil
        case 0x676C /* gl */ where startsWord && reader.has("glpat-", at: start):
            return reader.run(from: start + 6, of: ByteReader.isTokenCharacter) >= 20 ? .gitLabToken : nil
        case 0x736B /* sk */ where startsWord:
            if reader.has("sk-ant-", at: start) {
                return reader.run(from: start + 7, of: ByteReader.isTokenCharacter) >= 32 ? .anthropicKey : nil
            }
            for (prefix, length) in [("sk-proj-" as StaticString, 8), ("sk-svcacct-", 11), ("sk-admin-", 9)] where reader.has(prefix, at: start) {
                return reader.run(from: start + length, of: ByteReader.isTokenCharacter) >= 40 ? .openAIKey : nil
            }
            if reader.has("sk_live_", at: start) {
                return reader.run(from: start + 8, of: ByteReader.isAlphanumeric) >= 20 ? .stripeLiveKey : nil
            }
        case 0x726B /* rk */ where startsWord && reader.has("rk_live_", at: start):
            return reader.run(from: start + 8, of: ByteReader.isAlphanumeric) >= 20 ? .stripeLiveKey : nil
        case 0x414B /* AK */, 0x4153 /* AS */, 0x4142 /* AB */, 0x4143 /* AC */:
            guard startsWord, reader.has("AKIA", at: start) || reader.has("ASIA", at: start) || reader.has("ABIA", at: start) || reader.has("ACCA", at: start)
            else { return nil }
            return reader.exactRun(from: start + 4, count: 16, of: ByteReader.isUpperOrDigit, endingBefore: ByteReader.isAlphanumeric) ? .awsAccessKeyID : nil
        case 0x4149 /* AI */ where startsWord && reader.has("AIza", at: start):
            return reader.exactRun(from: start + 4, count: 35, of: ByteReader.isTokenCharacter, endingBefore: ByteReader.isTokenCharacter)
                ? .googleAPIKey : nil
        case 0x6177 /* aw */, 0x6157 /* aW */, 0x4177 /* Aw */, 0x4157 /* AW */, 0x7365 /* se */, 0x7345 /* sE */, 0x5365 /* Se */, 0x5345 /* SE */:
            guard let keyword = reader.awsSecretKeyword(at: start) else { return nil }
            return reader.awsSecret(after: keyword) ? .awsSecretAccessKey : nil
        case 0x786F /* xo */ where startsWord && reader.has("xox", at: start) && start + 4 < text.count && text[start + 4] == UInt8(ascii: "-"):
            switch text[start + 3] {
            case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                return reader.run(from: start + 5, of: ByteReader.isTokenCharacter) >= 20 ? .slackToken : nil
            default:
                return nil
            }
        case 0x686F /* ho */ where reader.has("hooks.slack.com/services/T", at: start):
            return reader.run(from: start + 26, of: { ByteReader.isWord($0) || $0 == UInt8(ascii: "/") }) >= 20 ? .slackWebhook : nil
        case 0x6866 /* hf */ where startsWord && reader.has("hf_", at: start):
            return reader.exactRun(from: start + 3, count: 34, of: ByteReader.isLetter, endingBefore: ByteReader.isWord) ? .huggingFaceToken : nil
        case 0x6E70 /* np */ where startsWord && reader.has("npm_", at: start):
            return reader.exactRun(from: start + 4, count: 36, of: ByteReader.isAlphanumeric, endingBefore: ByteReader.isWord) ? .npmToken : nil
        case 0x7079 /* py */ where startsWord && reader.has("pypi-AgEIcHlwaS5vcmc", at: start):
            return reader.run(from: start + 20, of: ByteReader.isTokenCharacter) >= 50 ? .pyPIToken : nil
        case 0x2D2D /* -- */:
            return reader.privateKeyBlock(at: start) ? .privateKey : nil
        default:
            return nil
        }
        return nil
    }
}

/// Byte classes and runs over a buffer, for the format matchers.
struct ByteReader {
    let text: UnsafeRawBufferPointer

    func has(_ literal: StaticString, at start: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start + count <= text.count else { return false }
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where text[start + offset] != bytes[offset] { return false }
        return true
    }

    /// How many bytes from `start` are in the class (at most 4,096: enough for every format).
    func run(from start: Int, of isMember: (UInt8) -> Bool) -> Int {
        var index = start
        while index < text.count, index - start < 4096, isMember(text[index]) { index += 1 }
        return index - start
    }

    /// Exactly `count` bytes of the class, then the end or a byte outside `endingBefore`.
    func exactRun(from start: Int, count: Int, of isMember: (UInt8) -> Bool, endingBefore isContinuation: (UInt8) -> Bool) -> Bool {
        guard run(from: start, of: isMember) >= count else { return false }
        let end = start + count
        return end == text.count || !isContinuation(text[end])
    }

    /// `aws_secret_access_key`, `aws_secret_key` or `secretaccesskey` in any letter case; the
    /// index after it.
    func awsSecretKeyword(at start: Int) -> Int? {
        for keyword in ["aws_secret_access_key" as StaticString, "aws_secret_key", "secretaccesskey"] {
            let bytes = UnsafeBufferPointer(start: keyword.utf8Start, count: keyword.utf8CodeUnitCount)
            guard start + bytes.count <= text.count else { continue }
            var matched = true
            for offset in 0..<bytes.count where ByteReader.lowercased(text[start + offset]) != bytes[offset] {
                matched = false
                break
            }
            if matched { return start + bytes.count }
        }
        return nil
    }

    /// After the keyword: quotes, spaces, `=` or `:` (at most 8), then 40 bytes of base64's
    /// alphabet and no more.
    func awsSecret(after keyword: Int) -> Bool {
        var index = keyword
        let separators = Set(" \t\"':=".utf8)
        while index < text.count, index - keyword < 8, separators.contains(text[index]) { index += 1 }
        guard index > keyword else { return false }
        return exactRun(from: index, count: 40, of: ByteReader.isBase64, endingBefore: ByteReader.isBase64)
    }

    /// `-----BEGIN [RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----`, followed
    /// within 512 bytes by key material (40 bytes of base64's alphabet in a row).
    func privateKeyBlock(at start: Int) -> Bool {
        guard has("-----BEGIN ", at: start) else { return false }
        var index = start + 11
        for kind in ["RSA " as StaticString, "DSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "PGP "] where has(kind, at: index) {
            index += kind.utf8CodeUnitCount
            break
        }
        guard has("PRIVATE KEY", at: index) else { return false }
        index += 11
        if has(" BLOCK", at: index) { index += 6 }
        guard has("-----", at: index) else { return false }
        index += 5
        let end = min(text.count, index + 512)
        var run = 0
        while index < end {
            run = ByteReader.isBase64(text[index]) ? run + 1 : 0
            if run >= 40 { return true }
            index += 1
        }
        return false
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }
    static func isWord(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || byte == UInt8(ascii: "_") }
    static func isTokenCharacter(_ byte: UInt8) -> Bool { isWord(byte) || byte == UInt8(ascii: "-") }
    static func isUpperOrDigit(_ byte: UInt8) -> Bool { (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || isDigit(byte) }
    static func isBase64(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") }
}
