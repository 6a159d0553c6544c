import AgentTestSupport
import Foundation
import Testing

/// `./run.sh` checks its settings before it starts anything: which Anthropic credential goes to
/// the agent (and how), and that the project it mounts into the claude container holds none of
/// the secrets the run reads. The container engine here is a recorder on PATH, so the tests see
/// exactly what run.sh would have started; the containers themselves run in Tests/EndToEnd.
@Suite struct RunScriptTests {
    static let runScript = FixturePaths.root.deletingLastPathComponent().appendingPathComponent("run.sh").path

    /// A home, a project, a copy of run.sh (its checkout) and a recording podman + podman-compose.
    final class Setup {
        let directory: TemporaryDirectory
        var home: String { directory.sub("home") }
        var project: String { directory.sub("project") }
        var checkout: String { directory.sub("checkout") }
        var calls: String { directory.sub("calls.log") }
        /// Every call's whole environment, one `--- call` line before each.
        var environments: String { directory.sub("environments.log") }
        var bin: String { directory.sub("bin") }
        var runtime: String { directory.sub("runtime") }

        init(engine: [String] = ["podman", "podman-compose"]) throws {
            directory = try TemporaryDirectory(prefix: "runsh")
            for path in [home, project, checkout, bin, runtime] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(atPath: RunScriptTests.runScript, toPath: checkout + "/run.sh")
            // Records each call with the settings compose would pass on; answers success, except
            // agent-status when FAKE_AGENT_UNHEALTHY names a reason; lists one container, of the project
            // FAKE_CONTAINER_PROJECT, when that is set.
            let recorder = """
                #!/bin/sh
                echo "$(basename "$0") $* | credential_file=${ANTHROPIC_CREDENTIAL_FILE:-} key_file=${AGENT_ANTHROPIC_API_KEY_FILE:-} \
                token_file=${AGENT_CLAUDE_CODE_OAUTH_TOKEN_FILE:-} project=${PROJECT_DIR:-} \
                github_token_secret=${GITHUB_TOKEN_SECRET_FILE:-} github_token_file=${AGENT_GITHUB_TOKEN_FILE:-}" >>\(calls)
                { echo "--- $(basename "$0") $*"; env; } >>\(environments)
                case "$*" in *agent-status*) if [ -n "${FAKE_AGENT_UNHEALTHY:-}" ]; then
                    echo "agent-status: the command agent is not healthy: $FAKE_AGENT_UNHEALTHY" >&2; exit 1; fi ;;
                "ps "*) [ -z "${FAKE_CONTAINER_PROJECT:-}" ] || echo 0123456789ab ;;
                "inspect "*) [ -z "${FAKE_CONTAINER_PROJECT:-}" ] || echo "$FAKE_CONTAINER_PROJECT" ;;
                esac
                """
            for name in engine {
                try install(recorder, as: name)
            }
        }

        func install(_ script: String, as name: String) throws {
            try script.write(toFile: bin + "/" + name, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/" + name)
        }

        func write(_ text: String, to path: String) throws {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func run(arguments: [String] = [], in directory: String? = nil, _ environment: [String: String] = [:]) async throws -> ProgramResult {
            var full = [
                "PATH": bin + ":/usr/bin:/bin", "HOME": home, "GITHUB_TOKEN": AgentUnderTest.canaryToken, "XDG_RUNTIME_DIR": runtime,
            ]
            full.merge(environment) { $1 }
            return try await ChildProcess.run(
                "/bin/bash", [checkout + "/run.sh"] + arguments, environment: full, directory: directory ?? project, outputDirectory: self.directory.path)
        }

        var recordedCalls: String { (try? String(contentsOfFile: calls, encoding: .utf8)) ?? "" }
        var recordedEnvironments: String { (try? String(contentsOfFile: environments, encoding: .utf8)) ?? "" }
    }

    @Test func refusesToMountItsOwnCheckoutWithItsEnvFile() async throws {
        let setup = try Setup()
        try setup.write("GITHUB_TOKEN=\(AgentUnderTest.canaryToken)\n", to: setup.checkout + "/.env")
        let result = try await setup.run(in: setup.checkout, ["GITHUB_TOKEN": ""])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("run.sh: will not mount") }
        #expect(
            lines == [
                "run.sh: will not mount \(setup.checkout) into the claude container: it holds this tool's own files (\(setup.checkout)/run.sh), which the session could change before you run them next (run ./run.sh from your project's directory, or set PROJECT_DIR)",
                "run.sh: will not mount \(setup.checkout) into the claude container: it contains \(setup.checkout)/.env, which holds secrets (run ./run.sh from your project's directory, or set PROJECT_DIR)",
            ], "\(result.stderr)")
        #expect(setup.recordedCalls.isEmpty, "nothing may be started: \(setup.recordedCalls)")
        #expect(!result.output.contains(AgentUnderTest.canaryToken))
    }

    @Test func refusesAProjectHoldingTheKeyFileEvenThroughALink() async throws {
        let setup = try Setup()
        try setup.write("sk-ant-key\n", to: setup.project + "/key")
        try FileManager.default.createSymbolicLink(atPath: setup.directory.sub("link"), withDestinationPath: setup.project)
        for projectDirectory in [setup.project, setup.directory.sub("link")] {
            let result = try await setup.run(["PROJECT_DIR": projectDirectory, "ANTHROPIC_API_KEY_FILE": setup.project + "/key"])
            #expect(result.status == 1)
            // Named by its real path: the link and the folder are one project (and one session).
            #expect(
                result.stderr.contains("run.sh: will not mount \(setup.project) into the claude container: it contains \(setup.project)/key"),
                "\(result.stderr)")
        }
        #expect(setup.recordedCalls.isEmpty, "nothing may be started: \(setup.recordedCalls)")
    }

    @Test func atMostOneAnthropicCredential() async throws {
        let setup = try Setup()
        let result = try await setup.run(["ANTHROPIC_API_KEY": "sk-ant-a", "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat-b"])
        #expect(result.status == 1)
        #expect(result.stderr == "run.sh: set only one Anthropic credential, not ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN\n")
        #expect(setup.recordedCalls.isEmpty)
    }

    @Test func aKeyFileBecomesTheAgentsSecret() async throws {
        let setup = try Setup()
        try setup.write("sk-ant-key\n", to: setup.home + "/.anthropic_key")
        let result = try await setup.run()
        #expect(result.status == 0, "\(result.output)")
        let calls = setup.recordedCalls
        #expect(calls.contains("podman-compose --env-file \(setup.checkout)/images/empty -p claude-code-project-"), "\(calls)")
        #expect(calls.contains(" -f \(setup.checkout)/compose.yml run --rm claude |"), "\(calls)")
        #expect(calls.contains("credential_file=\(setup.home)/.anthropic_key key_file=/run/secrets/anthropic_credential token_file= project=\(setup.project)"))
        #expect(!result.stderr.contains("log in"))
    }

    @Test func anOAuthTokenFileIsPassedAsOne() async throws {
        let setup = try Setup()
        try setup.write("sk-ant-oat-x\n", to: setup.directory.sub("token"))
        let result = try await setup.run(["CLAUDE_CODE_OAUTH_TOKEN_FILE": setup.directory.sub("token")])
        #expect(result.status == 0, "\(result.output)")
        #expect(setup.recordedCalls.contains("credential_file=\(setup.directory.sub("token")) key_file= token_file=/run/secrets/anthropic_credential"))
    }

    @Test func withoutACredentialClaudeCodeAsksForALogin() async throws {
        let setup = try Setup()
        let result = try await setup.run()
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.stderr.split(separator: "\n").filter { $0.contains("log in") } == [
                "run.sh: no Anthropic credential for the agent (~/.anthropic_key, ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN): Claude Code will ask you to log in, and keeps the login in the project's claude-home volume"
            ])
        #expect(setup.recordedCalls.contains("credential_file=\(setup.checkout)/images/empty key_file= token_file="))
    }
}
