import AgentPolicy
import AgentTestSupport
import Foundation
import Testing

/// The well-known formats (one true positive and one look-alike each) and the held secrets in
/// every form the scanner looks for.
struct SecretScannerTests {
    let formats = SecretScanner(scansFormats: true, held: .none)

    @Test(arguments: SecretSamples.all)
    func eachFormatIsFoundWithItsKindAndLine(_ sample: SecretSample) {
        let text = "first line\nsecond line\nvalue: \(sample.truePositive)\nlast\n"
        let finding = formats.firstFinding(in: text)
        #expect(finding == SecretFinding(kind: sample.kind, line: 3, isHeld: false))
    }

    @Test(arguments: SecretSamples.all)
    func eachLookAlikePasses(_ sample: SecretSample) {
        #expect(formats.firstFinding(in: "config:\n  value: \(sample.lookAlike)\n") == nil)
    }

    @Test func tokensInsideLongerWordsAreNotTokens() {
        let token = "gh" + "p_" + SecretSamples.characters(36)
        #expect(formats.firstFinding(in: "x" + token) == nil)
        #expect(formats.firstFinding(in: token + "x") == nil)
        #expect(formats.firstFinding(in: token + "_") == nil)
        #expect(formats.firstFinding(in: "\"" + token + "\"")?.kind == "GitHub token")
        #expect(formats.firstFinding(in: token)?.line == 1)
    }

    @Test(arguments: SecretSamples.all)
    func auditLinesAreMaskedAndStayOneJSONLine(_ sample: SecretSample) throws {
        let line = #"{"path":"/repos/o/r/contents/x/"# + sample.truePositive.replacingOccurrences(of: "\n", with: "\\n") + #".md","decision":"deny"}"#
        let masked = SecretMasking.mask(line)
        #expect(!masked.contains(sample.truePositive.prefix(24)), "\(masked)")
        #expect(masked.contains(SecretMasking.replacement))
        #expect(masked.hasSuffix(#""decision":"deny"}"#) || masked.hasSuffix(#"","decision":"deny"}"#), "\(masked)")
        #expect(try JSONSerialization.jsonObject(with: Data(masked.utf8)) is [String: Any], "\(masked)")
        #expect(SecretMasking.mask("path x/\(sample.lookAlike)") == "path x/\(sample.lookAlike)")
    }

    @Test func nothingIsFoundWhenNothingIsAsked() {
        let off = SecretScanner(scansFormats: false, held: .none)
        #expect(!off.isActive)
        #expect(off.firstFinding(in: SecretSamples.all.map(\.truePositive).joined(separator: "\n")) == nil)
    }

    // MARK: - Held secrets

    static let secret = Array("s3cret-Held+Value/0123456789?abcdef>XYZ".utf8)

    func withHeld<Result>(_ body: (SecretScanner) -> Result) -> Result {
        var buffer = [UInt8](repeating: 0, count: HeldSecretForms.capacity(forSecretOf: Self.secret.count))
        return Self.secret.withUnsafeBytes { secret in
            buffer.withUnsafeMutableBytes { output in
                let ranges = HeldSecretForms.write(secret, into: output)
                let forms = ranges.map {
                    HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[$0]), kind: "the test secret")
                }
                return body(SecretScanner(scansFormats: false, held: HeldSecretPatterns(forms: forms)))
            }
        }
    }

    @Test(arguments: 0..<6)
    func base64AtEveryAlignmentAndInBothAlphabetsIsFound(_ variant: Int) {
        let prefix = Array("user:".utf8.prefix(variant % 3 + 2))
        let encoded = Data(prefix + Self.secret + Array("!?".utf8)).base64EncodedString()
        let text = variant < 3 ? encoded : encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(withHeld { $0.firstFinding(in: "Authorization: Basic \(text)") }?.isHeld == true, "\(text)")
    }

    @Test func exactAndPercentEncodedFormsAreFound() {
        let plain = String(decoding: Self.secret, as: UTF8.self)
        let everyByte = Self.secret.map { String(format: "%%%02X", $0) }.joined()
        let someBytes = Self.secret.enumerated().map { $0.offset % 2 == 0 ? String(format: "%%%02x", $0.element) : String(UnicodeScalar($0.element)) }.joined()
        withHeld { scanner in
            #expect(scanner.firstFinding(in: "a\nb\nx=\(plain)") == SecretFinding(kind: "the test secret", line: 3, isHeld: true))
            #expect(scanner.firstFinding(in: "https://x/?t=\(everyByte)")?.isHeld == true)
            #expect(scanner.firstFinding(in: "https://x/?t=\(someBytes)")?.isHeld == true)
            #expect(scanner.firstFinding(in: String(plain.dropLast())) == nil, "a prefix is not the secret")
            #expect(scanner.firstFinding(in: plain.replacingOccurrences(of: "Held", with: "held")) == nil)
        }
    }

    @Test func heldSecretsComeFirstAtTheSamePlaceAndBothAreReported() {
        let token = "gh" + "p_" + SecretSamples.characters(36)
        let bytes = Array(token.utf8)
        var buffer = [UInt8](repeating: 0, count: HeldSecretForms.capacity(forSecretOf: bytes.count))
        bytes.withUnsafeBytes { secret in
            buffer.withUnsafeMutableBytes { output in
                let ranges = HeldSecretForms.write(secret, into: output)
                #expect(ranges.count >= 4, "the exact form and base64 forms")
                let forms = ranges.map {
                    HeldSecretPatterns.Form(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[$0]), kind: "the agent's GitHub token")
                }
                let scanner = SecretScanner(scansFormats: true, held: HeldSecretPatterns(forms: forms))
                let result = Array("x \(token)\nAK\("IA")\(SecretSamples.characters(16, from: "QWERTYUPASDFGHJKLZXCVBNM234567"))".utf8).withUnsafeBytes {
                    scanner.scan($0)
                }
                #expect(result.held == SecretFinding(kind: "the agent's GitHub token", line: 1, isHeld: true))
                #expect(result.format == SecretFinding(kind: "GitHub token", line: 1, isHeld: false))
            }
        }
    }

    @Test func binaryContentIsRecognisedAsGitDoes() {
        #expect(Array("text\nonly".utf8).withUnsafeBytes { SecretScanner.looksBinary($0) } == false)
        #expect(([0x89, 0x50, 0x00, 0x01] as [UInt8]).withUnsafeBytes { SecretScanner.looksBinary($0) } == true)
        #expect((Array(repeating: UInt8(ascii: "a"), count: 8000) + [0]).withUnsafeBytes { SecretScanner.looksBinary($0) } == false)
    }
}
