import AgentSystem
import Logging

/// The guard's inotify watches: which directory (by identity) each watch is on, and why.
struct WatchTable {
    private var contexts: [Int32: WorkspaceWalk.Context] = [:]
    private var keysByWatch: [Int32: DirectoryKey] = [:]
    /// Identities of every directory walked (watched, or meant to be when watches ran out).
    private(set) var keys: Set<DirectoryKey> = []
    private var isLimitReported = false

    var count: Int { keys.count }

    func context(of watch: Int32) -> WorkspaceWalk.Context? { contexts[watch] }

    /// Watches `directory` (for `context`); returns its identity. When the kernel's watch limit is
    /// reached, says so once: the periodic checks still cover the repositories found.
    mutating func watch(_ directory: ContainedDirectory, context: WorkspaceWalk.Context, with inotify: Inotify?, logger: Logger) -> DirectoryKey? {
        guard let status = try? directory.status() else { return nil }
        let key = DirectoryKey(status)
        keys.insert(key)
        guard let inotify else { return key }
        do {
            // Work trees: only what can make or unmake a repository; git directories: everything.
            let mask: UInt32
            switch context {
            case .workTree: mask = Inotify.entryChanges
            case .gitDirectory: mask = Inotify.directoryChanges
            }
            let watch = try inotify.watch(directory, mask: mask)
            contexts[watch] = context
            keysByWatch[watch] = key
        } catch {
            if !isLimitReported {
                logger.warning(
                    "workspace guard: cannot watch more directories (\(error)); raise fs.inotify.max_user_watches. Changes there are found by the periodic checks"
                )
                isLimitReported = true
            }
        }
        return key
    }

    mutating func forget(_ watch: Int32) {
        if let key = keysByWatch.removeValue(forKey: watch) { keys.remove(key) }
        contexts[watch] = nil
    }

    /// Drops the watches on directories a full walk no longer found.
    mutating func keep(only seen: Set<DirectoryKey>, with inotify: Inotify?) {
        for (watch, key) in keysByWatch where !seen.contains(key) {
            inotify?.removeWatch(watch)
            forget(watch)
        }
        keys.formIntersection(seen)
    }
}
