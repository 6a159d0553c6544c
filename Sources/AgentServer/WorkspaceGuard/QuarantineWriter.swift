import AgentSystem
import AgentWorkspaceGuard
import FoundationEssentials
import Logging

/// Where records go: `agent-quarantine/` inside a git directory (git never reads it), or, for a
/// `.git` file that has no git directory of its own, the workspace's.
struct QuarantineHome {
    let directory: ContainedDirectory
    /// The git directory (or workspace) it is in, relative to the workspace, for the audit line.
    let repository: String
    let folderName: String
}

/// Moves what the guard refuses into a quarantine record (`ID/manifest` plus `ID/item` or
/// `ID/entry.gitconfig`) and writes one audit line per item. Everything happens by descriptor:
/// records are made with `mkdirat` and opened without following links, items are moved with
/// `renameat2(RENAME_NOREPLACE)` (a move, never a copy or a delete, never onto anything).
final class QuarantineWriter {
    private let audit: AuditLog
    private let logger: Logger
    private var identifiers = QuarantineIdentifier()
    /// Paths whose failure was already reported (reported again only after a success).
    private var reportedFailures: Set<String> = []

    init(audit: AuditLog, logger: Logger) {
        self.audit = audit
        self.logger = logger
    }

    /// A record kept for a setting before it leaves its file; `commit` or `discard` it.
    struct PendingRecord {
        let id: String
        let record: QuarantineRecord
        let quarantine: ContainedDirectory
        let directory: ContainedDirectory
    }

    /// Moves the entry `name` of `directory` into a new record. Returns the record's id, or `nil`
    /// (reported) when it could not be moved; nothing is lost either way.
    ///
    /// With `expecting`, what was moved is checked against what was decided on (the same kind, the
    /// same file or link text): if the session swapped something else in meanwhile, it is moved
    /// back, and the next check decides again.
    @discardableResult
    func moveAside(_ name: String, of directory: ContainedDirectory, origin: String, home: QuarantineHome, rule: String, expecting: MetadataFile? = nil)
        -> String?
    {
        do throws(ContainedFileError) {
            let (id, quarantine, record) = try makeRecord(in: home)
            let manifest = QuarantineRecord(
                id: id, kind: .file, repository: home.repository, origin: origin, key: nil, rule: rule, time: Timestamp.iso8601(Date()))
            let item = QuarantineRecord.itemName(.file)
            do throws(ContainedFileError) {
                try record.createFile("manifest", contents: Array(manifest.manifest.utf8))
                try directory.move(name, to: item, in: record)
            } catch {
                try? record.remove("manifest")
                try? quarantine.remove(id, directory: true)
                throw error
            }
            if let expecting, !Self.isSame(expecting, as: item, in: record), (try? record.move(item, to: name, in: directory)) != nil {
                try? record.remove("manifest")
                try? quarantine.remove(id, directory: true)
                return nil
            }
            recordAudit(manifest)
            reportedFailures.remove(origin)
            return id
        } catch {
            reportFailure(origin: origin, repository: home.repository, error)
            return nil
        }
    }

    /// Whether the entry `name` of `directory` is what `expected` describes: same kind, and the
    /// same inode (a file) or link text (a link).
    private static func isSame(_ expected: MetadataFile, as name: String, in directory: ContainedDirectory) -> Bool {
        guard let status = try? directory.entryStatus(name), GuardedEntryReader.kind(status.kind) == expected.kind else { return false }
        switch expected.kind {
        case .symbolicLink: return (try? directory.linkTarget(name)) == expected.linkTarget
        case .regular, .other: return expected.identity.map { $0.device == status.device && $0.inode == status.inode } ?? true
        case .directory: return true
        }
    }

    /// Writes `setting` as configuration text into a new record, to be committed once the entry
    /// has left its file (so that a crash in between leaves a duplicate, never a loss).
    func keep(_ setting: GitConfigSetting, origin: String, home: QuarantineHome, rule: String) throws(ContainedFileError) -> PendingRecord {
        let (id, quarantine, record) = try makeRecord(in: home)
        let text = GitConfigSnippet.render(setting)
        let isRestorable = text.map { GitConfigSnippetCheck.readsBack($0, as: setting) } ?? false
        let manifest = QuarantineRecord(
            id: id, kind: .configEntry, repository: home.repository, origin: origin, key: setting.displayName, rule: rule,
            time: Timestamp.iso8601(Date()), isRestorable: isRestorable)
        do throws(ContainedFileError) {
            try record.createFile(QuarantineRecord.itemName(.configEntry), contents: text ?? [])
            try record.createFile("manifest", contents: Array(manifest.manifest.utf8))
        } catch {
            discard(PendingRecord(id: id, record: manifest, quarantine: quarantine, directory: record))
            throw error
        }
        return PendingRecord(id: id, record: manifest, quarantine: quarantine, directory: record)
    }

    func commit(_ pending: PendingRecord) {
        recordAudit(pending.record)
        reportedFailures.remove(pending.record.origin)
    }

    func discard(_ pending: PendingRecord) {
        try? pending.directory.remove("manifest")
        try? pending.directory.remove(QuarantineRecord.itemName(.configEntry))
        try? pending.quarantine.remove(pending.id, directory: true)
    }

    /// `agent-quarantine/` in the home (made if missing; something else squatting the name is
    /// moved aside first), then a new record directory in it.
    private func makeRecord(in home: QuarantineHome) throws(ContainedFileError) -> (String, ContainedDirectory, ContainedDirectory) {
        let quarantine = try quarantineDirectory(in: home)
        var attempts = 0
        while true {
            let id = identifiers.next(secondsSince1970: Int64(Date().timeIntervalSince1970))
            do {
                try quarantine.makeDirectory(id)
                return (id, quarantine, try quarantine.directory(id, followingLinks: false))
            } catch  where error.isAlreadyExisting && attempts < 100 {
                attempts += 1
            }
        }
    }

    private func quarantineDirectory(in home: QuarantineHome) throws(ContainedFileError) -> ContainedDirectory {
        do {
            try home.directory.makeDirectory(home.folderName)
        } catch  where error.isAlreadyExisting {
            // Already there (ours from before, or a squatter: checked on opening).
        }
        do {
            return try home.directory.directory(home.folderName, followingLinks: false)
        } catch  where error.kind == .escapes || error.kind == .notDirectory {
            let displaced = home.folderName + ".displaced-" + identifiers.next(secondsSince1970: Int64(Date().timeIntervalSince1970))
            try home.directory.move(home.folderName, to: displaced, in: home.directory)
            try home.directory.makeDirectory(home.folderName)
            return try home.directory.directory(home.folderName, followingLinks: false)
        }
    }

    private func recordAudit(_ record: QuarantineRecord) {
        var details = [("item", record.id), ("path", record.origin)]
        if let key = record.key { details.append(("key", key)) }
        audit.record(
            AuditEntry(
                peer: nil, socket: "workspace", operation: "quarantine", repository: record.repository, decision: "quarantine",
                code: "workspace-guard", reason: record.rule, details: details, started: .now))
        let what = record.key.map { "\($0) in \(record.origin)" } ?? record.origin
        logger.warning("workspace guard: quarantined \(what) (\(record.rule)) as \(record.id); review with ./run.sh --status")
    }

    /// One line (log and audit) per path until it succeeds again; a permission problem says what
    /// the guard needs.
    func reportFailure(origin: String, repository: String, _ error: ContainedFileError) {
        guard reportedFailures.insert(origin).inserted else { return }
        var reason = "cannot quarantine \(origin): \(error)"
        if error.isPermissionDenied {
            reason += " (the agent runs as uid \(ProcessIdentity.userID) and needs write access to the repository's .git)"
        }
        logger.error("workspace guard: \(reason)")
        audit.record(
            AuditEntry(
                peer: nil, socket: "workspace", operation: "quarantine", repository: repository, decision: "error",
                code: "workspace-guard", reason: reason, details: [("path", origin)], started: .now))
    }
}

/// Whether configuration text reads back as exactly one setting (else it is kept, but marked
/// for restoring by hand).
enum GitConfigSnippetCheck {
    static func readsBack(_ text: [UInt8], as setting: GitConfigSetting) -> Bool {
        guard case .success(let document) = GitConfigParser.parse(text) else { return false }
        return document.entries.map(\.setting) == [setting]
    }
}
