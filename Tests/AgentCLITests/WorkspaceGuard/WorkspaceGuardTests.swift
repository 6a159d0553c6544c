import AgentTestSupport
import Foundation
import Testing

/// Issue 13: what a session writes into the project's git metadata must not run as the person
/// when they use git on the host. Each case writes as the container would, waits until the real
/// command-agent has quarantined it (read from its audit log: readiness, not time), then runs the
/// person's stock git through every command that could fire it. The same write in a project no
/// agent watches must fire (so each case can fail).
struct WorkspaceGuardTests {
    /// A guarded project (the agent's workspace) and an unguarded control, built alike.
    struct Pair {
        let agent: AgentUnderTest
        let guarded: HostProject
        let control: HostProject
        let workspace: TemporaryDirectory
        let controlRoot: TemporaryDirectory

        static func make(prepare: (HostProject) async throws -> Void = { _ in }) async throws -> Pair {
            let workspace = try TemporaryDirectory(prefix: "guarded")
            let controlRoot = try TemporaryDirectory(prefix: "control")
            let guarded = try await HostProject(root: workspace.path)
            let control = try await HostProject(root: controlRoot.path)
            try await prepare(guarded)
            try await prepare(control)
            let agent = try await AgentUnderTest(environment: ["AGENT_WORKSPACE": workspace.path])
            return Pair(agent: agent, guarded: guarded, control: control, workspace: workspace, controlRoot: controlRoot)
        }

        /// Waits until every text appears in the agent's audit log.
        func waitForAudit(_ texts: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            // Generous: a readiness wait costs nothing when it succeeds, and this machine is shared.
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                let log = agent.auditLog
                if texts.allSatisfy({ log.contains($0) }) { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("not quarantined: \(texts.filter { !agent.auditLog.contains($0) })\naudit:\n\(agent.auditLog)", sourceLocation: sourceLocation)
        }

        var quarantineLines: [String] { agent.auditLog.split(separator: "\n").map(String.init).filter { $0.contains(#""operation":"quarantine""#) } }
    }

    @Test(arguments: HostileWrite.keys + HostileWrite.hooks.map(HostileWrite.hook) + HostileWrite.structures)
    func nothingTheSessionWritesRunsOnTheHost(_ write: HostileWrite) async throws {
        let pair = try await Pair.make()

        // Without the agent the write takes effect: the test can fail.
        try await write.apply(pair.control)
        let controlOutput = try await HostBattery.run(in: pair.control)
        switch write.evidence {
        case .runs: #expect(!pair.control.ran.isEmpty, "without the agent nothing ran either:\n\(controlOutput)")
        case .output(let text): #expect(controlOutput.contains(text), "without the agent git did not go to \(text):\n\(controlOutput)")
        }

        try await write.apply(pair.guarded)
        try await pair.waitForAudit(write.quarantined)
        let guardedOutput = try await HostBattery.run(in: pair.guarded)
        #expect(pair.guarded.ran.isEmpty, "ran on the host: \(pair.guarded.ran)\n\(guardedOutput)")
        if case .output(let text) = write.evidence {
            #expect(!guardedOutput.contains(text), "host git still goes to \(text):\n\(guardedOutput)")
        }
        #expect(!pair.agent.allOutput.contains(AgentUnderTest.canaryToken))
        // The audit names keys and paths, never the values written.
        #expect(!pair.agent.auditLog.contains(pair.guarded.evil), "the audit log holds a value the session wrote")
    }
}
