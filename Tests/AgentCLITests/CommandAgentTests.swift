import AgentProtocol
import AgentSystem
import AgentTestSupport
import Foundation
import Testing

/// The real `command-agent` and `agent-status` binaries, started as a user would.
@Suite(.serialized)
struct CommandAgentTests {
    static let canary = AgentUnderTest.canaryToken
    static var isRoot: Bool { getuid() == 0 }

    func expectNoCanary(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.contains(Self.canary), "the token leaked into \(what)", sourceLocation: sourceLocation)
    }

    @Test func statusAnswersAndTheTokenStaysInside() async throws {
        let github = try await FixtureGitHubServer()
        let agent = try await AgentUnderTest(githubAPIURL: github.baseURL)

        let text = try await agent.status()
        #expect(text.status == 0, "\(text.output)")
        #expect(text.stdout.contains(": healthy"))
        #expect(text.stdout.contains("GitHub login octocat-fixture"))
        #expect(text.stdout.contains("blocked branches: main, master"))

        let json = try await agent.status(["--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["healthy"] as? Bool == true)
        #expect(object["login"] as? String == "octocat-fixture")
        #expect(object["policy_blocked_branches"] as? [String] == ["main", "master"])

        // The upstream really got the token; nothing else did.
        let userRequest = try #require(github.requests.first { $0.uri == "/user" })
        #expect(userRequest.header("Authorization") == "token \(Self.canary)")
        let environ = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(agent.child.pid)/environ")), as: UTF8.self)
        expectNoCanary(environ, "/proc/<agent>/environ")
        #expect(environ.contains("AGENT_SOCKET_DIR="), "the environment block was read")
        for output in [text.output, json.output, agent.allOutput] { expectNoCanary(output, "an output") }
        #expect(agent.auditLog.contains(#""operation":"status","decision":"allow""#))
        await github.shutdown()
    }

    @Test func tokenFromAFile() async throws {
        let directory = try TemporaryDirectory()
        let tokenPath = directory.sub("token")
        try (Self.canary + "\n").write(toFile: tokenPath, atomically: true, encoding: .utf8)
        let agent = try await AgentUnderTest(environment: ["GITHUB_TOKEN": "", "GITHUB_TOKEN_FILE": tokenPath])
        let result = try await agent.status()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("token: held"))
    }

    @Test func peerWithAnotherUIDIsRefused() async throws {
        let agent = try await AgentUnderTest(environment: ["AGENT_ALLOWED_UIDS": "[4242]"])
        let result = try await agent.status()
        #expect(result.status == 1)
        #expect(result.stderr.contains("uid \(getuid()) is not allowed to use this agent (AGENT_ALLOWED_UIDS)"), "\(result.output)")
        #expect(agent.auditLog.contains(#""code":"peer-refused""#))
    }

    @Test(.enabled(if: isRoot, "needs root to run a client as another uid"))
    func clientRunningAsAnotherUserIsRefused() async throws {
        let agent = try await AgentUnderTest()  // allows only its own uid (0)
        // uid 65534 may not reach the build folder (a checkout under /root): run a copy.
        let status = try ProductCopy("agent-status")
        let result = try await agent.status(launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], program: status.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("uid 65534 is not allowed to use this agent (AGENT_ALLOWED_UIDS)"), "\(result.output)")
        #expect(agent.auditLog.contains(#""peer_uid":65534"#))
    }

    @Test func silentClientsDoNotBlockOthers() async throws {
        let agent = try await AgentUnderTest()
        let silent = try UnixSocketConnection(path: agent.gitSocketPath, timeout: .seconds(2))
        let halfFrame = try UnixSocketConnection(path: agent.gitSocketPath, timeout: .seconds(2))
        try halfFrame.send(Array("operation=sta".utf8), timeout: .seconds(2))
        let result = try await agent.status()
        #expect(result.status == 0, "\(result.output)")
        _ = silent
    }

    @Test func badInputGetsAnErrorFrameAndTheAgentGoesOn() async throws {
        let agent = try await AgentUnderTest()
        func exchange(_ bytes: [UInt8]) throws -> String {
            let connection = try UnixSocketConnection(path: agent.gitSocketPath, timeout: .seconds(5))
            try connection.send(bytes, timeout: .seconds(5))
            var reply: [UInt8] = []
            while !reply.suffix(2).elementsEqual([10, 10]) {
                let chunk = try connection.receive(timeout: .seconds(5))
                if chunk.isEmpty { break }
                reply += chunk
            }
            return String(decoding: reply, as: UTF8.self)
        }
        #expect(try exchange(Array("operation=frobnicate\n\n".utf8)).hasPrefix("status=error\ncode=unknown-operation\nmessage=unknown operation 'frobnicate'"))
        #expect(try exchange(Array("ref=x\n\n".utf8)).hasPrefix("status=error\ncode=bad-request\n"))
        #expect(try exchange(Array("garbage\n\n".utf8)).hasPrefix("status=error\ncode=malformed-frame\n"))
        #expect(try exchange(Array(("operation=" + String(repeating: "x", count: 70_000)).utf8)).hasPrefix("status=error\ncode=frame-too-large\n"))
        #expect(try exchange([0x6F, 0x3D, 0xC3, 0x28, 0x0A, 0x0A]).hasPrefix("status=error\ncode=malformed-frame\n"))
        let echoed = try exchange(Array("operation=\(Self.canary)\n\n".utf8))
        #expect(echoed.contains("unknown operation '[REDACTED]'"))
        expectNoCanary(echoed, "a reply")
        let result = try await agent.status()
        #expect(result.status == 0)
        expectNoCanary(agent.allOutput, "the agent's output")
    }

    @Test func sigtermRemovesTheSocketAndExitsZero() async throws {
        let agent = try await AgentUnderTest()
        #expect(FileManager.default.fileExists(atPath: agent.gitSocketPath))
        agent.child.signal(SIGTERM)
        let status = await agent.child.wait(timeout: .seconds(15))
        #expect(status == 0, "\(agent.child.stderr)")
        #expect(!FileManager.default.fileExists(atPath: agent.gitSocketPath))
        #expect(agent.child.stderr.contains("command-agent: stopped"))
    }

    @Test func statusWithoutAnAgentSaysSoClearly() async throws {
        let directory = try TemporaryDirectory()
        let result = try await ChildProcess.run(
            BuiltProducts.path("agent-status"), ["--timeout", "2"],
            environment: ["AGENT_SOCKET_DIR": directory.sub("run")], outputDirectory: directory.path
        )
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "agent-status: cannot reach the command agent at \(directory.sub("run"))/git.sock: the socket does not exist (is the agent running?)\n")
    }

    struct BadStart: Sendable, CustomTestStringConvertible {
        let environment: [String: String]
        let line: String
        var testDescription: String { line }
    }

    static let badStarts: [BadStart] = [
        BadStart(
            environment: ["BLOCKED_BRANCHES": "main,"],
            line: "command-agent: BLOCKED_BRANCHES: 'main,' is neither a JSON list nor a comma-separated list without empty entries"),
        BadStart(
            environment: ["ALLOWED_BRANCH_PATTERNS": "[\"x/[a\"]"],
            line: "command-agent: ALLOWED_BRANCH_PATTERNS: invalid branch pattern 'x/[a': '[' is not closed"),
        BadStart(
            environment: ["AGENT_ALLOWED_UIDS": "[\"root\"]"], line: "command-agent: AGENT_ALLOWED_UIDS: 'root' is not a uid (a number from 0 to 4294967294)"),
        BadStart(
            environment: ["AGENT_SOCKET_DIR": "/etc/hostname/run"], line: "command-agent: AGENT_SOCKET_DIR: cannot use /etc/hostname/run: Not a directory"),
        BadStart(
            environment: ["GITHUB_TOKEN": "", "GITHUB_TOKEN_FILE": "/nonexistent/token"],
            line: "command-agent: GITHUB_TOKEN_FILE: cannot read /nonexistent/token: No such file or directory"),
        BadStart(environment: ["GITHUB_TOKEN": ""], line: "command-agent: GITHUB_TOKEN: the token is empty"),
        BadStart(environment: ["GITHUB_TOKEN": "two words"], line: "command-agent: GITHUB_TOKEN: the token contains spaces, control or non-ASCII characters"),
        BadStart(environment: ["ALLOW_FORCE_PUSH": "sometimes"], line: "command-agent: ALLOW_FORCE_PUSH: expected true, false or own, not 'sometimes'"),
        BadStart(
            environment: ["GITHUB_URL": "git://github.com"], line: "command-agent: GITHUB_URL: 'git://github.com': the scheme must be http or https, not 'git'"),
        BadStart(environment: ["AGENT_CA_FILE": "/nonexistent/ca.pem"], line: "command-agent: AGENT_CA_FILE: cannot read /nonexistent/ca.pem"),
    ]

    @Test(arguments: badStarts)
    func badConfigurationIsRefusedWithOneLine(_ bad: BadStart) async throws {
        let directory = try TemporaryDirectory()
        var environment = [
            "GITHUB_TOKEN": Self.canary, "AGENT_SOCKET_DIR": directory.sub("run"), "AGENT_WORKSPACE": directory.path,
            "AGENT_AUDIT_LOG": directory.sub("audit.log"),
        ]
        environment.merge(bad.environment) { $1 }
        let result = try await ChildProcess.run(
            BuiltProducts.path("command-agent"), environment: environment, outputDirectory: directory.path, timeout: .seconds(30)
        )
        #expect(result.status == 2)
        #expect(result.stderr == bad.line + "\n")
        expectNoCanary(result.output, "the refusal")
    }

    @Test func missingTokenIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let result = try await ChildProcess.run(
            BuiltProducts.path("command-agent"), environment: ["AGENT_SOCKET_DIR": directory.sub("run")],
            outputDirectory: directory.path, timeout: .seconds(30)
        )
        #expect(result.status == 2)
        #expect(result.stderr == "command-agent: GITHUB_TOKEN: no token: set GITHUB_TOKEN or GITHUB_TOKEN_FILE\n")
    }

    @Test func secondAgentOnTheSameSocketIsRefused() async throws {
        let agent = try await AgentUnderTest()
        let result = try await ChildProcess.run(
            BuiltProducts.path("command-agent"),
            environment: ["GITHUB_TOKEN": Self.canary, "AGENT_SOCKET_DIR": agent.socketDirectory, "AGENT_WORKSPACE": agent.workspace],
            outputDirectory: agent.directory.path, timeout: .seconds(30)
        )
        #expect(result.status == 2)
        #expect(result.stderr == "command-agent: AGENT_SOCKET_DIR: another agent is already listening on \(agent.gitSocketPath)\n")
        #expect(try await agent.status().status == 0, "the first agent keeps serving")
    }

    @Test func unknownAgentKeyIsAWarningNotAnError() async throws {
        let agent = try await AgentUnderTest(environment: ["AGENT_SOCKETDIR": "/x"])
        #expect(agent.child.stderr.contains("command-agent: warning: AGENT_SOCKETDIR is not a setting the agent knows (a typo?); it is ignored"))
        #expect(try await agent.status().status == 0)
    }

    @Test(.enabled(if: isRoot, "needs root to drop CAP_IPC_LOCK by changing uid"))
    func failedMlockIsOneWarning() async throws {
        let directory = try TemporaryDirectory(mode: 0o777)
        let state = try TemporaryDirectory(mode: 0o777)
        // uid 65534 may not reach the build folder (a checkout under /root): run a copy.
        let commandAgent = try ProductCopy("command-agent")
        let agent = try ChildProcess(
            "/usr/bin/setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/prlimit", "--memlock=0:0", commandAgent.path],
            environment: [
                "GITHUB_TOKEN": Self.canary, "AGENT_SOCKET_DIR": directory.sub("run"), "AGENT_WORKSPACE": directory.path,
                "AGENT_AUDIT_LOG": "-", "AGENT_STATE_DIR": state.sub("state"),
            ],
            outputDirectory: directory.path
        )
        defer { agent.signal(SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(30)
        while !SocketProbe.accepts(directory.sub("run/git.sock")), ContinuousClock.now < deadline, agent.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        let warnings = agent.stderr.split(separator: "\n").filter { $0.contains("could not be locked in memory") }
        #expect(warnings.count == 1, "\(agent.stderr)")
        #expect(warnings.first?.hasPrefix("command-agent: warning: the token could not be locked in memory (mlock:") == true)
        agent.signal(SIGTERM)
        #expect(await agent.wait(timeout: .seconds(15)) == 0)
    }
}
