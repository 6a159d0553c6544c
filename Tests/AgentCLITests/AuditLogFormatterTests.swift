import AgentClient
import AgentTestSupport
import Foundation
import Testing

/// `./run.sh --logs` shows the agent's log through `agent-status --format-log`: audit lines read
/// as time, decision, what and why; nothing in a line can drive the terminal.
@Suite struct AuditLogFormatterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let line: String
        let expected: String
        var testDescription: String { expected }
    }

    @Test(arguments: [
        Case(
            line:
                #"{"time":"2026-11-29T03:27:49.120Z","peer_uid":1000,"peer_pid":0,"socket":"git.sock","operation":"push","repository":"o/app","refs":["refs/heads/main"],"decision":"deny","reason":"refs/heads/main: branch 'main' is protected (BLOCKED_BRANCHES)","duration_ms":1.5}"#,
            expected:
                "2026-11-29 03:27:49.120Z  deny   git.sock push o/app refs/heads/main (uid 1000) — refs/heads/main: branch 'main' is protected (BLOCKED_BRANCHES)"
        ),
        Case(
            line:
                #"{"time":"2026-11-29T03:27:50.000Z","peer_uid":1000,"peer_pid":0,"socket":"gh.sock","operation":"GET /user","method":"GET","host":"api.github.com","path":"/user","status":"200","decision":"allow","duration_ms":3.2}"#,
            expected: "2026-11-29 03:27:50.000Z  allow  gh.sock GET /user status 200 (uid 1000)"
        ),
        Case(
            line:
                #"{"time":"2026-11-29T03:27:51.000Z","socket":"anthropic.sock","operation":"POST /v1/messages","model":"claude-x","status":"200","decision":"allow","duration_ms":900}"#,
            expected: "2026-11-29 03:27:51.000Z  allow  anthropic.sock POST /v1/messages model claude-x status 200"
        ),
        Case(
            line: #"{"time":"t","socket":"git.sock","operation":"connection","decision":"deny","code":"peer-refused","duration_ms":0}"#,
            expected: "t  deny   git.sock connection — peer-refused"
        ),
        Case(
            line: #"{"time":"t","socket":"workspace","operation":"quarantine","repository":"app/.git","item":"20261202-000945-0001","#
                + #""path":"app/.git/hooks/pre-commit","decision":"quarantine","code":"workspace-guard","reason":"a hook is new: git would run it"}"#,
            expected: "t  quarantine workspace quarantine app/.git app/.git/hooks/pre-commit 20261202-000945-0001 — a hook is new: git would run it"
        ),
        Case(
            line: #"{"time":"t","peer_uid":1000,"socket":"anthropic.sock","operation":"POST /v1/messages","method":"POST","#
                + #""path":"/v1/messages?beta=true","status":"200","model":"m","decision":"allow"}"#,
            expected: "t  allow  anthropic.sock POST /v1/messages model m status 200 (uid 1000)"
        ),
        Case(line: "command-agent: listening on /run/agent/git.sock", expected: "command-agent: listening on /run/agent/git.sock"),
        Case(line: "{not json", expected: "{not json"),
    ])
    func auditLinesReadAsTimeDecisionWhatWhy(_ testCase: Case) {
        #expect(AuditLogFormatter.readable(testCase.line) == testCase.expected)
    }

    @Test func controlCharactersAreEscaped() {
        // A ref name the claude container chose, with a colour escape, a bell, a C1 CSI and a
        // right-to-left override; the JSON writer escapes them, the formatter must not revive them.
        let line =
            #"{"time":"t","socket":"git.sock","operation":"push","refs":["refs/heads/a\u001b[2Jb\u0007"],"decision":"deny","reason":"x\u009b31m\u202eevil"}"#
        let shown = AuditLogFormatter.readable(line)
        #expect(shown == #"t  deny   git.sock push refs/heads/a\x1b[2Jb\x07 — x\x9b31m\u{202e}evil"#)
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) || $0.value == 0x202E })
        #expect(AuditLogFormatter.escaped("plain \u{1B}]0;title\u{07}") == #"plain \x1b]0;title\x07"#)
    }

    @Test func agentStatusFormatsStandardInput() async throws {
        let directory = try TemporaryDirectory(prefix: "logs")
        let input =
            #"{"time":"2026-11-29T03:27:49.120Z","socket":"git.sock","operation":"status","decision":"allow","duration_ms":0.1}"# + "\nraw \u{1B}[31mred\n"
        let result = try await ChildProcess.run(
            BuiltProducts.path("agent-status"), ["--format-log"], environment: ["PATH": "/usr/bin:/bin"], stdin: Data(input.utf8),
            outputDirectory: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "2026-11-29 03:27:49.120Z  allow  git.sock status\nraw \\x1b[31mred\n")
    }
}
