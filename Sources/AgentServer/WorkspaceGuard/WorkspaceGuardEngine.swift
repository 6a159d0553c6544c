import AgentSystem
import AgentWorkspaceGuard
import Logging

/// The workspace guard's state and loop: the baseline taken at the start, the repositories and
/// directories it knows, its inotify watches, and what to look at next.
///
/// Runs on one thread (the guard service's): inotify events make it check the repository they
/// concern at once; every `checkInterval` it checks all known repositories (a backstop for lost
/// events, cheap: a few `fstatat` per file); every `walkInterval`, after an inotify overflow, and
/// for each new work tree directory it walks to find new repositories.
final class WorkspaceGuardEngine {
    static let directoryLimit = 20_000
    static let checkInterval = Duration.milliseconds(500)
    static let walkInterval = Duration.seconds(30)
    static let retryDelay = Duration.milliseconds(50)
    /// Names whose appearance in a work tree directory can make it (part of) a repository.
    static let repositoryNames: Set<String> = [".git", "HEAD", "commondir", "objects", "refs", "config"]

    private let root: ContainedDirectory
    private let workspacePath: String
    private let logger: Logger
    private let inotify: Inotify?
    private let reader: GuardedEntryReader
    private let quarantine: QuarantineWriter
    private let gitGuard: GitDirectoryGuard
    private(set) var baseline = WorkspaceBaseline()

    private var gitDirectories: Set<String> = []
    private var dotGitOwners: Set<String> = []
    private var watches = WatchTable()
    private var isWalkComplete = true
    private var dirtyGitDirectories: Set<String> = []
    private var dirtyWorkTrees: Set<String> = []
    private var dirtyOwners: Set<String> = []
    private var needsFullWalk = false
    private var lastFullWalk = ContinuousClock.now
    private var retryAt: ContinuousClock.Instant?

    /// Opens the workspace, walks it and takes the baseline (before any client can connect).
    init(workspace: String, audit: AuditLog, logger: Logger) throws(ContainedFileError) {
        root = try ContainedDirectory.openRoot(workspace)
        workspacePath = workspace
        self.logger = logger
        do { inotify = try Inotify() } catch {
            logger.warning("workspace guard: no inotify (\(error)); changes are found by checks every \(Self.checkInterval)")
            inotify = nil
        }
        reader = GuardedEntryReader(root: root)
        quarantine = QuarantineWriter(audit: audit, logger: logger)
        gitGuard = GitDirectoryGuard(root: root, workspacePath: workspace, reader: reader, quarantine: quarantine)
        // Fails here (as a startup error) when the kernel cannot open files beneath a directory.
        _ = try root.directory(".", followingLinks: false)
        walk(from: [.workTree("")], isFull: true)
        var budget = ContentBudget()
        var pending = Array(gitDirectories)
        var captured: Set<String> = []
        while let path = pending.popLast() {
            guard captured.insert(path).inserted, let (key, directoryBaseline) = gitGuard.captureBaseline(of: path, budget: &budget) else { continue }
            baseline.gitDirectories[key] = directoryBaseline
            if let common = gitGuard.commonDirectory(of: path), !captured.contains(common) { pending.append(common) }
        }
        for owner in dotGitOwners {
            guard let directory = try? root.directory(owner, followingLinks: false), let status = try? directory.status(),
                let state = reader.state(of: ".git", in: directory, at: owner, withContent: true)
            else { continue }
            baseline.dotGitEntries[DirectoryKey(status)] = state
        }
        for target in dotGitOwners.compactMap(dotGitTarget) where !captured.contains(target) {
            if let (key, directoryBaseline) = gitGuard.captureBaseline(of: target, budget: &budget) {
                baseline.gitDirectories[key] = directoryBaseline
                addGitDirectory(target)
            }
        }
        for path in gitDirectories.sorted() where (try? root.directory(path, followingLinks: false))?.isWritable == false {
            logger.warning(
                "workspace guard: the agent (uid \(ProcessIdentity.userID)) cannot write \(WorkspacePaths.join(workspace, path)); what the session writes there cannot be quarantined"
            )
        }
        logger.info(
            "workspace guard: \(baseline.gitDirectories.count) git directories in \(workspace) (baseline taken), \(watches.count) directories watched"
        )
    }

    /// Guards until `isStopping` says so (checked at least every 250 ms).
    func run(isStopping: () -> Bool) {
        var nextCheck = ContinuousClock.now + Self.checkInterval
        var nextWalk = ContinuousClock.now + Self.walkInterval
        checkAll()
        while !isStopping() {
            let now = ContinuousClock.now
            var wake = min(nextCheck, nextWalk, retryAt ?? nextCheck)
            if needsFullWalk { wake = min(wake, lastFullWalk + .milliseconds(250)) }
            let timeout = min(max(wake - now, .zero), .milliseconds(250))
            if let inotify {
                do { handle(try inotify.events(waitingAtMost: timeout)) } catch {
                    logger.error("workspace guard: reading inotify events failed (\(error)); checking everything")
                    needsFullWalk = true
                }
            } else {
                Inotify.pause(for: timeout)
            }
            let isFullWalkDue = needsFullWalk && ContinuousClock.now - lastFullWalk >= .milliseconds(250)
            if isFullWalkDue || ContinuousClock.now >= nextWalk {
                walk(from: [.workTree("")], isFull: true)
                nextWalk = ContinuousClock.now + Self.walkInterval
            }
            if !dirtyWorkTrees.isEmpty {
                let starts = dirtyWorkTrees.map { WorkspaceWalk.Start.workTree($0) }
                dirtyWorkTrees = []
                walk(from: starts, isFull: false)
            }
            if ContinuousClock.now >= nextCheck || (retryAt.map { ContinuousClock.now >= $0 } ?? false) {
                retryAt = nil
                checkAll()
                nextCheck = ContinuousClock.now + Self.checkInterval
            } else {
                let (owners, dirty) = (dirtyOwners, dirtyGitDirectories)
                (dirtyOwners, dirtyGitDirectories) = ([], [])
                for owner in owners { checkDotGit(owner) }
                for path in dirty { check(gitDirectory: path) }
            }
        }
    }

    private func handle(_ events: [Inotify.Event]) {
        for event in events {
            if event.isOverflow {
                needsFullWalk = true
                continue
            }
            if event.isWatchGone {
                watches.forget(event.watch)
                continue
            }
            // A renamed directory leaves paths stale, and a new directory inside a git directory
            // may be a submodule or worktree: both are found again by a full walk.
            if event.isMove && (event.isDirectory || event.name == nil) { needsFullWalk = true }
            switch watches.context(of: event.watch) {
            case .workTree(let path):
                if event.name == ".git" { dirtyOwners.insert(path) }
                if event.isDirectory || Self.repositoryNames.contains(event.name ?? "") { dirtyWorkTrees.insert(path) }
            case .gitDirectory(let path):
                dirtyGitDirectories.insert(path)
                if event.isDirectory { needsFullWalk = true }
            case nil: continue
            }
        }
    }

    /// Walks from `starts`, watching every directory found and recording repositories. A full
    /// walk replaces what was known; a partial one adds to it (new directories only).
    private func walk(from starts: [WorkspaceWalk.Start], isFull: Bool) {
        let limit = Self.directoryLimit - (isFull ? 0 : watches.count)
        var seen: Set<DirectoryKey> = []
        let found = WorkspaceWalk.walk(root, from: starts, limit: max(limit, 1), known: isFull ? [] : watches.keys) { _, directory, context in
            if let key = watches.watch(directory, context: context, with: inotify, logger: logger) { seen.insert(key) }
        }
        if isFull {
            watches.keep(only: seen, with: inotify)
            gitDirectories = Set(found.gitDirectories)
            dotGitOwners = Set(found.dotGitOwners)
            needsFullWalk = false
            lastFullWalk = .now
        } else {
            gitDirectories.formUnion(found.gitDirectories)
            dotGitOwners.formUnion(found.dotGitOwners)
        }
        dirtyGitDirectories.formUnion(found.gitDirectories)
        dirtyOwners.formUnion(found.dotGitOwners)
        if !found.isComplete && isWalkComplete {
            logger.warning(
                "workspace guard: the workspace has more than \(Self.directoryLimit) directories; repositories beyond the first \(Self.directoryLimit) (breadth first) are not guarded"
            )
        }
        if isFull || !found.isComplete { isWalkComplete = found.isComplete }
    }

    private func addGitDirectory(_ path: String) {
        guard gitDirectories.insert(path).inserted else { return }
        walk(from: [.gitDirectory(path)], isFull: false)
    }

    private func checkAll() {
        (dirtyOwners, dirtyGitDirectories) = ([], [])
        for owner in dotGitOwners { checkDotGit(owner) }
        for path in gitDirectories { check(gitDirectory: path) }
    }

    private func check(gitDirectory path: String) {
        let (commonDirectories, retrySoon) = gitGuard.check(path, baselines: baseline.gitDirectories)
        for common in commonDirectories { addGitDirectory(common) }
        if retrySoon { retryAt = min(retryAt ?? .now + Self.retryDelay, .now + Self.retryDelay) }
    }

    /// A `.git` that is a file or a link: kept when the baseline had it, or when it leads to a git
    /// directory inside the workspace (then guarded too); moved aside otherwise, and always when
    /// it replaced a `.git` directory.
    private func checkDotGit(_ owner: String) {
        guard let directory = try? root.directory(owner, followingLinks: false), let status = try? directory.status(),
            let state = reader.state(of: ".git", in: directory, at: owner, withContent: true), state.kind != .directory
        else { return }
        let previous = baseline.dotGitEntries[DirectoryKey(status)]
        let what = state.kind == .symbolicLink ? "a symbolic link" : "a file"
        let rule: String
        if let previous, previous.isUnchanged(state) {
            if let target = dotGitTarget(owner) { addGitDirectory(target) }
            return
        } else if previous?.kind == .directory {
            rule = ".git was a directory and is now \(what): git would follow it to another repository"
        } else if case .inside(let target, let isGitDirectory) = dotGitDestination(owner) {
            // Inside the workspace: guarded like any repository (or refused by git, if it is none).
            if isGitDirectory { addGitDirectory(target) }
            return
        } else {
            rule = ".git is \(what) that leads outside the workspace or cannot be read"
        }
        quarantine.moveAside(".git", of: directory, origin: WorkspacePaths.join(owner, ".git"), home: workspaceHome(), rule: rule, expecting: state)
    }

    /// Where a `.git` file or link in `owner` leads.
    private enum DotGitTarget {
        /// A directory inside the workspace (or nowhere git would go); guarded when git would take
        /// it for a git directory.
        case inside(String, isGitDirectory: Bool)
        case outside
    }

    /// The git directory a `.git` file or link in `owner` leads to, when it is one inside the
    /// workspace (anything else git refuses, or is not the workspace's).
    private func dotGitTarget(_ owner: String) -> String? {
        if case .inside(let path, true) = dotGitDestination(owner) { return path }
        return nil
    }

    private func dotGitDestination(_ owner: String) -> DotGitTarget {
        guard let directory = try? root.directory(owner, followingLinks: false),
            let state = reader.state(of: ".git", in: directory, at: owner, withContent: true)
        else { return .inside("", isGitDirectory: false) }
        let target: [UInt8]?
        switch state.kind {
        case .regular: target = state.content.flatMap(GitDirectoryLayout.gitFileTarget)
        case .symbolicLink: target = state.linkTarget
        case .directory, .other: target = nil
        }
        // A file git cannot read as `gitdir: …` (empty while git writes it, say) leads nowhere.
        guard let target else { return .inside("", isGitDirectory: false) }
        guard let resolved = GitDirectoryLayout.resolve(target, from: WorkspacePaths.components(owner), workspaceRoot: workspacePath)
        else { return .outside }
        let path = resolved.joined(separator: "/")
        do {
            let opened = try root.directory(path, followingLinks: true)
            let entries = (try? opened.entries(limit: 100_000)).map(WorkspaceWalk.kindsByName) ?? [:]
            // Guarded under its real path (links resolved): the checks never follow a link.
            guard let real = opened.path(relativeTo: root) else { return .outside }
            return .inside(real, isGitDirectory: GitDirectoryLayout.isGitDirectory(entries))
        } catch {
            // Not there (yet: git writes a submodule's .git file before its directory), or not a
            // directory: git refuses it, nothing to guard. A link out of the workspace: outside.
            return error.kind == .escapes ? .outside : .inside(path, isGitDirectory: false)
        }
    }

    /// Where items without a git directory of their own go: the workspace's `.git`, else a
    /// `.agent-quarantine` folder at the workspace's top.
    private func workspaceHome() -> QuarantineHome {
        if let gitDirectory = try? root.directory(".git", followingLinks: false) {
            return QuarantineHome(directory: gitDirectory, repository: ".git", folderName: GitDirectoryLayout.quarantineDirectory)
        }
        return QuarantineHome(directory: root, repository: "", folderName: "." + GitDirectoryLayout.quarantineDirectory)
    }
}
