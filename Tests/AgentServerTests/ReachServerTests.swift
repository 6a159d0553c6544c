import AgentPolicy
import AgentSystem
import AgentTestSupport
import Foundation
import Testing
import _CryptoExtras

@testable import AgentServer

/// The server side of the token's reach: configuration keys, the state file, the App's JWT and
/// how its token answers are read.
struct ReachServerTests {
    func parse(_ environment: [String: String]) throws(ConfigurationError) -> AgentConfiguration {
        try ConfigurationParser(environment: environment, ownUID: 4242).parse().0
    }

    @Test func reachKeys() throws {
        let defaults = try parse([:])
        #expect(defaults.reach.allowedRepositories == nil, "the workspace's remotes, settled at start")
        #expect(defaults.reach.allowOtherRepositoryReads)
        #expect(!defaults.reach.allowPullRequestApproval)
        #expect(defaults.reach.pullRequestBases.isEmpty)
        #expect(defaults.reach.stateDirectory == "/var/lib/command-agent")
        #expect(defaults.reach.app == nil)
        let set = try parse([
            "ALLOWED_REPOS": #"["Octo/App.git","lib/*"]"#, "ALLOW_OTHER_REPO_READS": "false", "ALLOW_PR_APPROVE": "yes",
            "PR_BASE_BRANCHES": "develop,release/*",
            "AGENT_STATE_DIR": "/srv/state/", "ALLOW_FORCE_PUSH": "own", "ALLOW_BRANCH_DELETE": "true", "GITHUB_APP_ID": "12345",
            "GITHUB_APP_PRIVATE_KEY_FILE": "/k.pem", "GITHUB_APP_INSTALLATION_ID": "678",
        ])
        #expect(set.reach.allowedRepositories?.description == "octo/app, lib/*")
        #expect(!set.reach.allowOtherRepositoryReads)
        #expect(set.reach.allowPullRequestApproval)
        #expect(set.reach.pullRequestBases.map(\.source) == ["develop", "release/*"])
        #expect(set.reach.stateDirectory == "/srv/state")
        #expect(set.policy.allowForcePush == .ownBranches && set.policy.allowBranchDelete == .always)
        #expect(set.reach.app == GitHubAppConfiguration(appID: "12345", privateKeyFile: "/k.pem", installationID: "678", allowsWorkflows: false))
        #expect(try parse(["ALLOWED_REPOS": "[]"]).reach.allowedRepositories?.isEmpty == true, "an explicit empty list stays empty")
    }

    @Test(arguments: [
        ("ALLOWED_REPOS", #"["octo"]"#, "ALLOWED_REPOS: invalid repository 'octo': expected owner/name or owner/*"),
        ("ALLOWED_REPOS", "o/a,", "ALLOWED_REPOS: 'o/a,' is neither a JSON list nor a comma-separated list without empty entries"),
        ("ALLOW_OTHER_REPO_READS", "sometimes", "ALLOW_OTHER_REPO_READS: expected true or false, not 'sometimes'"),
        ("ALLOW_BRANCH_DELETE", "mine", "ALLOW_BRANCH_DELETE: expected true, false or own, not 'mine'"),
        ("AGENT_STATE_DIR", "state", "AGENT_STATE_DIR: 'state' is not an absolute path"),
        ("GITHUB_APP_ID", "my-app", "GITHUB_APP_ID: 'my-app' is not an App id (a number)"),
        ("GITHUB_APP_ID", "12", "GITHUB_APP_PRIVATE_KEY_FILE: GITHUB_APP_ID needs the App's private key file (PEM)"),
    ])
    func badValuesNameTheirKey(_ key: String, _ value: String, _ line: String) {
        #expect(throws: ConfigurationError.self) { try parse([key: value]) }
        do { _ = try parse([key: value]) } catch { #expect(error.description == line) }
    }

    @Test func theStateFileRoundTripsAndRefusesAnythingElse() throws {
        let state = BranchState(
            own: [("o/app", "refs/heads/claude/x", String(repeating: "c", count: 40)), ("o/app", "refs/heads/claude/y", nil)],
            deleted: [("o/app", "refs/heads/wip", String(repeating: "a", count: 40))])
        #expect(try BranchState.decode(state.encoded(), ownCapacity: 10, deletedCapacity: 10) == state)
        let header = BranchState.header + "\n"
        for bad in [
            "", "other header\n", header + "own\to/app\n", header + "own\to/app\trefs/tags/v1\n", header + "own\to/app\tclaude/x\n",
            header + "own\to/app\trefs/heads/../x\n", header + "deleted\to/app\trefs/heads/x\tnothex\n", header + "mine\to/app\trefs/heads/x\n",
            header + "own\tnot a repo\trefs/heads/x\n", header + "own\to/app\trefs/heads/x\textra\n",
        ] {
            #expect(throws: BranchState.Problem.self, "\(bad.debugDescription)") {
                try BranchState.decode(Array(bad.utf8), ownCapacity: 10, deletedCapacity: 10)
            }
        }
        #expect(throws: BranchState.Problem.self) { try BranchState.decode(state.encoded(), ownCapacity: 0, deletedCapacity: 10) }
    }

    @Test func theLedgerKeepsItsStateAcrossLoads() throws {
        let directory = try TemporaryDirectory(prefix: "state")
        let workspace = try TemporaryDirectory(prefix: "workspace")
        let file = try BranchStateFile.open(directory.sub("agent"), workspace: workspace.path)
        let ledger = try BranchLedger.load(settings: .defaults, file: file)
        ledger.recordCreation(branch: "refs/heads/claude/x", repository: "o/app")
        #expect(ledger.recordDeletion(branch: "refs/heads/theirs", repository: "o/app", tip: String(repeating: "b", count: 40)) == nil)
        let again = try BranchLedger.load(settings: .defaults, file: try BranchStateFile.open(directory.sub("agent"), workspace: workspace.path))
        #expect(again.isOwn(branch: "refs/heads/claude/x", repository: "O/APP"))
        #expect(again.deletedTip(branch: "refs/heads/theirs", repository: "o/app") == String(repeating: "b", count: 40))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.sub("agent/branches"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(again.recordDeletion(branch: "refs/heads/claude/x", repository: "o/app", tip: nil) == nil)
        #expect(!(try BranchLedger.load(settings: .defaults, file: file)).isOwn(branch: "refs/heads/claude/x", repository: "o/app"))
    }

    @Test func aStateDirectoryTheSessionCouldWriteIsRefused() throws {
        let workspace = try TemporaryDirectory(prefix: "workspace")
        try FileManager.default.createDirectory(atPath: workspace.sub("a/b"), withIntermediateDirectories: true)
        #expect(throws: BranchStateFile.Failure.self) { try BranchStateFile.open(workspace.sub("a/b"), workspace: workspace.path) }
        let elsewhere = try TemporaryDirectory(prefix: "elsewhere")
        try FileManager.default.createSymbolicLink(atPath: elsewhere.sub("link"), withDestinationPath: workspace.sub("a"))
        #expect(throws: BranchStateFile.Failure.self, "a link into the workspace") {
            try BranchStateFile.open(elsewhere.sub("link"), workspace: workspace.path)
        }
        try FileManager.default.createDirectory(atPath: elsewhere.sub("open"), withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: elsewhere.sub("open"))
        #expect(throws: BranchStateFile.Failure.self, "writable by others, not sticky") {
            try BranchStateFile.open(elsewhere.sub("open"), workspace: workspace.path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: elsewhere.sub("open"))
        _ = try BranchStateFile.open(elsewhere.sub("open"), workspace: workspace.path)
        try FileManager.default.createSymbolicLink(atPath: elsewhere.sub("open/branches"), withDestinationPath: "/etc/passwd")
        let file = try BranchStateFile.open(elsewhere.sub("open"), workspace: workspace.path)
        #expect(throws: BranchStateFile.Failure.self, "a link where the state file goes") { try file.read() }
    }

    @Test func theJWTIsRS256AndTheFixtureKeyVerifiesIt() throws {
        let key = try PrivateKeyLoader.load(fromFile: FixtureGitHubApp.privateKeyFile, key: "GITHUB_APP_PRIVATE_KEY_FILE")
        let jwt = try AppJWT.make(appID: "12345", privateKey: key, now: 1_800_000_000)
        let parts = jwt.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func decoded(_ text: String) -> Data? {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return Data(base64Encoded: base64)
        }
        #expect(decoded(parts[0]).map { String(decoding: $0, as: UTF8.self) } == #"{"alg":"RS256","typ":"JWT"}"#)
        #expect(decoded(parts[1]).map { String(decoding: $0, as: UTF8.self) } == #"{"iat":1799999940,"exp":1800000540,"iss":"12345"}"#)
        let publicKey = try _RSA.Signing.PublicKey(
            pemRepresentation: String(contentsOfFile: FixturePaths.url("github-app/app-public-key.pem").path, encoding: .utf8))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(decoded(parts[2])))
        #expect(publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5))
        #expect(!publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[0]).utf8), padding: .insecurePKCS1v1_5), "the check can fail")
        #expect(throws: AppJWT.Failure.self) { try AppJWT.make(appID: "1", privateKey: try #require(try? Self.secret("not a key")), now: 0) }
    }

    static func secret(_ text: String) throws -> LockedSecret {
        try LockedSecret { buffer throws(TokenError) in
            for (index, byte) in text.utf8.enumerated() { buffer[index] = byte }
            return text.utf8.count
        }
    }

    @Test func theTokenIsTakenFromTheAnswerAndOverwritten() throws {
        var body = Array(#"{"note":"a \"token\": \"decoy\"","token" : "ghs_abc123XYZ","expires_at":"2026-12-01T22:39:15Z"}"#.utf8)
        let secret = try #require(AppTokenAnswers.takeToken(from: &body))
        #expect(secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == "ghs_abc123XYZ")
        #expect(!String(decoding: body, as: UTF8.self).contains("ghs_abc123XYZ"))
        var missing = Array(#"{"expires_at":"2026-12-01T22:39:15Z"}"#.utf8)
        #expect(AppTokenAnswers.takeToken(from: &missing) == nil)
        var odd = Array(#"{"token":"has space"}"#.utf8)
        #expect(AppTokenAnswers.takeToken(from: &odd) == nil)
    }

    @Test func datesAsGitHubWritesThem() {
        #expect(AppTokenAnswers.seconds(iso8601: "1970-01-01T00:00:00Z") == 0)
        #expect(AppTokenAnswers.seconds(iso8601: "2026-12-01T22:39:15Z") == 1_796_164_755)
        #expect(AppTokenAnswers.seconds(httpDate: "Tue, 01 Dec 2026 22:39:15 GMT") == 1_796_164_755)
        #expect(AppTokenAnswers.seconds(iso8601: "2026-12-01 22:39:15") == nil)
        #expect(AppTokenAnswers.seconds(httpDate: "Tue, 01 Foo 2026 22:39:15 GMT") == nil)
    }

    @Test func renewalHappensASixthBeforeExpiryAtMostTenMinutes() {
        #expect(AppTokenService.renewalMargin(lifetime: .seconds(3600)) == .seconds(600))
        #expect(AppTokenService.renewalMargin(lifetime: .seconds(60)) == .seconds(10))
    }
}
