import AgentPolicy
import Foundation
import Testing

@testable import AgentGit

/// The inspector on merges, several tips, tags and warnings: what a commit brings is judged
/// against all of its parents and, for a merge, the merge bases.
struct PushContentMergeTests {
    static let ci = ".github/workflows/ci.yml"

    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines))) }

    func head(_ fixture: RepositoryFixture) async throws -> ObjectID { try id(try await fixture.git(["rev-parse", "HEAD"])) }

    func commit(_ fixture: RepositoryFixture, _ files: [String: String], _ message: String) async throws -> ObjectID {
        for (name, text) in files { try fixture.write(name, text) }
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "--allow-empty", "-m", message])
        return try await head(fixture)
    }

    func inspect(
        _ fixture: RepositoryFixture, _ tips: [ObjectID], remote: [ObjectID], rules: ContentRules = .defaults
    ) throws -> ContentInspection {
        try PushContentInspector.inspect(try fixture.view().repository, sending: tips, remoteHas: remote, rules: rules, held: .none, control: nil)
    }

    /// A base with a workflow; `a` changes the workflow, `b` and `c` change documentation. The
    /// upstream has all three.
    func octopusFixture() async throws -> (RepositoryFixture, a: ObjectID, b: ObjectID, c: ObjectID) {
        let fixture = try await RepositoryFixture()
        _ = try await commit(fixture, [Self.ci: "on: push\n", "docs/a.md": "a\n", "docs/b.md": "b\n"], "base")
        try await fixture.git(["checkout", "-q", "-b", "a"])
        let a = try await commit(fixture, [Self.ci: "on: [push]\n# hardened\n"], "harden the workflow")
        try await fixture.git(["checkout", "-q", "-b", "b", "main"])
        let b = try await commit(fixture, ["docs/a.md": "a, better\n"], "docs a")
        try await fixture.git(["checkout", "-q", "-b", "c", "main"])
        let c = try await commit(fixture, ["docs/b.md": "b, better\n"], "docs b")
        return (fixture, a, b, c)
    }

    @Test func anOctopusMergeOfTheUpstreamsBranchesIsNotAChange() async throws {
        let (fixture, a, b, c) = try await octopusFixture()
        try await fixture.git(["merge", "-q", "--no-edit", "a", "b"])
        let merge = try await head(fixture)
        #expect(try await fixture.git(["rev-list", "--parents", "-n", "1", "HEAD"]).split(separator: " ").count == 4, "three parents")
        #expect(try inspect(fixture, [merge], remote: [a, b, c]).verdicts == [.clean])
    }

    @Test func anOctopusMergeThatKeepsAStaleWorkflowIsAChange() async throws {
        let (fixture, a, b, c) = try await octopusFixture()
        // Parents a, b, c; the tree takes c's copy of the workflow (the base's), undoing a's change.
        try await fixture.git(["merge", "-q", "--no-edit", "a", "b"])
        try await fixture.git(["checkout", "-q", c.hex, "--", Self.ci])  // (branch c moved to the merge)
        let tree = try await fixture.git(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let stale = try id(try await fixture.git(["commit-tree", tree, "-p", c.hex, "-p", a.hex, "-p", b.hex, "-m", "octopus, stale"]))
        #expect(try inspect(fixture, [stale], remote: [a, b, c]).verdicts == [.protectedPath(Self.ci)])
        // The same merge with the rule off, or another rule, lands.
        let docsOnly = ContentRules(protectedPaths: [try PathPattern("docs/**")], secretScan: .off)
        #expect(try inspect(fixture, [stale], remote: [a, b, c], rules: docsOnly).verdicts == [.clean])
    }

    /// A table of what merging gives at one path, from the parents' versions and the base's.
    @Test(arguments: [
        // (parents, base, what merging may give)
        (["1", "1"], "1", ["1"]),  // nobody changed it
        (["2", "1"], "1", ["2"]),  // one side changed it
        (["1", "2"], "1", ["2"]),
        (["2", "2"], "1", ["2"]),  // both made the same change
        (["2", "3"], "1", ["2", "3"]),  // a conflict: either side
        (["", "1"], "1", [""]),  // one side deleted it
        (["2", "1", "1"], "1", ["2"]),  // octopus, one side changed it
        (["1", "1"], "", ["1"]),  // added on both sides alike, no base
    ])
    func whatMergingGives(_ parents: [String], _ base: String, _ expected: [String]) {
        func leaf(_ text: String) -> TreeLeaf? {
            guard let digit = UInt8(text) else { return nil }
            return [UInt8](repeating: digit, count: 20).withUnsafeBytes { TreeLeaf(mode: 0o100644, id: RawObjectID($0)) }
        }
        #expect(MergeRule.expected(versions: parents.map(leaf), base: leaf(base)) == Set(expected.map(leaf)))
    }

    @Test func aCommitSharedByTwoTipsRefusesBoth() async throws {
        let fixture = try await RepositoryFixture()
        let base = try await commit(fixture, ["README.md": "x\n"], "base")
        _ = try await commit(fixture, [Self.ci: "on: push\n"], "workflow")
        let first = try await commit(fixture, ["docs/one.md": "1\n"], "one")
        let second = try await commit(fixture, ["docs/two.md": "2\n"], "two")
        let inspection = try inspect(fixture, [first, second, base], remote: [base])
        #expect(inspection.verdicts == [.protectedPath(Self.ci), .protectedPath(Self.ci), .clean])
    }

    @Test func anAnnotatedTagIsScannedAsSentAndPeeledToItsCommit() async throws {
        let fixture = try await RepositoryFixture()
        let base = try await commit(fixture, ["README.md": "x\n"], "base")
        let key = "AK" + "IA" + String(repeating: "Q7", count: 8)
        try await fixture.git(["tag", "-a", "v1", "-m", "release\n\nkey \(key)"])
        let tag = try id(try await fixture.git(["rev-parse", "v1"]))
        let verdicts = try inspect(fixture, [tag], remote: [base]).verdicts
        guard case .secret(let finding, let place) = verdicts.first else {
            Issue.record("the tag's message was not scanned: \(verdicts)")
            return
        }
        #expect(finding.kind == "AWS access key ID" && finding.line == 8)
        #expect(place == "tag \(tag.hex.prefix(12))")
        _ = try await commit(fixture, [Self.ci: "on: push\n"], "workflow")
        try await fixture.git(["tag", "-a", "v2", "-m", "release 2"])
        #expect(try inspect(fixture, [try id(try await fixture.git(["rev-parse", "v2"]))], remote: [base]).verdicts == [.protectedPath(Self.ci)])
    }

    @Test func warnModeReportsFormatsAndLetsThemThrough() async throws {
        let fixture = try await RepositoryFixture()
        let base = try await commit(fixture, ["README.md": "x\n"], "base")
        let token = "gh" + "p_" + String(repeating: "aB3d", count: 9)
        let tip = try await commit(fixture, ["config/a.env": "# a\nTOKEN=\(token)\n", "test/fixtures/b.env": "\(token)\n"], "keys")
        var rules = ContentRules(protectedPaths: [], secretScan: .warn, secretScanAllow: [try PathPattern("test/fixtures/**")])
        let warned = try inspect(fixture, [tip], remote: [base], rules: rules)
        #expect(warned.verdicts == [.clean])
        #expect(warned.warnings.map(\.message) == ["possible secret in 'config/a.env' line 2: GitHub token (SECRET_SCAN=warn: pushed anyway)"])
        #expect(warned.scannedBlobs == 2)
        rules.secretScan = .block
        let blocked = try inspect(fixture, [tip], remote: [base], rules: rules)
        #expect(blocked.verdicts.first?.denial?.message == "possible secret in 'config/a.env' line 2: GitHub token (SECRET_SCAN)")
    }
}
