import AgentPolicy

/// The keys a session may add to a repository's configuration: each names no program, sends
/// nothing to another host and names no other file. Everything else is refused (fail closed);
/// the reason says which kind of danger the key is known for, or that it is simply not listed.
///
/// The list is documented in the README ("The workspace guard"); keep both in step.
public enum ConfigKeyRules {
    /// What to do with a setting that the baseline did not have.
    public static func verdict(for setting: GitConfigSetting) -> GuardVerdict {
        let section = String(decoding: setting.section, as: UTF8.self)
        let key = String(decoding: setting.key, as: UTF8.self)
        let hasSubsection = setting.subsection != nil
        if !hasSubsection, plainKeys.contains("\(section).\(key)") { return .keep }
        switch (section, hasSubsection) {
        case ("branch", true): return branchKey(key, setting)
        case ("remote", true): return remoteKey(key, setting)
        case ("submodule", true): return submoduleKey(key, setting)
        case ("remote", false) where key == "pushdefault": return remoteName(setting)
        case ("alias", false):
            if let value = setting.value, value.first != ASCII.exclamation { return .keep }
            return .quarantine("an alias that runs a shell command ('!') or has no value")
        case ("pager", false):
            return isBoolean(setting.value) ? .keep : .quarantine("pager.<command> with a value other than true/false names a program")
        case ("color", _), ("advice", false): return .keep
        default: return .quarantine(dangerReason(section: section, key: key, hasSubsection: hasSubsection))
        }
    }

    /// Two-part keys (no subsection) that only tune git's own behaviour.
    static let plainKeys: Set<String> = [
        "core.repositoryformatversion", "core.filemode", "core.bare", "core.logallrefupdates", "core.ignorecase",
        "core.precomposeunicode", "core.symlinks", "core.autocrlf", "core.eol", "core.safecrlf", "core.quotepath",
        "core.trustctime", "core.checkstat", "core.abbrev", "core.compression", "core.loosecompression", "core.bigfilethreshold",
        "core.whitespace", "core.commentchar", "core.sparsecheckout", "core.sparsecheckoutcone", "core.splitindex",
        "core.untrackedcache", "core.preloadindex", "core.multipackindex", "core.commitgraph", "core.protecthfs", "core.protectntfs",
        "core.warnambiguousrefs", "core.ignorestat", "core.checkroundtripencoding", "core.fsync", "core.fsyncmethod",
        "user.name", "user.email", "user.useconfigonly", "author.name", "author.email", "committer.name", "committer.email",
        "push.default", "push.autosetupremote", "push.followtags", "pull.rebase", "pull.ff", "fetch.prune", "fetch.prunetags",
        "fetch.writecommitgraph", "init.defaultbranch", "merge.ff", "merge.conflictstyle", "rebase.autosquash", "rebase.autostash",
        "rebase.updaterefs", "diff.renames", "diff.algorithm", "diff.colormoved", "diff.mnemonicprefix", "diff.noprefix",
        "status.showuntrackedfiles", "status.short", "status.branch", "commit.verbose", "commit.cleanup", "commit.status",
        "branch.autosetupmerge", "branch.autosetuprebase", "branch.sort", "index.sparse", "index.version", "index.threads",
        "extensions.worktreeconfig", "extensions.objectformat", "maintenance.auto", "maintenance.strategy", "gc.auto",
        "gc.autodetach", "rerere.enabled", "rerere.autoupdate", "i18n.commitencoding", "i18n.logoutputencoding", "log.date",
        "log.decorate", "tag.sort", "column.ui", "submodule.active", "submodule.recurse",
    ]

    private static func branchKey(_ key: String, _ setting: GitConfigSetting) -> GuardVerdict {
        switch key {
        case "remote", "pushremote": remoteName(setting)
        case "merge": isPlainText(setting.value) ? .keep : .quarantine("branch.<name>.merge must be a ref name")
        case "rebase", "description": .keep
        default: .quarantine("branch.<name>.\(key) is not on the allowlist")
        }
    }

    private static func remoteKey(_ key: String, _ setting: GitConfigSetting) -> GuardVerdict {
        switch key {
        case "url": gitHubURL(setting)
        case "fetch", "push", "partialclonefilter":
            isPlainText(setting.value) ? .keep : .quarantine("remote.<name>.\(key) must be printable text without spaces")
        case "tagopt", "prune", "prunetags", "mirror", "skipdefaultupdate", "skipfetchall", "promisor": .keep
        case "pushurl", "proxy", "proxyauthmethod": .quarantine("remote.<name>.\(key) redirects git to another host")
        case "uploadpack", "receivepack", "vcs": .quarantine("remote.<name>.\(key) names a program")
        default: .quarantine("remote.<name>.\(key) is not on the allowlist")
        }
    }

    private static func submoduleKey(_ key: String, _ setting: GitConfigSetting) -> GuardVerdict {
        switch key {
        case "url": gitHubURL(setting)
        case "active": isBoolean(setting.value) ? .keep : .quarantine("submodule.<name>.active must be true or false")
        case "update": .quarantine("submodule.<name>.update can name a program ('!command')")
        default: .quarantine("submodule.<name>.\(key) is not on the allowlist")
        }
    }

    /// A URL on github.com, in any of the three spellings git users type.
    private static func gitHubURL(_ setting: GitConfigSetting) -> GuardVerdict {
        guard let text = setting.text else { return .quarantine("\(setting.displayName) must be a github.com URL") }
        var https = text
        for prefix in ["git@github.com:", "ssh://git@github.com/"] where text.hasPrefix(prefix) {
            https = "https://github.com/" + text.dropFirst(prefix.count)
        }
        if case .success = GitHubRepository.parse(remoteURL: https) { return .keep }
        return .quarantine("\(setting.displayName) must be https://github.com/OWNER/REPO (another URL redirects git)")
    }

    /// A remote's name (or `.`), never a URL or a path.
    private static func remoteName(_ setting: GitConfigSetting) -> GuardVerdict {
        guard let value = setting.value, let first = value.first, first != UInt8(ascii: "-"), first != ASCII.slash,
            value.allSatisfy({ ASCII.isLetter($0) || ASCII.isDigit($0) || "._-/".utf8.contains($0) })
        else { return .quarantine("\(setting.displayName) must name a remote, not a URL or a path") }
        return .keep
    }

    private static func isPlainText(_ value: [UInt8]?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        return value.allSatisfy(ASCII.isGraphic)
    }

    /// git's booleans: an implicit true, empty, true/yes/on/false/no/off in any case, or a number.
    static func isBoolean(_ value: [UInt8]?) -> Bool {
        guard let value else { return true }
        if value.isEmpty || value.allSatisfy(ASCII.isDigit) { return true }
        return ["true", "yes", "on", "false", "no", "off"].contains(String(decoding: ASCII.lowercased(value), as: UTF8.self))
    }

    /// Why a key that is not allowed is dangerous, for the keys known to be; else "not listed".
    private static func dangerReason(section: String, key: String, hasSubsection: Bool) -> String {
        let name = hasSubsection ? "\(section).<name>.\(key)" : "\(section).\(key)"
        let programs: Set<String> = [
            "core.fsmonitor", "core.pager", "core.editor", "core.sshcommand", "core.askpass", "core.gitproxy",
            "core.alternaterefscommand", "core.hookspath", "diff.external", "sequence.editor", "gpg.program", "gpg.<name>.program",
            "diff.<name>.textconv", "diff.<name>.command", "merge.<name>.driver", "filter.<name>.clean", "filter.<name>.smudge",
            "filter.<name>.process", "credential.helper", "credential.<name>.helper", "pager.<name>", "interactive.difffilter",
            "core.worktree", "include.path", "includeif.<name>.path", "url.<name>.insteadof", "url.<name>.pushinsteadof",
        ]
        if section == "http" || section == "url" { return "\(name) redirects git or changes how it reaches other hosts" }
        if section == "include" || section == "includeif" { return "\(name) makes git read another file" }
        if name == "core.worktree" { return "core.worktree points git at another directory" }
        if programs.contains(name) || section == "filter" || section == "credential" || section == "gpg" {
            return "\(name) names a program"
        }
        return "\(name) is not on the allowlist of harmless keys"
    }
}

/// What the guard does with a key, a hook or a file it finds.
public enum GuardVerdict: Hashable, Sendable {
    case keep
    /// Move it into the quarantine; the reason names the rule, never the content.
    case quarantine(String)
}
