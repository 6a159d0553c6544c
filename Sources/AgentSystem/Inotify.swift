#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Linux inotify: the kernel tells which watched directory changed, so that the workspace guard
/// reacts within milliseconds instead of waiting for its next scan.
///
/// Watches are added on directories already opened beneath the workspace (through their
/// `/proc/self/fd/N` name), so a watch is on exactly the directory that was checked, whatever is
/// renamed meanwhile. Reads never block longer than the timeout given.
///
/// `@unchecked Sendable`: the descriptor is set once in `init` and closed once in `deinit`; the
/// guard uses one instance from one thread.
public final class Inotify: @unchecked Sendable {
    /// One event: the watch it came from, what happened, and the entry's name when it is about one.
    public struct Event: Hashable, Sendable {
        public let watch: Int32
        public let mask: UInt32
        public let name: String?

        /// The kernel dropped events (its queue was full): everything must be checked again.
        public var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
        /// The entry is a directory.
        public var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
        /// The watch is gone (its directory was removed or the watch removed).
        public var isWatchGone: Bool { mask & UInt32(IN_IGNORED) != 0 }
        /// An entry was renamed (into or out of the directory), or the directory itself.
        public var isMove: Bool { mask & UInt32(IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF) != 0 }
    }

    /// Entries created, removed, renamed, written, closed after writing or changed in mode, and
    /// the directory itself removed or renamed.
    public static let directoryChanges =
        UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)
        | UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    /// Entries created, removed or renamed, and the directory itself removed or renamed: enough
    /// to notice a new directory or `.git` without hearing about every file a build writes.
    public static let entryChanges =
        UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) | UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Calls `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)`.
    public init() throws(SystemCallError) {
        descriptor = try retryingSyscall("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
    }

    deinit {
        close(descriptor)
    }

    /// Watches the open `directory`; returns the watch descriptor (the same one again for a
    /// directory already watched). Fails with `ENOSPC` when `fs.inotify.max_user_watches` is
    /// reached. Calls `inotify_add_watch`.
    public func watch(_ directory: ContainedDirectory, mask: UInt32 = Inotify.directoryChanges) throws(SystemCallError) -> Int32 {
        try retryingSyscall("inotify_add_watch") { inotify_add_watch(descriptor, directory.procPath, mask) }
    }

    /// Stops a watch; a watch already gone is not an error. Calls `inotify_rm_watch`.
    public func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// The events that arrive within `timeout` (none when it passes quietly): waits with
    /// `poll`, then reads everything queued.
    public func events(waitingAtMost timeout: Duration) throws(SystemCallError) -> [Event] {
        var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = try retryingSyscall("poll") { poll(&pollDescriptor, 1, milliseconds) }
        guard ready > 0 else { return [] }
        var events: [Event] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return events }
                throw SystemCallError(call: "read", errno: code)
            }
            if count == 0 { return events }
            events += Self.decode(buffer.prefix(count))
        }
    }

    /// Waits `duration` without an inotify instance (when none could be made). Calls `poll`.
    public static func pause(for duration: Duration) {
        let milliseconds = Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        _ = poll(nil, 0, milliseconds)
    }

    /// Splits a read into `struct inotify_event`s: `wd`, `mask`, `cookie`, `len`, then `len`
    /// bytes of NUL-padded name.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [Event] {
        var events: [Event] = []
        var offset = bytes.startIndex
        let header = 16
        while offset + header <= bytes.endIndex {
            // Native byte order, as the kernel writes the struct.
            func word(_ at: Int) -> UInt32 {
                bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at - bytes.startIndex, as: UInt32.self) }
            }
            let watch = Int32(bitPattern: word(offset))
            let mask = word(offset + 4)
            let length = Int(word(offset + 12))
            let nameStart = offset + header
            guard nameStart + length <= bytes.endIndex else { break }
            let nameBytes = bytes[nameStart..<(nameStart + length)].prefix { $0 != 0 }
            events.append(Event(watch: watch, mask: mask, name: length == 0 ? nil : String(decoding: nameBytes, as: UTF8.self)))
            offset = nameStart + length
        }
        return events
    }
}
