import AgentPolicy
import CLibGit2

/// Applies the content rules (`PROTECTED_PATHS`, `SECRET_SCAN`) to what a push would send, in
/// the private view, before any byte is sent.
///
/// For each tip, the commits the remote does not have (reachable from the tip, not from any
/// advertised tip) are walked oldest first. A commit's changes are the paths at which its tree
/// differs from every one of its parents' (all of its paths for a root commit): a path counts
/// only where the commit itself brings a version no parent had. For a merge commit, a protected
/// path that equals one parent's version still counts when that is not what merging gives (the
/// version of the only side that changed it since the merge base): a merge that takes a stale
/// parent's copy of a workflow changes it. Each blob a counted path carries is scanned once, as
/// are commit and tag messages.
public enum PushContentInspector {
    /// - Parameters:
    ///   - tips: the new values of the refs pushed (commits, tags, trees or blobs).
    ///   - remoteHas: every object the remote advertised.
    ///   - held: the held secrets' forms, lent for this call.
    public static func inspect(
        _ repository: GitRepository,
        sending tips: [ObjectID],
        remoteHas: [ObjectID],
        rules: ContentRules,
        held: HeldSecretPatterns,
        limits: ContentInspectionLimits = ContentInspectionLimits(),
        control: OperationControl?
    ) throws(PushRefusal) -> ContentInspection {
        let scanner = SecretScanner(scansFormats: rules.scansSecrets, held: rules.scansSecrets ? held : .none)
        let walker = ContentWalker(
            repository: repository, rules: rules, scanner: scanner, budget: WalkBudget(limit: limits.maximumSteps, control: control),
            mergeBaseLookups: limits.maximumMergeBaseLookups)
        let hidden = remoteHas.compactMap { walker.commit(peeling: $0.gitOID) }
        var verdicts: [ContentVerdict] = []
        for tip in tips {
            verdicts.append(try walker.verdict(for: tip.gitOID, hiding: hidden))
        }
        return ContentInspection(
            verdicts: verdicts, warnings: walker.warnings, scannedBlobs: walker.scannedBlobs, scannedBytes: walker.scannedBytes,
            skippedBinaryBlobs: walker.skippedBinaryBlobs)
    }
}

/// The state of one inspection: verdicts per commit and scans per blob, shared by all tips.
final class ContentWalker {
    let repository: GitRepository
    let rules: ContentRules
    let scanner: SecretScanner
    /// For content at a `SECRET_SCAN_ALLOW` path: the held secrets only.
    let heldOnly: SecretScanner
    let budget: WalkBudget
    var mergeBaseLookups: Int
    var warnings: [ContentWarning] = []
    var scannedBlobs = 0
    var scannedBytes = 0
    var skippedBinaryBlobs = 0
    private var commits: [RawObjectID: ContentVerdict] = [:]
    private var blobs: [RawObjectID: BlobScan] = [:]

    struct BlobScan {
        var held: SecretFinding?
        var format: SecretFinding?
        var formatsScanned: Bool
        var skipped: Bool
    }

    init(repository: GitRepository, rules: ContentRules, scanner: SecretScanner, budget: WalkBudget, mergeBaseLookups: Int) {
        self.repository = repository
        self.rules = rules
        self.scanner = scanner
        self.heldOnly = SecretScanner(scansFormats: false, held: scanner.held)
        self.budget = budget
        self.mergeBaseLookups = mergeBaseLookups
    }

    var isActive: Bool { rules.checksPaths || scanner.isActive }

    func verdict(for tip: git_oid, hiding hidden: [git_oid]) throws(PushRefusal) -> ContentVerdict {
        guard isActive else { return .clean }
        var current = tip
        for _ in 0..<100 {
            let object = try GitObject(repository, current)
            switch object.kind {
            case GIT_OBJECT_TAG:
                if let verdict = try scanObject(current, place: "tag \(ObjectID(current).hex.prefix(12))") { return verdict }
                guard let target = object.tagTarget else { throw .unreadable("tag \(ObjectID(current)) has no target") }
                current = target
            case GIT_OBJECT_COMMIT:
                return try walkCommits(from: current, hiding: hidden)
            case GIT_OBJECT_TREE:
                let changes = try TreeDiff(repository: repository, budget: budget).changes(from: nil, to: current)
                return try judge(changes, parents: [], commit: nil, tree: current)
            case GIT_OBJECT_BLOB:
                let scan = try scanBlob(RawObjectID(current), oid: current, path: [])
                return try verdict(scan, place: "object \(ObjectID(current).hex.prefix(12))") ?? .clean
            default:
                throw .unreadable("object \(ObjectID(current)) is not in the repository")
            }
        }
        throw .unreadable("tag \(ObjectID(tip)) is nested too deeply")
    }

    /// The commit `oid` peels to, when the view has it.
    func commit(peeling oid: git_oid) -> git_oid? {
        var current = oid
        for _ in 0..<100 {
            guard let object = try? GitObject(repository, current) else { return nil }
            switch object.kind {
            case GIT_OBJECT_COMMIT: return current
            case GIT_OBJECT_TAG:
                guard let target = object.tagTarget else { return nil }
                current = target
            default: return nil
            }
        }
        return nil
    }

    private func walkCommits(from tip: git_oid, hiding hidden: [git_oid]) throws(PushRefusal) -> ContentVerdict {
        var walk: OpaquePointer?
        guard git_revwalk_new(&walk, repository.pointer) == 0, let walk else { throw .unreadable("the agent cannot walk the history to push") }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue)
        var start = tip
        guard git_revwalk_push(walk, &start) == 0 else { throw .unreadable("commit \(ObjectID(tip)) cannot be read: \(GitError.lastMessage())") }
        for var commit in hidden { _ = git_revwalk_hide(walk, &commit) }
        var next = git_oid()
        while true {
            let result = git_revwalk_next(&next, walk)
            if result == GIT_ITEROVER.rawValue { return .clean }
            guard result == 0 else { throw .unreadable("the history to push cannot be read: \(GitError.lastMessage())") }
            let verdict = try verdict(ofCommit: next)
            if verdict != .clean { return verdict }
        }
    }

    private func verdict(ofCommit oid: git_oid) throws(PushRefusal) -> ContentVerdict {
        let key = RawObjectID(oid)
        if let known = commits[key] { return known }
        try budget.spend()
        let commit = try GitObject(repository, oid)
        var verdict = try scanObject(oid, place: "commit \(ObjectID(oid).hex.prefix(12))") ?? .clean
        if verdict == .clean {
            guard let tree = commit.commitTree else { throw .unreadable("commit \(ObjectID(oid)) has no tree") }
            let parents = commit.commitParents
            let diff = TreeDiff(repository: repository, budget: budget)
            var perParent: [[[UInt8]: LeafChange]] = []
            for parent in parents {
                guard let parentTree = try GitObject(repository, parent).commitTree else { throw .unreadable("commit \(ObjectID(parent)) has no tree") }
                perParent.append(try diff.changes(from: parentTree, to: tree))
            }
            let changes = parents.isEmpty ? try diff.changes(from: nil, to: tree) : Self.common(perParent)
            verdict = try judge(changes, parents: perParent, commit: oid, tree: tree)
        }
        commits[key] = verdict
        return verdict
    }

    /// Paths that differ from every parent.
    static func common(_ perParent: [[[UInt8]: LeafChange]]) -> [[UInt8]: LeafChange] {
        guard let first = perParent.first else { return [:] }
        return first.filter { path, _ in perParent.dropFirst().allSatisfy { $0[path] != nil } }
    }

    /// Protected paths first (in path order), then the content of the new leaves.
    private func judge(_ changes: [[UInt8]: LeafChange], parents: [[[UInt8]: LeafChange]], commit: git_oid?, tree: git_oid) throws(PushRefusal)
        -> ContentVerdict
    {
        let paths = changes.keys.sorted { $0.lexicographicallyPrecedes($1) }
        // A name is content too; one that holds a secret is refused without being shown.
        if scanner.isActive {
            for path in paths where changes[path]?.new != nil {
                let result = path.withUnsafeBytes { scanner.scan($0) }
                if let verdict = try verdict(
                    BlobScan(held: result.held, format: result.format, formatsScanned: true, skipped: false), place: "the name of a file")
                {
                    return verdict
                }
            }
        }
        if rules.checksPaths {
            if let path = paths.first(where: { rules.protection(of: $0) != nil }) { return .protectedPath(Self.text(path)) }
            if parents.count > 1, let commit, let path = try MergeRule(walker: self).firstChangedProtectedPath(commit: commit, tree: tree, parents: parents) {
                return .protectedPath(Self.text(path))
            }
        }
        guard scanner.isActive else { return .clean }
        for path in paths {
            guard let leaf = changes[path]?.new, leaf.isContent else { continue }
            let scan = try scanBlob(leaf.id, oid: leaf.id.gitOID, path: path)
            if let verdict = try verdict(scan, place: ContentDenial.quoted(Self.text(path))) { return verdict }
        }
        return .clean
    }

    func verdict(_ scan: BlobScan, place: String) throws(PushRefusal) -> ContentVerdict? {
        if let held = scan.held { return .secret(held, place: place) }
        guard let format = scan.format else { return nil }
        if rules.secretScan == .warn {
            if warnings.count < ContentInspection.maximumWarnings { warnings.append(ContentWarning(finding: format, place: place)) }
            return nil
        }
        return .secret(format, place: place)
    }

    /// Scans a commit or tag as sent: author, committer, extra headers and message.
    private func scanObject(_ oid: git_oid, place: String) throws(PushRefusal) -> ContentVerdict? {
        guard scanner.isActive else { return nil }
        let result = try GitObject.raw(repository, oid).withUnsafeBytes { scanner.scan($0) }
        return try verdict(BlobScan(held: result.held, format: result.format, formatsScanned: true, skipped: false), place: place)
    }

    private func scanBlob(_ key: RawObjectID, oid: git_oid, path: [UInt8]) throws(PushRefusal) -> BlobScan {
        let scansFormats = path.isEmpty ? scanner.scansFormats : scanner.scansFormats && rules.scansFormats(at: path)
        if let known = blobs[key], known.formatsScanned || !scansFormats || known.skipped {
            return scansFormats ? known : BlobScan(held: known.held, format: nil, formatsScanned: false, skipped: known.skipped)
        }
        try budget.spend()
        let blob = try GitObject(repository, oid)
        guard blob.kind == GIT_OBJECT_BLOB else {
            // libgit2 would pack whatever the entry names; git fsck and GitHub refuse the tree.
            throw .unreadable("the tree entry \(ContentDenial.quoted(Self.text(path))) names object \(ObjectID(oid)), which is not a file's content")
        }
        let scan = blob.withBlobContent { content -> BlobScan in
            if content.count > rules.maximumBinaryScanSize, SecretScanner.looksBinary(content) {
                return BlobScan(held: nil, format: nil, formatsScanned: true, skipped: true)
            }
            let result = (scansFormats ? scanner : heldOnly).scan(content)
            return BlobScan(held: result.held, format: result.format, formatsScanned: scansFormats, skipped: false)
        }
        if blobs[key] == nil {
            if scan.skipped { skippedBinaryBlobs += 1 } else { scannedBlobs += 1; scannedBytes += blob.size }
        }
        blobs[key] = scan
        return scan
    }

    static func text(_ path: [UInt8]) -> String {
        String(decoding: path, as: UTF8.self)
    }
}
