import AgentWorkspaceGuard
import Testing

/// Hooks and other files git runs or follows, `.git` files, and how repositories are recognised.
struct MetadataTests {
    static let identity = FileIdentity(device: 1, inode: 2, size: 3, modified: 4, modifiedNanoseconds: 5, changed: 6, changedNanoseconds: 7)
    static let touched = FileIdentity(device: 1, inode: 2, size: 3, modified: 4, modifiedNanoseconds: 5, changed: 9, changedNanoseconds: 7)
    static let hook = MetadataFile(kind: .regular, mode: 0o755, content: Array("#!/bin/sh\n".utf8), identity: identity)

    @Test func hooks() {
        func verdict(_ name: String, _ baseline: MetadataFile?, _ current: MetadataFile) -> GuardVerdict {
            MetadataReview.verdict(name: name, role: .hook, baseline: baseline, current: current)
        }
        #expect(verdict("pre-commit", nil, Self.hook) == .quarantine("a hook is new: git would run it"))
        #expect(verdict("pre-commit.sample", nil, Self.hook) == .keep)
        #expect(verdict("pre-commit.sample", nil, MetadataFile(kind: .symbolicLink, mode: 0o777, linkTarget: [0x78])) != .keep)
        #expect(verdict("pre-commit", Self.hook, Self.hook) == .keep)
        var same = Self.hook
        same.identity = Self.touched
        #expect(verdict("pre-commit", Self.hook, same) == .keep, "touched, same bytes")
        var changed = same
        changed.content = Array("#!/bin/sh\nevil\n".utf8)
        #expect(verdict("pre-commit", Self.hook, changed) == .quarantine("a hook changed since the session started"))
        var executable = MetadataFile(kind: .regular, mode: 0o644, content: Self.hook.content, identity: Self.identity)
        #expect(verdict("pre-commit", executable, Self.hook) != .keep, "made executable")
        executable.content = nil
        var unread = Self.hook
        unread.content = nil
        unread.identity = Self.touched
        #expect(verdict("pre-commit", Self.hook, unread) != .keep, "changed identity and no content to compare: fail closed")
        let link = MetadataFile(kind: .symbolicLink, mode: 0o777, linkTarget: Array("../../x".utf8))
        var otherLink = link
        otherLink.linkTarget = Array("../../y".utf8)
        #expect(verdict("pre-commit", link, link) == .keep)
        #expect(verdict("pre-commit", link, otherLink) != .keep)
        #expect(verdict("pre-commit", Self.hook, link) != .keep)
    }

    @Test func gitDirectories() {
        #expect(GitDirectoryLayout.isGitDirectory(["HEAD": .regular, "objects": .directory, "refs": .directory]))
        #expect(GitDirectoryLayout.isGitDirectory(["HEAD": .symbolicLink, "objects": .symbolicLink, "refs": .directory]))
        #expect(GitDirectoryLayout.isGitDirectory(["HEAD": .regular, "commondir": .regular]))
        #expect(!GitDirectoryLayout.isGitDirectory(["HEAD": .regular, "objects": .directory]))
        #expect(!GitDirectoryLayout.isGitDirectory(["objects": .directory, "refs": .directory, "config": .regular]))
        #expect(!GitDirectoryLayout.isGitDirectory(["HEAD": .directory, "objects": .directory, "refs": .directory]))
    }

    @Test func gitFiles() {
        #expect(GitDirectoryLayout.gitFileTarget(Array("gitdir: ../.git/modules/x\n".utf8)) == Array("../.git/modules/x".utf8))
        #expect(GitDirectoryLayout.gitFileTarget(Array("gitdir: /w/a/.git/worktrees/b\r\n".utf8)) == Array("/w/a/.git/worktrees/b".utf8))
        #expect(GitDirectoryLayout.gitFileTarget(Array("gitdir:x\n".utf8)) == nil)
        #expect(GitDirectoryLayout.gitFileTarget(Array("gitdir: \n".utf8)) == nil)
        #expect(GitDirectoryLayout.commonDirectoryTarget(Array("../..\n".utf8)) == Array("../..".utf8))
    }

    @Test(
        arguments: [
            ("../.git/modules/x", ["app"], ["", ".git", "modules", "x"].filter { !$0.isEmpty } as [String]?),
            ("/workspace/app/.git", ["sub"], ["app", ".git"]), ("/workspace", ["a"], []), ("/workspacex/a", ["a"], nil),
            ("/elsewhere/.git", ["a"], nil), ("../../..", ["a", "b"], nil), ("./x/./y/../z", ["a"], ["a", "x", "z"]),
            ("//workspace//a", [], nil),
        ] as [(String, [String], [String]?)])
    func pathsResolveInsideTheWorkspaceOnly(_ target: String, _ from: [String], _ expected: [String]?) {
        #expect(GitDirectoryLayout.resolve(Array(target.utf8), from: from, workspaceRoot: "/workspace/") == expected)
    }

    @Test func manifestsKeepEveryValueOnItsLine() throws {
        let record = QuarantineRecord(
            id: "20261201-120000-0001", kind: .configEntry, repository: "app/.git", origin: "app/.git/config",
            key: "url.https://e/\nid=forged.insteadof", rule: "100% \"bad\"", time: "2026-12-01T12:00:00.000Z")
        #expect(record.manifest.split(separator: "\n").count == 8)
        #expect(record.manifest.contains("key=url.https://e/%0Aid=forged.insteadof\n"))
        #expect(QuarantineRecord.parse(record.manifest) == record)
        #expect(record.manifest.contains("restore=append\n"))
    }

    @Test func identifiersSortByTime() {
        var identifiers = QuarantineIdentifier()
        #expect(identifiers.next(secondsSince1970: 0) == "19700101-000000-0001")
        #expect(identifiers.next(secondsSince1970: 1_796_128_215) == "20261201-123015-0002")
        #expect(identifiers.next(secondsSince1970: 951_782_400) == "20000229-000000-0003")
    }
}
