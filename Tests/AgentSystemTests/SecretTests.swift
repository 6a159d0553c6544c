import AgentSystem
import Foundation
import Testing

struct SecretTests {
    func tokenFile(_ contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "token-\(UUID().uuidString)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func text(of secret: LockedSecret) -> String {
        secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    @Test func loadsFromFileWithoutTrailingNewline() throws {
        let path = try tokenFile("ghp_abc123\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = try TokenLoader.load(fromFile: path)
        #expect(text(of: secret) == "ghp_abc123")
        #expect(secret.count == 10)
        #expect(secret.withCString { String(cString: $0) } == "ghp_abc123")
    }

    @Test func neverPrintsItself() throws {
        let path = try tokenFile("ghp_secretvalue")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = try TokenLoader.load(fromFile: path)
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
    }

    @Test func wipeZeroesTheBytes() throws {
        let path = try tokenFile("ghp_wipeme")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = try TokenLoader.load(fromFile: path)
        secret.wipe()
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
    }

    @Test func rejectsBadFiles() throws {
        let empty = try tokenFile("\n")
        let spaced = try tokenFile("ghp abc")
        let long = try tokenFile(String(repeating: "a", count: 5000))
        defer { for path in [empty, spaced, long] { try? FileManager.default.removeItem(atPath: path) } }
        #expect(throws: TokenError.empty(source: "GITHUB_TOKEN_FILE")) { try TokenLoader.load(fromFile: empty) }
        #expect(throws: TokenError.invalidCharacters(source: "GITHUB_TOKEN_FILE")) { try TokenLoader.load(fromFile: spaced) }
        #expect(throws: TokenError.tooLong(source: "GITHUB_TOKEN_FILE", limit: LockedSecret.capacity)) { try TokenLoader.load(fromFile: long) }
        #expect(throws: TokenError.notARegularFile(key: "GITHUB_TOKEN_FILE", path: "/tmp")) { try TokenLoader.load(fromFile: "/tmp") }
        do {
            _ = try TokenLoader.load(fromFile: "/nonexistent/token")
            Issue.record("a missing file must fail")
        } catch {
            #expect(error.description == "GITHUB_TOKEN_FILE: cannot read /nonexistent/token: No such file or directory")
        }
    }

    @Test func redactorScrubsEveryOccurrence() throws {
        let path = try tokenFile("ghp_tok")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let redactor = Redactor(secret: try TokenLoader.load(fromFile: path))
        #expect(redactor.redact("a ghp_tok b ghp_tokghp_tok") == "a [REDACTED] b [REDACTED][REDACTED]")
        #expect(redactor.redact("ghp_to") == "ghp_to")
        #expect(redactor.redact("") == "")
        #expect(redactor.redact("ünï ghp_tok ✓") == "ünï [REDACTED] ✓")
        #expect(Redactor(secret: nil).redact("ghp_tok") == "ghp_tok")
    }

    @Test func coreDumpsCanBeDisabled() throws {
        // Runs in the test process: afterwards it is simply not dumpable, which is harmless.
        try ProcessHardening.disableCoreDumps()
        #expect(!ProcessHardening.isDumpable)
    }
}
