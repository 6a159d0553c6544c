import AgentWorkspaceGuard
import Testing

/// The allowlist, key by key: what a session may add, and every key of issue 13's lists refused.
struct ConfigKeyRulesTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let value: String?
        let isKept: Bool
        var testDescription: String { "\(name)=\(value ?? "<true>") \(isKept ? "kept" : "quarantined")" }
    }

    static func kept(_ name: String, _ value: String?) -> Case { Case(name: name, value: value, isKept: true) }
    static func refused(_ name: String, _ value: String?) -> Case { Case(name: name, value: value, isKept: false) }

    static let cases: [Case] = [
        // Normal work: commit, push -u, remote add, config user.*, branch switches, clone, init.
        kept("user.name", "Claude"), kept("user.email", "c@example.com"), kept("core.repositoryformatversion", "0"),
        kept("core.filemode", "true"), kept("core.bare", "false"), kept("core.logallrefupdates", "true"), kept("core.autocrlf", "input"),
        kept("core.ignorecase", "true"), kept("branch.main.remote", "origin"), kept("branch.claude/x.merge", "refs/heads/claude/x"),
        kept("branch.x.rebase", "true"), kept("branch.x.pushremote", "fork"), kept("branch.x.remote", "."),
        kept("remote.origin.url", "https://github.com/o/app.git"), kept("remote.origin.url", "https://github.com/o/app"),
        kept("remote.origin.url", "git@github.com:o/app.git"), kept("remote.origin.url", "ssh://git@github.com/o/app.git"),
        kept("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"), kept("remote.origin.tagopt", "--no-tags"),
        kept("remote.origin.promisor", "true"), kept("remote.origin.partialclonefilter", "blob:none"), kept("remote.pushdefault", "origin"),
        kept("push.default", "current"), kept("push.autosetupremote", "true"), kept("pull.rebase", "false"),
        kept("init.defaultbranch", "main"), kept("submodule.lib.url", "https://github.com/o/lib.git"), kept("submodule.lib.active", "true"),
        kept("extensions.worktreeconfig", "true"), kept("alias.st", "status -sb"), kept("alias.lg", "log --oneline"),
        kept("color.ui", "auto"), kept("color.diff.meta", "blue bold"), kept("advice.detachedhead", "false"), kept("pager.log", "false"),
        kept("pager.branch", nil), kept("maintenance.auto", "false"), kept("gc.auto", "0"), kept("submodule.active", "."),
        // Programs.
        refused("core.fsmonitor", "/x"), refused("core.fsmonitor", "true"), refused("core.pager", "less"), refused("core.editor", "vim"),
        refused("core.sshcommand", "/usr/bin/ssh -v"), refused("core.askpass", "/x"), refused("core.gitproxy", "/x"), refused("core.hookspath", "/dev/null"),
        refused("core.alternaterefscommand", "/x"), refused("diff.external", "/x"), refused("diff.x.textconv", "/x"),
        refused("diff.x.command", "/x"), refused("filter.x.clean", "/x"), refused("filter.x.smudge", "/x"), refused("filter.x.process", "/x"),
        refused("filter.lfs.required", "true"), refused("merge.x.driver", "/x"), refused("credential.helper", "store"),
        refused("credential.https://github.com.helper", "!x"), refused("credential.username", "x"), refused("gpg.program", "/x"),
        refused("gpg.ssh.program", "/x"), refused("gpg.format", "ssh"), refused("commit.gpgsign", "true"), refused("alias.x", "!sh"),
        refused("alias.x", nil), refused("sequence.editor", "/x"), refused("pager.log", "less"), refused("pager.log", "/x"),
        refused("remote.origin.vcs", "x"), refused("remote.origin.uploadpack", "/x"), refused("remote.origin.receivepack", "/x"),
        refused("submodule.lib.update", "!x"), refused("interactive.difffilter", "/x"), refused("core.worktree", "../x"),
        // Redirections and other files.
        refused("url.https://e/.insteadof", "https://github.com/"), refused("url.https://e/.pushinsteadof", "https://github.com/"),
        refused("http.proxy", "http://e"), refused("http.extraheader", "X: y"), refused("http.sslverify", "false"),
        refused("http.https://github.com/.proxy", "http://e"), refused("https.proxy", "http://e"), refused("include.path", "x"),
        refused("includeif.gitdir:/.path", "x"), refused("core.excludesfile", "/etc/x"), refused("core.attributesfile", "/x"),
        refused("commit.template", "/x"), refused("init.templatedir", "/x"), refused("remote.origin.pushurl", "https://github.com/o/app"),
        refused("remote.origin.proxy", "http://e"), refused("remote.origin.url", "https://evil.example/o/app.git"),
        refused("remote.origin.url", "/home/person/secret"), refused("remote.origin.url", "ext::sh -c x"),
        refused("remote.origin.url", "https://user@github.com/o/app.git"), refused("submodule.lib.url", "../lib"),
        refused("branch.main.remote", "https://evil.example/x"), refused("branch.main.remote", "-x"), refused("remote.pushdefault", "/tmp/x"),
        refused("remote.origin.fetch", "a b"), refused("branch.main.merge", ""),
        // Unknown keys, and names git would not even use.
        refused("core.unknownkey", "x"), refused("nosection", "x"), refused("safe.directory", "*"), refused("user.signingkey", "/x"),
    ]

    @Test(arguments: cases)
    func verdict(_ item: Case) {
        let verdict = ConfigKeyRules.verdict(for: GitConfigSetting(item.name, item.value))
        #expect((verdict == .keep) == item.isKept, "\(verdict)")
        if case .quarantine(let reason) = verdict {
            #expect(!reason.isEmpty && !(item.value.map { $0.count > 2 && reason.contains($0) } ?? false), "the reason repeats the value: \(reason)")
        }
    }

    @Test func reasonsNameTheDanger() {
        #expect(ConfigKeyRules.verdict(for: GitConfigSetting("core.fsmonitor", "/x")) == .quarantine("core.fsmonitor names a program"))
        #expect(ConfigKeyRules.verdict(for: GitConfigSetting("diff.pdf.textconv", "/x")) == .quarantine("diff.<name>.textconv names a program"))
        #expect(ConfigKeyRules.verdict(for: GitConfigSetting("include.path", "x")) == .quarantine("include.path makes git read another file"))
        #expect(ConfigKeyRules.verdict(for: GitConfigSetting("core.nothing", "x")) == .quarantine("core.nothing is not on the allowlist of harmless keys"))
    }
}
