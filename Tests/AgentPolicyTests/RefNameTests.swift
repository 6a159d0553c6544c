import AgentPolicy
import Testing

struct RefNameTests {
    @Test(arguments: [
        ("main", "refs/heads/main"), ("heads/main", "refs/heads/main"), ("refs/heads/main", "refs/heads/main"),
        ("tags/v1", "refs/tags/v1"), ("refs/tags/v1", "refs/tags/v1"), ("feature/x", "refs/heads/feature/x"),
    ])
    func normalises(_ raw: String, _ full: String) throws {
        let name = try RefName.parse(raw).get()
        #expect(name.fullName == full)
    }

    /// Where GitHub takes a branch's short name literally, what begins like a ref is refused.
    @Test(arguments: [
        ("main", "refs/heads/main"), ("feature/x", "refs/heads/feature/x"), ("Refs/x", "refs/heads/Refs/x"), ("x/heads/y", "refs/heads/x/heads/y"),
    ])
    func branchNamesAreLiteral(_ raw: String, _ full: String) throws {
        #expect(try RefName.parseBranchName(raw).get().fullName == full)
    }

    @Test(arguments: ["heads/main", "refs/heads/main", "tags/v1", "refs/tags/v1", "refs/pull/1/head", "", "a..b"])
    func branchNamesThatReadAsAnotherRefAreRefused(_ raw: String) {
        #expect(throws: RefNameProblem.self) { try RefName.parseBranchName(raw).get() }
    }

    @Test func shortNames() throws {
        #expect(try RefName.parse("refs/heads/a/b").get().shortName == "a/b")
        #expect(try RefName.parse("refs/tags/v1").get().kind == .tag)
    }

    @Test func combiningMarkAfterPrefixIsNotHidden() throws {
        // "refs/heads/" followed by a combining accent: Character-based hasPrefix would say no.
        let name = try RefName.parse("refs/heads/\u{301}main").get()
        #expect(name.kind == .branch)
        #expect(name.shortName == "\u{301}main")
    }

    @Test func overlongNamesAreRefused() {
        let result = RefName.parse("refs/heads/" + String(repeating: "a", count: 2000))
        guard case .failure(.invalid) = result else {
            Issue.record("expected an invalid-name failure")
            return
        }
    }

    @Test func updateFromObjectIDs() {
        let zero = String(repeating: "0", count: 40)
        let a = String(repeating: "a", count: 40)
        #expect(RefUpdate(ref: "x", oldID: zero, newID: a, isForced: true).change == .create)
        #expect(RefUpdate(ref: "x", oldID: zero, newID: a, isForced: true).isForced == false)
        #expect(RefUpdate(ref: "x", oldID: a, newID: zero, isForced: false).change == .delete)
        #expect(RefUpdate(ref: "x", oldID: a, newID: a, isForced: true).change == .update)
        #expect(RefUpdate(ref: "x", oldID: nil, newID: nil, isForced: false).change == .delete)
    }
}
