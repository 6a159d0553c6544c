import AgentTestSupport
import Foundation
import Testing

/// SECRET_SCAN on pushes through real git: each well-known format refuses its ref (and its
/// look-alike passes), the agent's own token in any form always does, and nothing of a secret
/// reaches git's output or the agent's log and audit lines.
struct SecretScanTests {
    static func secret(in sample: SecretSample) -> String { "possible secret in 'config/\(sample.fileName)' line 3: \(sample.kind) (SECRET_SCAN)" }

    func expectNothingSecret(_ scenario: ContentScenario, _ results: ProgramResult..., secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let outputs = results.map(\.output).joined() + scenario.git.agent.allOutput
        for secret in secrets {
            #expect(!outputs.contains(secret), "a secret reached an output", sourceLocation: sourceLocation)
        }
    }

    @Test func eachFormatRefusesItsRefAndNothingOfItIsShown() async throws {
        let scenario = try await ContentScenario.start()
        var refspecs: [String] = []
        for (index, sample) in SecretSamples.all.enumerated() {
            try await scenario.run("checkout", "-q", "-B", "s\(index)", "origin/main")
            try scenario.write("config/\(sample.fileName)", "# settings\nname: app\nkey: \(sample.truePositive)\n")
            try await scenario.commitAll("settings for \(sample.kind)")
            refspecs.append("s\(index):claude/s\(index)")
        }
        let result = try await scenario.git.git(["push", "origin"] + refspecs, in: scenario.work)
        #expect(result.status != 0)
        for (index, sample) in SecretSamples.all.enumerated() {
            #expect(
                result.stderr.contains("! [remote rejected] s\(index) -> claude/s\(index) (\(Self.secret(in: sample)))"), "\(sample.kind): \(result.output)")
            #expect(try await scenario.serverRef("refs/heads/claude/s\(index)") == nil, "\(sample.kind) landed")
        }
        expectNothingSecret(scenario, result, secrets: SecretSamples.all.map(\.truePositive))
        scenario.git.expectNoCanary(result)
    }

    @Test func everyLookAlikePasses() async throws {
        let scenario = try await ContentScenario.start()
        for sample in SecretSamples.all {
            try scenario.write("config/\(sample.fileName)", "# settings\nname: app\nkey: \(sample.lookAlike)\n")
        }
        try await scenario.commitAll("look-alikes")
        try await scenario.expectLanded(try await scenario.push("origin", "HEAD:claude/x"), "claude/x")
    }

    @Test func theAgentsOwnTokenIsRefusedInEveryFormWhateverTheSettings() async throws {
        let canary = AgentUnderTest.canaryToken
        let basic = Data("x-access-token:\(canary)".utf8).base64EncodedString()
        let percent = canary.utf8.map { String(format: "%%%02X", $0) }.joined()
        let forms: [(String, String)] = [
            ("exact", "GITHUB_TOKEN=\(canary)\n"),
            ("base64 (basic auth)", "http.extraHeader = Authorization: Basic \(basic)\n"),
            ("%-encoded", "remote = https://github.com/o/wf?t=\(percent)\n"),
        ]
        for settings in [["SECRET_SCAN": "block"], ["SECRET_SCAN": "warn", "SECRET_SCAN_ALLOW": #"["config/**"]"#]] {
            let scenario = try await ContentScenario.start(environment: settings)
            for (name, text) in forms {
                try await scenario.run("checkout", "-q", "-B", "leak", "origin/main")
                try scenario.write("config/\(name.prefix(5)).env", "# local\n\(text)")
                try await scenario.commitAll("settings")
                let result = try await scenario.push("origin", "leak:claude/leak")
                #expect(
                    result.stderr.contains(
                        "! [remote rejected] leak -> claude/leak (possible secret in 'config/\(name.prefix(5)).env' line 2: the agent's GitHub token"),
                    "\(name), \(settings): \(result.output)")
                #expect(try await scenario.serverRef("refs/heads/claude/leak") == nil, "\(name) landed")
                expectNothingSecret(scenario, result, secrets: [canary, basic, percent])
            }
        }
    }

    @Test func aSecretAddedThenRemovedInsideThePushIsRefused() async throws {
        let scenario = try await ContentScenario.start()
        let key = SecretSamples.all[0]
        try scenario.write("notes.txt", "a\nb\n\(key.truePositive)\n")
        try await scenario.commitAll("oops")
        try await scenario.run("rm", "-q", "notes.txt")
        try await scenario.commitAll("remove it again")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", "possible secret in 'notes.txt' line 3: GitHub token (SECRET_SCAN)")
    }

    @Test func commitMessagesAreScannedToo() async throws {
        let scenario = try await ContentScenario.start()
        let key = SecretSamples.all[4]
        try scenario.write("docs/guide.md", "changed\n")
        try await scenario.run("add", "-A")
        try await scenario.run("commit", "-q", "-m", "Use the key\n\n\(key.truePositive)")
        let commit = try await scenario.run("rev-parse", "--short=12", "HEAD")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", "possible secret in commit \(commit) line 8: AWS access key ID (SECRET_SCAN)")
    }

    @Test func anAnnotatedTagIsScannedAsSent() async throws {
        let scenario = try await ContentScenario.start()
        let key = SecretSamples.all[11]
        try await scenario.run("tag", "-a", "v1", "-m", "release\n\ndeploy with \(key.truePositive)")
        let tag = try await scenario.run("rev-parse", "--short=12", "v1")
        let result = try await scenario.push("origin", "v1")
        #expect(result.stderr.contains("! [remote rejected] v1 -> v1 (possible secret in tag \(tag) line 8: GitLab token (SECRET_SCAN))"), "\(result.output)")
        #expect(try await scenario.serverRef("refs/tags/v1") == nil)
        expectNothingSecret(scenario, result, secrets: [key.truePositive])
    }

    @Test func namesAreContentToo() async throws {
        let scenario = try await ContentScenario.start()
        let key = SecretSamples.all[10].truePositive
        try scenario.write("keys/\(key).txt", "nothing here\n")
        try await scenario.commitAll("a name")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", "possible secret in the name of a file line 1: Google API key (SECRET_SCAN)")
        try await scenario.run("reset", "-q", "--hard", "origin/main")
        try await scenario.run("commit", "-q", "--allow-empty", "--author", "\(key) <a@example.com>", "-m", "an author")
        let author = try await scenario.push("origin", "HEAD:claude/y")
        #expect(author.stderr.contains("(possible secret in commit "), "\(author.output)")
        #expect(author.stderr.contains(" line 3: Google API key (SECRET_SCAN))"), "\(author.output)")
        let branch = try await scenario.push("origin", "HEAD~0:refs/heads/claude/\(key)")
        #expect(branch.stderr.contains("(possible secret in the name of the ref line 1: Google API key (SECRET_SCAN))"), "\(branch.output)")
        expectNothingSecret(scenario, result, author, secrets: [])
    }

    @Test func allowedPathsWarnModeAndOff() async throws {
        let key = SecretSamples.all[9]
        let allowed = try await ContentScenario.start(environment: ["SECRET_SCAN_ALLOW": #"["test/fixtures/**"]"#])
        try allowed.write("test/fixtures/stripe.json", "{\n\"key\": \"\(key.truePositive)\"\n}\n")
        try await allowed.commitAll("fixture")
        try await allowed.expectLanded(try await allowed.push("origin", "HEAD:claude/x"), "claude/x")
        try allowed.write("src/stripe.json", "{\n\"key\": \"\(key.truePositive)\"\n}\n")
        try await allowed.commitAll("not a fixture")
        try await allowed.expectRefused(
            try await allowed.push("origin", "HEAD:claude/y"), "claude/y", "possible secret in 'src/stripe.json' line 2: Stripe live key (SECRET_SCAN)")

        let warning = try await ContentScenario.start(environment: ["SECRET_SCAN": "warn"])
        try warning.write("src/stripe.json", "{\n\"key\": \"\(key.truePositive)\"\n}\n")
        try await warning.commitAll("key")
        let warned = try await warning.push("-q", "origin", "HEAD:claude/x")
        try await warning.expectLanded(warned, "claude/x")
        #expect(
            warned.stderr.contains("remote: warning: possible secret in 'src/stripe.json' line 2: Stripe live key (SECRET_SCAN=warn: pushed anyway)"),
            "\(warned.output)")
        #expect(warning.git.agent.auditLog.contains("\"secret_warnings\":\"possible secret in 'src/stripe.json' line 2: Stripe live key"))
        expectNothingSecret(warning, warned, secrets: [key.truePositive])

        let off = try await ContentScenario.start(environment: ["SECRET_SCAN": "off"])
        try off.write("src/stripe.json", "{\n\"key\": \"\(key.truePositive)\"\n}\n")
        try await off.commitAll("key")
        try await off.expectLanded(try await off.push("origin", "HEAD:claude/x"), "claude/x")
        #expect(try await off.git.agent.status().stdout.contains("secret scan: off"))
    }

    @Test func largeBinaryBlobsAreSkippedAndCounted() async throws {
        let scenario = try await ContentScenario.start()
        let key = SecretSamples.all[0]
        var bytes = [UInt8](repeating: 0, count: 5 << 20)
        bytes.replaceSubrange(100..<(100 + key.truePositive.utf8.count), with: key.truePositive.utf8)
        try scenario.write("assets/blob.bin", bytes: bytes)
        try scenario.write("assets/small.bin", bytes: [0, 1, 2] + Array(" \(key.truePositive) ".utf8))
        try await scenario.commitAll("assets")
        let refused = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(refused, "claude/x", "possible secret in 'assets/small.bin' line 1: GitHub token (SECRET_SCAN)")
        try await scenario.run("rm", "-q", "assets/small.bin")
        try await scenario.run("commit", "-q", "--amend", "-m", "assets")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectLanded(result, "claude/x")
        #expect(scenario.git.agent.auditLog.contains(#""skipped_binary_blobs":"1""#), "\(scenario.git.agent.auditLog)")
    }

    /// A tree entry that says "file" but names a commit (whose message holds a key): libgit2 would
    /// pack the commit as it is, so the push is refused before anything is scanned or sent.
    @Test func aTreeEntryNamingACommitAsAFileIsRefused() async throws {
        let scenario = try await ContentScenario.start()
        let tree = try await scenario.run("rev-parse", "HEAD^{tree}")
        let hidden = try await scenario.run("commit-tree", tree, "-m", "key \(SecretSamples.all[2].truePositive)")
        try await scenario.run("update-index", "--add", "--cacheinfo", "100644,\(hidden),notes.txt")
        try await scenario.run("commit", "-q", "-m", "a file that is a commit")
        let result = try await scenario.push("origin", "HEAD:claude/x")
        try await scenario.expectRefused(result, "claude/x", "the tree entry 'notes.txt' names object \(hidden), which is not a file's content")
        expectNothingSecret(scenario, result, secrets: [SecretSamples.all[2].truePositive])
    }

    @Test func aSecretTheUpstreamAlreadyHasIsNotNew() async throws {
        let scenario = try await ContentScenario.start()
        try scenario.write("legacy.env", "# old\nKEY=\(SecretSamples.all[10].truePositive)\n")
        try await scenario.commitAll("legacy")
        try await scenario.pushDirectly("HEAD:refs/heads/legacy")
        try await scenario.run("checkout", "-q", "-b", "claude/x", "origin/main")
        try scenario.write("docs/mine.md", "mine\n")
        try await scenario.commitAll("mine")
        try await scenario.run("fetch", "-q", "origin")
        try await scenario.run("merge", "-q", "--no-edit", "origin/legacy")
        try await scenario.expectLanded(try await scenario.push("origin", "HEAD:claude/x"), "claude/x")
    }
}
