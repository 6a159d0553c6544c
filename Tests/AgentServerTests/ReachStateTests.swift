import AgentPolicy
import AgentTestSupport
import Foundation
import Testing

@testable import AgentServer

/// What `AGENT_STATE_DIR` keeps besides the branches: the first default `ALLOWED_REPOS`, and the
/// last tip the agent set on each of its branches (issue 15, findings 4 and 5).
struct ReachStateTests {
    @Test func theStoredListRoundTripsAndRefusesAnythingElse() throws {
        let list = RepositoryAllowlist([try RepositoryPattern("o/app"), try RepositoryPattern("lib/*")])
        #expect(StoredRepositoryList.decode(StoredRepositoryList.encode(list)) == list)
        #expect(StoredRepositoryList.decode(StoredRepositoryList.encode(RepositoryAllowlist([]))) == RepositoryAllowlist([]), "an empty list stays empty")
        let header = StoredRepositoryList.header + "\n"
        for bad in ["", "other\n", header + "not a repo\n", header + "O/App\n", header + "o/app", header + "o/app\n\n"] {
            #expect(StoredRepositoryList.decode(Array(bad.utf8)) == nil, "\(bad.debugDescription)")
        }
    }

    @Test func theFirstListIsKeptAndOnlyAnExplicitOneReplacesIt() throws {
        let directory = try TemporaryDirectory(prefix: "state")
        let workspace = try TemporaryDirectory(prefix: "workspace")
        let stored = StoredRepositoryList(directory: try BranchStateFile.open(directory.sub("agent"), workspace: workspace.path))
        #expect(try stored.read() == nil)
        try stored.write(RepositoryAllowlist([try RepositoryPattern("o/app")]))
        let again = StoredRepositoryList(directory: try BranchStateFile.open(directory.sub("agent"), workspace: workspace.path))
        #expect(try again.read()?.description == "o/app")
        try FileManager.default.removeItem(atPath: directory.sub("agent/allowed-repos"))
        try "command-agent allowed repositories 1\nx/../y\n".write(toFile: directory.sub("agent/allowed-repos"), atomically: false, encoding: .utf8)
        #expect(throws: BranchStateFile.Failure.self) { try again.read() }
    }

    @Test func anOwnLineWithoutATipIsReadAsAnUnknownTip() throws {
        let text = BranchState.header + "\nown\to/app\trefs/heads/claude/old\n"
        let state = try BranchState.decode(Array(text.utf8), ownCapacity: 10, deletedCapacity: 10)
        #expect(state.own.count == 1 && state.own[0].tip == nil)
        #expect(throws: BranchState.Problem.self) {
            try BranchState.decode(Array((BranchState.header + "\nown\to/app\trefs/heads/x\t\n").utf8), ownCapacity: 10, deletedCapacity: 10)
        }
    }

    @Test func theLedgerKeepsTheLastTipTheAgentSet() throws {
        let directory = try TemporaryDirectory(prefix: "state")
        let workspace = try TemporaryDirectory(prefix: "workspace")
        let file = try BranchStateFile.open(directory.sub("agent"), workspace: workspace.path)
        let ledger = try BranchLedger.load(settings: .defaults, file: file)
        let first = String(repeating: "a", count: 40)
        let second = String(repeating: "b", count: 40)
        ledger.recordCreation(branch: "refs/heads/claude/x", repository: "o/app", tip: first)
        ledger.recordTip(branch: "refs/heads/claude/x", repository: "o/app", tip: second)
        ledger.recordTip(branch: "refs/heads/theirs", repository: "o/app", tip: first)
        ledger.recordCreation(branch: "refs/heads/claude/api", repository: "o/app")
        let again = try BranchLedger.load(settings: .defaults, file: file)
        #expect(again.ownTip(branch: "refs/heads/claude/x", repository: "O/App") == second)
        #expect(!again.isOwn(branch: "refs/heads/theirs", repository: "o/app"), "a tip alone does not make a branch the agent's")
        #expect(again.isOwn(branch: "refs/heads/claude/api", repository: "o/app"))
        #expect(again.ownTip(branch: "refs/heads/claude/api", repository: "o/app") == nil, "created through the API: tip unknown")
    }
}
