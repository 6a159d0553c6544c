import AgentPolicy
import AgentTestSupport
import Foundation
import Testing

/// Runs every case of `Fixtures/policy/protected-paths.json` through `ContentRules`.
struct ContentRulesTests {
    struct Table: Decodable {
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            var patterns: [String]?
            var path: String
            var protected: Bool
            var note: String?
            var testDescription: String { "\(patterns?.joined(separator: ",") ?? "defaults") ~ \(path.debugDescription)" }
        }

        struct Invalid: Decodable, Sendable, CustomTestStringConvertible {
            var pattern: String
            var problem: String
            var testDescription: String { pattern.debugDescription }
        }

        var cases: [Case]
        var invalid: [Invalid]
    }

    static let table: Table = {
        do {
            return try JSONDecoder().decode(Table.self, from: FixturePaths.data("policy/protected-paths.json"))
        } catch {
            fatalError("Fixtures/policy/protected-paths.json cannot be read: \(error)")
        }
    }()

    @Test(arguments: table.cases)
    func protectedPaths(_ entry: Table.Case) throws {
        var rules = ContentRules.defaults
        if let patterns = entry.patterns { rules.protectedPaths = try patterns.map { try PathPattern($0) } }
        #expect((rules.protection(of: entry.path) != nil) == entry.protected, "\(entry.note ?? "")")
    }

    @Test(arguments: table.invalid)
    func invalidPatternsAreRefusedWithTheirProblem(_ entry: Table.Invalid) {
        #expect(throws: PathPatternError(pattern: entry.pattern, problem: entry.problem)) { _ = try PathPattern(entry.pattern) }
    }

    @Test func pathsAreComparedAsBytes() throws {
        let rules = ContentRules(protectedPaths: [try PathPattern("caf\u{E9}/**")])
        #expect(rules.protection(of: Array("caf\u{E9}/x".utf8)) != nil)
        // The same name in decomposed form is another path for git.
        #expect(rules.protection(of: Array("cafe\u{301}/x".utf8)) == nil)
        #expect(rules.protection(of: [0x63, 0x61, 0x66, 0xE9, 0x2F, 0x78]) == nil, "Latin-1 bytes are not the UTF-8 name")
    }

    @Test func theAllowListSkipsFormatsOnly() throws {
        let rules = ContentRules(protectedPaths: [], secretScanAllow: [try PathPattern("test/fixtures/**")])
        #expect(!rules.scansFormats(at: Array("test/fixtures/keys.txt".utf8)))
        #expect(rules.scansFormats(at: Array("test/keys.txt".utf8)))
        let off = ContentRules(protectedPaths: [], secretScan: .off)
        #expect(!off.scansFormats(at: Array("x".utf8)))
    }

    @Test func refusalsNameThePathAndTheRuleAndEscapeWhatCouldBreakALine() {
        #expect(ContentDenial.protectedPath(".github/workflows/ci.yml").message == "path '.github/workflows/ci.yml' is protected (PROTECTED_PATHS)")
        #expect(ContentDenial.protectedPath(".github/workflows/a\nb.yml").message == "path '.github/workflows/a\\u{a}b.yml' is protected (PROTECTED_PATHS)")
        let finding = SecretFinding(kind: "GitHub token", line: 3, isHeld: false)
        #expect(
            ContentDenial.secret(finding, in: ContentDenial.quoted("config/prod.env")).message
                == "possible secret in 'config/prod.env' line 3: GitHub token (SECRET_SCAN)")
        #expect(ContentDenial.protectedPath(".github/workflows/ci.yml").code == .pathProtected)
        #expect(ContentDenial.secret(finding, in: "x").code == .secretDetected)
    }
}
