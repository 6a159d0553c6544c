import AgentTestSupport
import Foundation
import Testing

/// `./run.sh` as the operator meets it (issue 16): `.env` is data and only its documented keys
/// count, the secrets reach compose as files and never as variables, every message names a key,
/// a line or a tool and never echoes a value, and the agent must be healthy before Claude starts.
/// The container engine is the recorder of `RunScriptTests`; the containers run in Tests/EndToEnd.
@Suite struct RunScriptSettingsTests {
    typealias Setup = RunScriptTests.Setup
    static let canary = AgentUnderTest.canaryToken
    static let root = FixturePaths.root.deletingLastPathComponent()

    func lines(_ text: String, starting prefix: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }

    @Test func refusesAProjectThatHoldsOrLiesAboveTheTool() async throws {
        let setup = try Setup()
        for project in [setup.checkout, setup.directory.path] {
            let result = try await setup.run(["PROJECT_DIR": project])
            #expect(result.status == 1)
            #expect(
                lines(result.stderr, starting: "run.sh: will not mount") == [
                    "run.sh: will not mount \(project) into the claude container: it holds this tool's own files (\(setup.checkout)/run.sh), which the session could change before you run them next (run ./run.sh from your project's directory, or set PROJECT_DIR)"
                ], "\(result.stderr)")
        }
        #expect(setup.recordedCalls.isEmpty, "nothing may be started: \(setup.recordedCalls)")
    }

    /// A folder inside the checkout (Sources/, images/agent/, Tests/) is the tool too: the session
    /// could rewrite what the next `--build` puts into the agent's image, or what `--test` runs.
    @Test func refusesAProjectInsideTheCheckout() async throws {
        let setup = try Setup()
        let inside = setup.checkout + "/Sources/AgentServer"
        try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
        let result = try await setup.run(["PROJECT_DIR": inside])
        #expect(result.status == 1)
        #expect(
            lines(result.stderr, starting: "run.sh: will not mount") == [
                "run.sh: will not mount \(inside) into the claude container: it lies inside this tool's checkout (\(setup.checkout)), which the session could change before you run it next (run ./run.sh from your project's directory, or set PROJECT_DIR)"
            ], "\(result.stderr)")
        #expect(setup.recordedCalls.isEmpty, "nothing may be started: \(setup.recordedCalls)")
    }

    /// The session's secret files go to $XDG_RUNTIME_DIR (or $TMPDIR): a project holding that folder
    /// would have the token written into the workspace, readable by claude when it runs as your uid.
    @Test func refusesAProjectThatWouldHoldTheSecretFiles() async throws {
        let setup = try Setup()
        let runtime = setup.project + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let result = try await setup.run(["XDG_RUNTIME_DIR": runtime])
        #expect(result.status == 1)
        #expect(
            lines(result.stderr, starting: "run.sh: will not mount") == [
                "run.sh: will not mount \(setup.project) into the claude container: it contains \(runtime), where the session's secret files would go (set XDG_RUNTIME_DIR or TMPDIR to a folder outside the project)"
            ], "\(result.stderr)")
        #expect(setup.recordedCalls.isEmpty, "nothing may be started: \(setup.recordedCalls)")
        #expect(!FileManager.default.fileExists(atPath: runtime + "/claude-code-\(getuid())"), "a secret folder was made in the project")
    }

    /// Ids are numbers to the engine: `01000` is uid 1000 and `00` is root, so run.sh compares them
    /// as numbers (the agent's own uid, claude never root).
    @Test func uidsAreComparedAsNumbers() async throws {
        let setup = try Setup()
        let same = try await setup.run(["CLAUDE_UID": "1000", "AGENT_UID": "01000"])
        #expect(same.status == 1)
        #expect(same.stderr.contains("run.sh: AGENT_UID and CLAUDE_UID are both 1000:"), "\(same.stderr)")
        #expect(!setup.recordedCalls.contains("up -d agent"), "a session was started: \(setup.recordedCalls)")
        let other = try Setup()
        let root = try await other.run(["CLAUDE_UID": "00", "CLAUDE_GID": "00"])
        #expect(root.status == 0, "\(root.output)")
        let environments = other.recordedEnvironments
        #expect(!environments.contains("\nCLAUDE_UID=00\n"), "claude would run as uid 0")
        #expect(environments.contains("\nCLAUDE_UID=1000\n"), "claude runs as the default user instead of root")
    }

    /// `volume rm -f` first removes every container that uses the volume: with the session's agent
    /// stopped, `./run.sh --shell` (or a second `./run.sh`) removed the running Claude session too.
    @Test func theSocketVolumeIsNeverForceRemoved() async throws {
        let setup = try Setup()
        for arguments in [[], ["--shell"], ["--stop"]] {
            let result = try await setup.run(arguments: arguments)
            #expect(result.status == 0, "\(result.output)")
        }
        let removals = setup.recordedCalls.split(separator: "\n").filter { $0.hasPrefix("podman volume rm") }
        #expect(removals.count == 3, "\(setup.recordedCalls)")
        #expect(removals.allSatisfy { !$0.contains(" -f ") && !$0.contains(" --force ") }, "\(removals)")
    }

    @Test func envIsDataAndOnlyDocumentedKeysAreTaken() async throws {
        let setup = try Setup()
        try setup.write(
            """
            PYTHONPATH=/evil/python
            export LD_PRELOAD=/evil/preload.so
            BASH_ENV=/evil/bash_env
            COMPOSE_FILE=/evil/compose.yml
            PODMAN_USERNS=host
            BLOCKED_BRANCHES=["trunk"]
            ALLOWED_REPOS="$(touch \(setup.directory.sub("pwned")))"

            """, to: setup.checkout + "/.env")
        let result = try await setup.run()
        #expect(result.status == 0, "\(result.output)")
        let warnings = lines(result.stderr, starting: "run.sh: \(setup.checkout)/.env: line ")
        #expect(
            warnings
                == ["PYTHONPATH", "LD_PRELOAD", "BASH_ENV", "COMPOSE_FILE", "PODMAN_USERNS"].enumerated().map {
                    "run.sh: \(setup.checkout)/.env: line \($0.offset + 1) sets \($0.element), which is not a setting of run.sh (see .env.example): ignored"
                }, "\(result.stderr)")
        #expect(!result.output.contains("/evil"), "a value was echoed: \(result.output)")
        let environments = setup.recordedEnvironments
        #expect(environments.contains("BLOCKED_BRANCHES=[\"trunk\"]"), "a documented key is taken")
        for key in ["PYTHONPATH=", "LD_PRELOAD=", "BASH_ENV=", "COMPOSE_FILE=", "PODMAN_USERNS="] {
            #expect(!environments.contains("\n" + key), "\(key) reached compose")
        }
        #expect(setup.recordedCalls.contains("--env-file \(setup.checkout)/images/empty -p"), "compose reads no .env of its own")
        #expect(!FileManager.default.fileExists(atPath: setup.directory.sub("pwned")), ".env was run as a script")
    }

    @Test func aLineWithoutEqualsIsNamedByItsNumberOnly() async throws {
        let setup = try Setup()
        try setup.write("# my settings\nBLOCKED_BRANCHES=[\"main\"]\n\(Self.canary)\n", to: setup.checkout + "/.env")
        let result = try await setup.run()
        #expect(result.status == 1)
        #expect(result.stderr == "run.sh: \(setup.checkout)/.env: line 3 is not KEY=VALUE (its text is not shown: it may hold a secret)\n")
        #expect(!result.output.contains(Self.canary))
        #expect(setup.recordedCalls.isEmpty)
    }

    @Test func anEmptyExportedTokenDoesNotHideTheEnvFile() async throws {
        let setup = try Setup()
        try setup.write("GITHUB_TOKEN=\(Self.canary)\n", to: setup.checkout + "/.env")
        let result = try await setup.run(["GITHUB_TOKEN": ""])
        #expect(result.status == 0, "\(result.output)")
        let secret = try #require(secretFile(in: setup.recordedCalls))
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == Self.canary)
    }

    @Test func aValueOver128KiBIsOneClearLine() async throws {
        let setup = try Setup()
        let huge = "[\"" + String(repeating: "x", count: 140 * 1024) + "\"]"
        try setup.write("ALLOWED_API_WRITES=\(huge)\n", to: setup.checkout + "/.env")
        let result = try await setup.run()
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "run.sh: \(setup.checkout)/.env: the value of ALLOWED_API_WRITES is longer than 128 KiB (\(huge.utf8.count) bytes): no program can be given it\n"
        )
        #expect(setup.recordedCalls.isEmpty)
    }

    /// The token and an Anthropic key given as values become files in the session's private
    /// folder; compose (and so `podman create`, `inspect`, every `exec`) never sees them.
    @Test func secretsReachComposeAsFilesNeverAsVariables() async throws {
        let setup = try Setup()
        let key = "sk-ant-api03-CANARYkeyForTheRunScript"
        let result = try await setup.run(["ANTHROPIC_API_KEY": key])
        #expect(result.status == 0, "\(result.output)")
        let calls = setup.recordedCalls
        #expect(calls.contains("github_token_file=/run/secrets/github_token"), "\(calls)")
        #expect(calls.contains("key_file=/run/secrets/anthropic_credential"), "\(calls)")
        let tokenFile = try #require(secretFile(in: calls))
        #expect(try String(contentsOfFile: tokenFile, encoding: .utf8) == Self.canary)
        #expect(tokenFile.hasPrefix(setup.runtime + "/claude-code-\(getuid())/claude-code-project-"), "\(tokenFile)")
        let folder = (tokenFile as NSString).deletingLastPathComponent
        #expect(try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int == 0o700)
        #expect(try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOfFile: folder + "/anthropic_credential", encoding: .utf8) == key)
        #expect(!setup.recordedEnvironments.contains(Self.canary), "the token reached compose's environment")
        #expect(!setup.recordedEnvironments.contains(key), "the key reached compose's environment")
        #expect(!result.output.contains(Self.canary) && !result.output.contains(key))

        let stop = try await setup.run(arguments: ["--stop"])
        #expect(stop.status == 0, "\(stop.output)")
        #expect(!FileManager.default.fileExists(atPath: folder), "--stop removes the session's secrets")
    }

    /// Which file compose was told holds the GitHub token.
    func secretFile(in calls: String) -> String? {
        calls.firstMatch(of: /github_token_secret=(\/[^ \n]+)/).map { String($0.output.1) }
    }

    @Test func sessionsAreNamedAfterTheProject() async throws {
        let setup = try Setup()
        let other = setup.directory.sub("Other Project")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let first = try await setup.run(arguments: ["--stop"])
        let second = try await setup.run(arguments: ["--stop"], in: other)
        // No session runs (the recording engine lists no container): --stop says so, naming it.
        let names = [first, second].compactMap { $0.stderr.firstMatch(of: /no session (claude-code-[a-z0-9_-]+) for (.+) was running\n/) }
        #expect(names.count == 2, "\(first.output) \(second.output)")
        #expect(names.first?.output.1.hasPrefix("claude-code-project-") == true && names.first?.output.2 == setup.project[...])
        #expect(names.last?.output.1.hasPrefix("claude-code-other-project-") == true && names.last?.output.2 == other[...])
        #expect(names.first?.output.1 != names.last?.output.1)
        let again = try await setup.run(arguments: ["--stop"])
        #expect(again.stderr.contains("no session \(names.first?.output.1 ?? "?") for"), "the same project, the same session")
    }

    @Test func aRelativeProjectDirIsTakenFromWhereYouAre() async throws {
        let setup = try Setup()
        let other = setup.directory.sub("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let deep = setup.project + "/deep"
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        // From project/deep, ../../other is the folder beside the project, whatever the checkout's place.
        let result = try await setup.run(arguments: ["--stop"], in: deep, ["PROJECT_DIR": "../../other"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stderr.contains(" for \(other) was running"), "\(result.output)")
    }

    @Test func anotherProjectsSessionOfTheSameNameIsNotReused() async throws {
        let setup = try Setup()
        let result = try await setup.run(["FAKE_CONTAINER_PROJECT": "/somewhere/else"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("belongs to another project (/somewhere/else)"), "\(result.output)")
        #expect(!setup.recordedCalls.contains("up -d agent"), "an agent was started: \(setup.recordedCalls)")
    }

    @Test func statusWithoutASessionSaysSoAndCreatesNothing() async throws {
        let setup = try Setup()
        let result = try await setup.run(arguments: ["--status"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run.sh: no session claude-code-project-"), "\(result.output)")
        #expect(!setup.recordedCalls.contains(" run "), "--status ran a container (and made its volumes): \(setup.recordedCalls)")
    }

    @Test func anUnhealthyAgentKeepsClaudeFromStarting() async throws {
        let setup = try Setup()
        let reason = "GitHub rejected the token (api.github.com answered 401 to GET /user): renew it, or check GITHUB_TOKEN"
        let result = try await setup.run(["FAKE_AGENT_UNHEALTHY": reason])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasSuffix(
                "run.sh: the command agent is not healthy: \(reason); Claude Code was not started and the agent was stopped (its last log lines are above)\n"
            ), "\(result.stderr)")
        #expect(!setup.recordedCalls.contains("run --rm claude |"), "Claude Code was started: \(setup.recordedCalls)")
        // The agent does not stay up holding the token for nothing.
        let calls = setup.recordedCalls
        let started = calls.range(of: "up -d agent")
        let downAfter = started.flatMap { calls.range(of: " down |", range: $0.upperBound..<calls.endIndex) }
        #expect(downAfter != nil, "the unhealthy agent was left running: \(calls)")
    }

    @Test func missingToolsAreNamed() async throws {
        let setup = try Setup()
        let result = try await ChildProcess.run(
            "/bin/bash", [setup.checkout + "/run.sh"], environment: ["PATH": setup.bin, "HOME": setup.home],
            directory: setup.project, outputDirectory: setup.directory.path)
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "run.sh: needs realpath cksum find sort tr head tail cat grep mkdir mktemp mv rm chmod id, not found on PATH (coreutils, findutils, grep)\n")
    }

    @Test func podmanWithoutPodmanComposeIsNamed() async throws {
        let setup = try Setup(engine: ["podman"])
        let result = try await setup.run(["CONTAINER_ENGINE": "podman"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run.sh: podman is installed, but podman-compose is not"), "\(result.stderr)")
    }

    /// docker-compose 1.29 without a daemon answers with a Python traceback; run.sh asks the
    /// engine first and says it in one line.
    @Test func dockerComposeV1WithoutADaemonIsOneLine() async throws {
        let setup = try Setup(engine: [])
        try setup.install("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1\n", as: "docker")
        try setup.install(
            "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'docker.errors.DockerException: Error while fetching server API version' >&2\nexit 1\n",
            as: "docker-compose")
        let result = try await setup.run(["CONTAINER_ENGINE": "docker"])
        #expect(result.status == 1)
        #expect(
            lines(result.stderr, starting: "run.sh: docker") == [
                "run.sh: docker cannot reach the Docker daemon ('docker info' fails): start it (sudo systemctl start docker), or use podman"
            ], "\(result.stderr)")
        #expect(!result.stderr.contains("Traceback"))
    }

    /// Docker clients from 23 on build with BuildKit only through the buildx plugin; without it,
    /// compose's build fails deep in its output. run.sh names what is missing before building.
    @Test func aDockerClientWithoutBuildxIsNamedBeforeBuilding() async throws {
        let setup = try Setup(engine: [])
        try setup.install(
            """
            #!/bin/sh
            echo "docker $*" >>\(setup.calls)
            case "$*" in "buildx version") echo "docker: unknown command: docker buildx" >&2; exit 1 ;; "version --format"*) echo 28.2.2 ;; esac
            """, as: "docker")
        let result = try await setup.run(arguments: ["--build"], ["CONTAINER_ENGINE": "docker"])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasSuffix(
                "run.sh: the Docker client (28.2.2) builds with BuildKit only through its buildx plugin, which is missing: install docker-buildx-plugin (Docker's packages) or docker-buildx (Debian, Ubuntu), or use podman\n"
            ), "\(result.stderr)")
        #expect(!setup.recordedCalls.contains("build agent"), "a build was started: \(setup.recordedCalls)")
    }

    @Test func theDocumentedKeysAreExactlyTheOnesRunShTakes() throws {
        let example = try String(contentsOf: Self.root.appendingPathComponent(".env.example"), encoding: .utf8)
        let documented = Set(example.split(separator: "\n").compactMap { $0.firstMatch(of: /^(?:# )?([A-Z][A-Z0-9_]*)=/)?.output.1 }.map(String.init))
        let script = try String(contentsOfFile: RunScriptTests.runScript, encoding: .utf8)
        let list = try #require(script.firstMatch(of: /\nSETTINGS=\(([^)]*)\)/)?.output.1)
        let taken = Set(list.split(whereSeparator: \.isWhitespace).map(String.init))
        #expect(documented.subtracting(taken).isEmpty, "documented, not taken: \(documented.subtracting(taken).sorted())")
        #expect(taken.subtracting(documented).isEmpty, "taken, not documented: \(taken.subtracting(documented).sorted())")
    }

    @Test func theBuildContextLeavesOutWhatTheImagesDoNotNeed() throws {
        let containerIgnore = try String(contentsOf: Self.root.appendingPathComponent(".containerignore"), encoding: .utf8)
        let dockerIgnore = try String(contentsOf: Self.root.appendingPathComponent(".dockerignore"), encoding: .utf8)
        #expect(containerIgnore == dockerIgnore, "podman reads .containerignore, Docker .dockerignore: they must agree")
        let rules = containerIgnore.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rules.first == "*", "everything is left out unless named")
        #expect(!rules.contains { $0.hasPrefix("!.build") || $0.hasPrefix("!.env") || $0 == "!.container-bin" })
    }
}
