import AgentWorkspaceGuard
import Testing

/// What the guard takes out of a file: new refused settings only, never the baseline's.
struct ConfigReviewTests {
    static func document(_ text: String) throws -> GitConfigDocument {
        try GitConfigParser.parse(Array(text.utf8)).get()
    }

    @Test func theBaselineStaysAndNewRefusedSettingsGo() throws {
        let baseline = try Self.document("[core]\n\tpager = less\n[user]\n\tname = Person\n")
        let current = try Self.document(
            "[core]\n\tpager = less\n\tfsmonitor = /x\n[user]\n\tname = Person\n\tname = Claude\n[core]\n\tpager = /evil\n")
        let removals = ConfigReview.removals(in: current, baseline: Set(baseline.entries.map(\.setting)))
        #expect(removals.map(\.entry.setting) == [GitConfigSetting("core.fsmonitor", "/x"), GitConfigSetting("core.pager", "/evil")])
        let rewritten = try #require(current.verifiedRemoving(removals.map(\.entry)))
        #expect(String(decoding: rewritten, as: UTF8.self) == "[core]\n\tpager = less\n[user]\n\tname = Person\n\tname = Claude\n[core]\n")
    }

    @Test func aKeyOnTheHeaderLineLeavesTheHeader() throws {
        let current = try Self.document("[core] fsmonitor = /x\n[user]\n\tname = a\n")
        let removals = ConfigReview.removals(in: current, baseline: [])
        #expect(String(decoding: try #require(current.verifiedRemoving(removals.map(\.entry))), as: UTF8.self) == "[core] [user]\n\tname = a\n")
    }

    @Test func includesAreFoundWhereverWritten() {
        let settings = [
            GitConfigSetting("include.path", "a.cfg"), GitConfigSetting("includeif.gitdir:/x/.path", "b.cfg"),
            GitConfigSetting("include.x.path", "not-an-include"), GitConfigSetting("includeif.path", "not-either"),
            GitConfigSetting("include.path", nil),
        ]
        #expect(ConfigReview.includedPaths(in: settings) == [Array("a.cfg".utf8), Array("b.cfg".utf8)])
    }

    @Test(arguments: [
        GitConfigSetting("core.pager", "a b"), GitConfigSetting("core.pager", " lead"), GitConfigSetting("core.pager", "trail "),
        GitConfigSetting("core.pager", "x # y ; z"), GitConfigSetting("core.pager", "q\"uo\\te\n\ttab"), GitConfigSetting("core.bare", nil),
        GitConfigSetting("core.pager", ""), GitConfigSetting("remote.a \"b\\c.url", "u"), GitConfigSetting("url.https://e/.insteadof", "x"),
    ])
    func snippetsReadBackAsTheSameSetting(_ setting: GitConfigSetting) async throws {
        let text = try #require(GitConfigSnippet.render(setting))
        #expect(try GitConfigParser.parse(text).get().entries.map(\.setting) == [setting])
        #expect(try await GitOracle().settings(of: text) == [setting], "\(String(decoding: text, as: UTF8.self))")
    }
}
