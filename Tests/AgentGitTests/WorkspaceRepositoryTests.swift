import AgentSystem
import Foundation
import Testing

@testable import AgentGit

/// The layout of a workspace repository is read by descriptor, with git's rules for refs,
/// worktrees and alternates, and the private view answers as git would.
struct WorkspaceRepositoryTests {
    @Test func refsHeadPackedAndLooseAreMirroredIntoTheView() async throws {
        let fixture = try await RepositoryFixture()
        let ids = try await fixture.makeHistory(commits: 3)
        try await fixture.git(["branch", "packed", ids[0]])
        try await fixture.git(["pack-refs", "--all"])
        try await fixture.git(["update-ref", "refs/heads/packed", ids[1]])  // loose wins over packed
        try await fixture.git(["tag", "light", ids[0]])
        try await fixture.git(["symbolic-ref", "refs/remotes/origin/HEAD", "refs/heads/main"])
        let repository = try fixture.open()
        #expect(repository.references.head == .symbolic("refs/heads/main"))
        #expect(repository.references.references["refs/heads/packed"] == .object(try #require(ObjectID(hex: ids[1]))))
        let view = try fixture.view()
        for (revision, expected) in [("HEAD", ids[2]), ("HEAD~1", ids[1]), ("main~2", ids[0]), ("packed", ids[1]), ("light", ids[0])] {
            #expect(try view.repository.resolve(revision).hex == expected, "\(revision)")
        }
        #expect(try view.repository.resolve(String(ids[1].prefix(10))).hex == ids[1], "a short id")
        #expect(try view.repository.resolve("origin/HEAD").hex == ids[2])
        #expect(throws: GitError.self) { try view.repository.resolve("nope") }
        #expect(view.repository.isAncestor(try #require(ObjectID(hex: ids[0])), of: try #require(ObjectID(hex: ids[2]))) == true)
        #expect(view.repository.isAncestor(try #require(ObjectID(hex: ids[2])), of: try #require(ObjectID(hex: ids[0]))) == false)
    }

    @Test func brokenAndOddRefsAreLeftOutNotEchoed() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 1)
        try "SECRET-NOT-A-REF\n".write(toFile: fixture.gitDirectory + "/refs/heads/broken", atomically: true, encoding: .utf8)
        try "0000\n".write(toFile: fixture.gitDirectory + "/refs/heads/short", atomically: true, encoding: .utf8)
        let repository = try fixture.open()
        #expect(repository.references.references["refs/heads/broken"] == nil)
        #expect(repository.references.references["refs/heads/short"] == nil)
        #expect(repository.references.references["refs/heads/main"] != nil)
    }

    @Test func limitsAreEnforcedBeforeReading() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 1)
        var limits = WorkspaceLimits()
        limits.references = 1
        try await fixture.git(["branch", "second"])
        #expect(throws: WorkspaceError.self) { _ = try fixture.open(limits: limits) }
        limits = WorkspaceLimits()
        limits.smallFile = 10
        do {
            _ = try fixture.open(limits: limits)
            Issue.record("a HEAD over the limit was read")
        } catch let error as WorkspaceError {
            #expect(error.message.contains("/HEAD is larger than 10 bytes"), "\(error)")
        }
    }

    @Test func alternatesAreResolvedFromTheirObjectDirectoryAndNestAtMostFiveDeep() async throws {
        let fixture = try await RepositoryFixture()
        let ids = try await fixture.makeHistory(commits: 2)
        // Six stores chained by relative alternates, each beside the previous.
        var previous = fixture.gitDirectory + "/objects"
        for level in 1...6 {
            let store = fixture.workspace + "/store\(level)/objects"
            try FileManager.default.createDirectory(atPath: store + "/info", withIntermediateDirectories: true)
            try ("../../store\(level)/objects\n").write(toFile: previous + "/info/alternates", atomically: true, encoding: .utf8)
            if level == 1 {
                // The repository's first alternate is relative to its own objects directory.
                try ("../../../store1/objects\n").write(toFile: previous + "/info/alternates", atomically: true, encoding: .utf8)
            }
            previous = store
        }
        do {
            _ = try fixture.open()
            Issue.record("alternates nested six deep were followed")
        } catch let error as WorkspaceError {
            #expect(error.rule == .tooMany, "\(error)")
        }
        try FileManager.default.removeItem(atPath: fixture.workspace + "/store5/objects/info/alternates")
        let repository = try fixture.open()
        #expect(repository.objectDirectories.count == 6, "\(repository.objectDirectories)")
        _ = ids
    }

    /// Every alternates entry read counts, the missing and repeated ones too, over all files: a
    /// flood is refused at the file that goes over the limit, and nothing is walked twice.
    @Test func alternatesEntriesAreCountedInAll() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 1)
        let objects = fixture.gitDirectory + "/objects"
        try FileManager.default.createDirectory(atPath: objects + "/alt/info", withIntermediateDirectories: true)
        try (String(repeating: "missing\n", count: 6)).write(toFile: objects + "/alt/info/alternates", atomically: true, encoding: .utf8)
        try ("alt\nalt\n# a comment\n\n" + String(repeating: "gone\n", count: 3)).write(
            toFile: objects + "/info/alternates", atomically: true, encoding: .utf8)
        var limits = WorkspaceLimits()
        // 5 entries in the repository's file (alt twice, gone three times), 6 in alt's: 11.
        limits.alternatesEntries = 11
        let repository = try fixture.open(limits: limits)
        #expect(repository.objectDirectories.count == 2, "\(repository.objectDirectories)")
        limits.alternatesEntries = 10
        do {
            _ = try fixture.open(limits: limits)
            Issue.record("11 alternates entries were read with a limit of 10")
        } catch let error as WorkspaceError {
            #expect(error.rule == .tooMany, "\(error)")
            #expect(error.message.contains("/objects/alt/info/alternates brings"), "\(error)")
            #expect(!error.message.contains("missing"), "an entry was echoed: \(error)")
        }
    }

    /// The layout is read under the operation's deadline: once it has passed, nothing more is read.
    @Test func readingTheLayoutStopsAtTheDeadline() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 1)
        do {
            _ = try WorkspaceRepository(
                gitDirectory: fixture.gitDirectory, root: try ContainedDirectory.openRoot(fixture.workspace), workspace: fixture.workspace,
                control: OperationControl(deadline: .now))
            Issue.record("the layout was read past the deadline")
        } catch let error as WorkspaceError {
            #expect(error.rule == .stopped && error.code == "timeout", "\(error)")
        }
    }

    @Test(arguments: ["receive-pack advertisement", "empty repository"])
    func receivePackCapabilitiesAreRead(_ name: String) throws {
        func line(_ text: String) -> [UInt8] { Array(String(format: "%04x", text.utf8.count + 4).utf8) + Array(text.utf8) }
        let zero = String(repeating: "0", count: 40)
        let first =
            name == "empty repository"
            ? line("\(zero) capabilities^{}\0report-status delete-refs side-band-64k quiet atomic ofs-delta\n")
            : line("\(String(repeating: "a", count: 40)) refs/heads/main\0report-status atomic push-options\n")
        let advertisement = line("# service=git-receive-pack\n") + Array("0000".utf8) + first + line("\(zero) refs/heads/x\n") + Array("0000".utf8)
        #expect(PktLine.receivePackCapabilities(advertisement)?.contains("atomic") == true)
        #expect(PktLine.receivePackCapabilities(Array(advertisement.prefix(40))) == nil, "incomplete")
    }

    @Test func atomicIsAddedToTheFirstCommandOnly() throws {
        let zero = String(repeating: "0", count: 40)
        let one = String(repeating: "1", count: 40)
        let firstPayload = "\(zero) \(one) refs/heads/a\0 report-status side-band-64k\n"
        let secondPayload = "\(zero) \(one) refs/heads/b\n"
        func line(_ text: String) -> [UInt8] { Array(String(format: "%04x", text.utf8.count + 4).utf8) + Array(text.utf8) }
        let commands = line(firstPayload) + line(secondPayload) + Array("0000".utf8)
        let atomic = try #require(PktLine.addingAtomic(to: commands))
        #expect(atomic == line("\(zero) \(one) refs/heads/a\0 report-status side-band-64k atomic\n") + line(secondPayload) + Array("0000".utf8))
        #expect(PktLine.addingAtomic(to: Array("zzzz".utf8)) == nil)
        #expect(PktLine.addingAtomic(to: line(secondPayload)) == nil, "no capabilities: refuse rather than send a non-atomic push")
    }
}
