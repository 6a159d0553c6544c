import AgentPolicy
import Foundation
import Testing

@testable import AgentGit

/// The inspector on real repositories: what counts as a change per commit, and trees it refuses.
struct PushContentInspectorTests {
    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines))) }

    func inspect(_ fixture: RepositoryFixture, _ tip: ObjectID, remote: [ObjectID] = [], rules: ContentRules = .defaults) throws -> ContentInspection {
        try PushContentInspector.inspect(try fixture.view().repository, sending: [tip], remoteHas: remote, rules: rules, held: .none, control: nil)
    }

    @Test func aFileReplacedByAFolderAndBackIsSeenAtEveryPath() async throws {
        let fixture = try await RepositoryFixture()
        try fixture.write(".github", "not a folder\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "a file named .github"])
        let base = try id(try await fixture.git(["rev-parse", "HEAD"]))
        try await fixture.git(["rm", "-q", ".github"])
        try fixture.write(".github/workflows/ci.yml", "on: push\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "a folder now"])
        let tip = try id(try await fixture.git(["rev-parse", "HEAD"]))
        // `.github` (the file that goes) sorts before `.github/workflows/ci.yml`.
        #expect(try inspect(fixture, tip, remote: [base]).verdicts == [.protectedPath(".github")])
        let narrower = ContentRules(protectedPaths: [try PathPattern("**/ci.yml")])
        #expect(try inspect(fixture, tip, remote: [base], rules: narrower).verdicts == [.protectedPath(".github/workflows/ci.yml")])
        #expect(try inspect(fixture, tip, remote: [tip]).verdicts == [.clean], "nothing new")
    }

    /// Trees git would never write: entries out of order, or one name twice. A walk that trusted
    /// their order could pair the wrong entries and miss a change.
    @Test(arguments: [("b.txt", "a.txt"), ("a.txt", "a.txt")])
    func treesOutOfGitsOrderAreRefused(_ first: String, _ second: String) async throws {
        let fixture = try await RepositoryFixture()
        let blob = try await fixture.git(["hash-object", "-w", "--stdin"], input: Data("x\n".utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
        var tree = Data()
        for name in [first, second] {
            tree.append(Data("100644 \(name)\0".utf8))
            tree.append(Data(try #require(Self.bytes(hex: blob))))
        }
        let treeID = try await fixture.git(["hash-object", "-t", "tree", "-w", "--literally", "--stdin"], input: tree)
        let commit = try await fixture.git(["commit-tree", treeID.trimmingCharacters(in: .whitespacesAndNewlines), "-m", "odd"])
        #expect(throws: PushRefusal.self) { _ = try inspect(fixture, try id(commit)) }
    }

    @Test func rulesOffInspectNothing() async throws {
        let fixture = try await RepositoryFixture()
        try fixture.write(".github/workflows/ci.yml", "on: push\n")
        try await fixture.git(["add", "-A"])
        try await fixture.git(["commit", "-q", "-m", "workflow"])
        let tip = try id(try await fixture.git(["rev-parse", "HEAD"]))
        let inspection = try inspect(fixture, tip, rules: .disabled)
        #expect(inspection.verdicts == [.clean])
        #expect(inspection.scannedBlobs == 0)
        #expect(try inspect(fixture, tip).verdicts == [.protectedPath(".github/workflows/ci.yml")])
    }

    static func bytes(hex: String) -> [UInt8]? {
        var result: [UInt8] = []
        var characters = Array(hex.utf8)[...]
        while characters.count >= 2 {
            guard let byte = UInt8(String(decoding: characters.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            result.append(byte)
            characters = characters.dropFirst(2)
        }
        return result.count == 20 ? result : nil
    }
}
