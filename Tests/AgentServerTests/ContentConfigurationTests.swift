import AgentPolicy
import Testing

@testable import AgentServer

/// PROTECTED_PATHS, SECRET_SCAN and SECRET_SCAN_ALLOW as the environment gives them.
struct ContentConfigurationTests {
    func parse(_ environment: [String: String]) throws(ConfigurationError) -> ContentRules {
        try ConfigurationParser(environment: environment, ownUID: 1).parse().0.content
    }

    @Test func defaultsProtectWorkflowsAndBlockSecrets() throws {
        let rules = try parse([:])
        #expect(rules.protectedPaths.map(\.source) == [".github/workflows/**", ".github/actions/**"])
        #expect(rules.secretScan == .block)
        #expect(rules.secretScanAllow.isEmpty)
        #expect(try parse(["PROTECTED_PATHS": " "]).protectedPaths.count == 2, "an empty value is not set")
    }

    @Test func valuesAsTheSeedWritesThem() throws {
        let rules = try parse([
            "PROTECTED_PATHS": #"["docs/**","Makefile"]"#, "SECRET_SCAN": "WARN", "SECRET_SCAN_ALLOW": "test/fixtures/**,spec/*.pem",
        ])
        #expect(rules.protectedPaths.map(\.source) == ["docs/**", "Makefile"])
        #expect(rules.secretScan == .warn)
        #expect(rules.secretScanAllow.map(\.source) == ["test/fixtures/**", "spec/*.pem"])
        #expect(try parse(["PROTECTED_PATHS": "[]", "SECRET_SCAN": "off"]) == ContentRules(protectedPaths: [], secretScan: .off))
    }

    @Test(arguments: [
        ("SECRET_SCAN", "maybe", "SECRET_SCAN: expected block, warn or off, not 'maybe'"),
        (
            "PROTECTED_PATHS", #"["/etc/passwd"]"#,
            "PROTECTED_PATHS: invalid path pattern '/etc/passwd': paths are relative to the repository's root; leave out the leading '/'"
        ),
        ("SECRET_SCAN_ALLOW", #"["a//b"]"#, "SECRET_SCAN_ALLOW: invalid path pattern 'a//b': it contains '//'"),
        ("PROTECTED_PATHS", "docs/**,", "PROTECTED_PATHS: 'docs/**,' is neither a JSON list nor a comma-separated list without empty entries"),
    ])
    func unusableValuesStopTheAgentNamingTheKey(_ key: String, _ value: String, _ message: String) {
        #expect(throws: ConfigurationError.self) { _ = try parse([key: value]) }
        do {
            _ = try parse([key: value])
        } catch {
            #expect(error.description == message)
        }
    }
}
