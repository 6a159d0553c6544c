import AgentSystem
import AgentWorkspaceGuard
import FoundationEssentials

/// Checks one configuration file against its baseline and takes out every setting the allowlist
/// refuses, rewriting the file as git itself does: take `NAME.lock` exclusively (so git and the
/// guard never write at once), write the new text there, then rename it over the file.
///
/// Every other byte of the file stays as it was. The settings taken out are written to the
/// quarantine before the rename, so a crash leaves a duplicate, never a loss. A writer that
/// ignores the lock and changes the file meanwhile makes the guard start again.
final class ConfigFileGuard {
    enum Outcome {
        case done
        /// A lock is held or the file changed under us: check again shortly.
        case retrySoon
    }

    private let reader: GuardedEntryReader
    private let quarantine: QuarantineWriter
    /// Files last found acceptable, by path: unchanged identity, nothing to read again.
    private var lastClean: [String: FileIdentity] = [:]
    /// Locks seen held, by file path: which lock and since when.
    private var heldLocks: [String: (FileIdentity, ContinuousClock.Instant)] = [:]
    /// How long another writer may hold `NAME.lock` before it is moved aside.
    static let lockPatience = Duration.milliseconds(500)
    /// git writes a configuration several times in a row during one command (a submodule clone
    /// does, and git does not wait for a lock it finds taken): the guard rewrites a file only once
    /// it has been quiet this long, or once `quietLimit` has passed since it first saw a problem.
    static let quietPeriod = Duration.milliseconds(150)
    static let quietLimit = Duration.milliseconds(400)
    /// Files with refused settings waiting for quiet, since when.
    private var waitingSince: [String: ContinuousClock.Instant] = [:]

    init(reader: GuardedEntryReader, quarantine: QuarantineWriter) {
        self.reader = reader
        self.quarantine = quarantine
    }

    /// Checks `name` in `directory` (at `directoryPath` relative to the workspace).
    func check(_ name: String, in directory: ContainedDirectory, at directoryPath: String, baseline: ConfigFileBaseline?, home: QuarantineHome) -> Outcome {
        let path = WorkspacePaths.join(directoryPath, name)
        guard let state = reader.state(of: name, in: directory, at: directoryPath, withContent: false) else {
            lastClean[path] = nil
            return .done
        }
        switch state.kind {
        case .symbolicLink:
            if let baseline, baseline.state.kind == .symbolicLink, baseline.state.linkTarget == state.linkTarget {
                // The user's own link: what git reads through it must still pass.
                guard let content = reader.state(of: name, in: directory, at: directoryPath, withContent: true)?.content,
                    content != baseline.state.content, let problem = firstProblem(in: content, baseline: baseline)
                else { return .done }
                quarantine.moveAside(
                    name, of: directory, origin: path, home: home, rule: "the file this link leads to now has \(problem)", expecting: state)
            } else {
                quarantine.moveAside(name, of: directory, origin: path, home: home, rule: "\(name) is a symbolic link the session made", expecting: state)
            }
            return .done
        case .directory, .other:
            if baseline?.state.kind != state.kind {
                quarantine.moveAside(name, of: directory, origin: path, home: home, rule: "\(name) is not a regular file", expecting: state)
            }
            return .done
        case .regular:
            break
        }
        if let identity = state.identity, lastClean[path] == identity { return .done }
        guard let bytes = try? directory.file(name, followingLinks: false).readAll(limit: ContentBudget.perFile) else {
            if (try? directory.entryStatus(name))?.size ?? 0 > Int64(ContentBudget.perFile) {
                replaceWhole(name, in: directory, path: path, baseline: baseline, home: home, rule: "\(name) is larger than 1 MiB")
            }
            return .done
        }
        if bytes == baseline?.state.content || firstProblem(in: bytes, baseline: baseline) == nil {
            lastClean[path] = state.identity
            waitingSince[path] = nil
            return .done
        }
        let now = ContinuousClock.now
        let since = waitingSince[path] ?? now
        if let identity = state.identity, Self.isRecent(identity), now - since < Self.quietLimit {
            waitingSince[path] = since
            return .retrySoon
        }
        waitingSince[path] = nil
        return rewrite(name, in: directory, path: path, baseline: baseline, home: home)
    }

    /// Whether the file changed less than `quietPeriod` ago (by its change time).
    private static func isRecent(_ identity: FileIdentity) -> Bool {
        let changed = Double(identity.changed) + Double(identity.changedNanoseconds) / 1e9
        let age = Date().timeIntervalSince1970 - changed
        return age >= 0 && age < Double(quietPeriod.components.seconds) + Double(quietPeriod.components.attoseconds) / 1e18
    }

    /// The first reason to act on `bytes`, or `nil` when every new setting is allowed.
    private func firstProblem(in bytes: [UInt8], baseline: ConfigFileBaseline?) -> String? {
        switch GitConfigParser.parse(bytes) {
        case .failure(let error): "configuration git cannot read (\(error))"
        case .success(let document):
            ConfigReview.removals(in: document, baseline: baseline?.settings ?? []).first.map { "\($0.entry.setting.displayName): \($0.reason)" }
        }
    }

    private func rewrite(_ name: String, in directory: ContainedDirectory, path: String, baseline: ConfigFileBaseline?, home: QuarantineHome) -> Outcome {
        let lockName = name + ".lock"
        let lock: ContainedFile
        do {
            let mode = ((try? directory.entryStatus(name))?.mode ?? 0o644) & 0o666
            lock = try directory.createFileExclusively(lockName, mode: mode)
        } catch  where error.isAlreadyExisting {
            return lockIsHeld(lockName, of: name, in: directory, path: path, home: home)
        } catch {
            quarantine.reportFailure(origin: path, repository: home.repository, error)
            return .done
        }
        heldLocks[path] = nil
        var isRenamed = false
        defer { if !isRenamed { try? directory.remove(lockName) } }
        // Under the lock, from the file as it is now (git may have rewritten it a moment ago).
        guard let before = try? directory.entryStatus(name), before.kind == .regular,
            let bytes = try? directory.file(name, followingLinks: false).readAll(limit: ContentBudget.perFile)
        else { return .retrySoon }
        guard case .success(let document) = GitConfigParser.parse(bytes) else {
            try? directory.remove(lockName)
            isRenamed = true
            replaceWhole(name, in: directory, path: path, baseline: baseline, home: home, rule: "\(name) is not configuration git can read")
            return .done
        }
        let removals = ConfigReview.removals(in: document, baseline: baseline?.settings ?? [])
        if removals.isEmpty { return .done }
        guard let rewritten = document.verifiedRemoving(removals.map(\.entry)) else {
            try? directory.remove(lockName)
            isRenamed = true
            replaceWhole(name, in: directory, path: path, baseline: baseline, home: home, rule: "\(name) could not be rewritten without its refused keys")
            return .done
        }
        var pending: [QuarantineWriter.PendingRecord] = []
        do {
            for removal in removals {
                pending.append(try quarantine.keep(removal.entry.setting, origin: path, home: home, rule: removal.reason))
            }
            try lock.write(rewritten)
            // A writer that ignores the lock changed the file meanwhile: start again.
            guard let after = try? directory.entryStatus(name), GuardedEntryReader.identity(after) == GuardedEntryReader.identity(before) else {
                pending.forEach(quarantine.discard)
                return .retrySoon
            }
            try directory.replace(name, in: directory, with: lockName)
            isRenamed = true
        } catch {
            pending.forEach(quarantine.discard)
            quarantine.reportFailure(origin: path, repository: home.repository, error)
            return .done
        }
        pending.forEach(quarantine.commit)
        lastClean[path] = nil
        return .done
    }

    /// Another writer holds `NAME.lock`: wait for it, but not longer than `lockPatience`, then
    /// move the lock aside (git would then report that it could not commit it).
    private func lockIsHeld(_ lockName: String, of name: String, in directory: ContainedDirectory, path: String, home: QuarantineHome) -> Outcome {
        let directoryPath = WorkspacePaths.split(path).directory
        guard let identity = reader.state(of: lockName, in: directory, at: directoryPath, withContent: false)?.identity else { return .retrySoon }
        let now = ContinuousClock.now
        guard let (seen, since) = heldLocks[path], seen == identity else {
            heldLocks[path] = (identity, now)
            return .retrySoon
        }
        guard now - since >= Self.lockPatience else { return .retrySoon }
        heldLocks[path] = nil
        quarantine.moveAside(
            lockName, of: directory, origin: path + ".lock", home: home,
            rule: "\(lockName) was held for more than half a second while \(name) had refused keys; moved aside")
        return .retrySoon
    }

    /// Moves the whole file aside and puts back what the baseline had, if anything.
    private func replaceWhole(_ name: String, in directory: ContainedDirectory, path: String, baseline: ConfigFileBaseline?, home: QuarantineHome, rule: String)
    {
        guard quarantine.moveAside(name, of: directory, origin: path, home: home, rule: rule) != nil else { return }
        lastClean[path] = nil
        guard let baseline else { return }
        BaselineRestorer.putBack(baseline.state, as: name, in: directory)
    }
}

/// Puts back a baseline file (or link) after the session's version was moved aside: written under
/// a name of its own first (never a name the session could have taken in advance, such as
/// `NAME.lock`), then moved into place without replacing anything that appeared meanwhile.
enum BaselineRestorer {
    static func putBack(_ state: MetadataFile, as name: String, in directory: ContainedDirectory) {
        switch state.kind {
        case .symbolicLink:
            if let target = state.linkTarget { try? directory.makeSymbolicLink(name, target: target) }
        case .regular:
            guard let content = state.content else { return }
            for _ in 0..<3 {
                let temporary = ".\(name).agent-restore-\(UInt64.random(in: 0...UInt64.max))"
                guard let file = try? directory.createFileExclusively(temporary, mode: state.mode & 0o7777) else { continue }
                do {
                    try file.write(content)
                    try directory.move(temporary, to: name, in: directory)
                } catch {
                    try? directory.remove(temporary)
                }
                return
            }
        case .directory, .other:
            break
        }
    }
}
