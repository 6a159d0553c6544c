#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What the agent makes in a directory belongs to that directory's owner.
///
/// In the containers the agent runs as its own uid, not as the person whose project it writes
/// into (the claude container's uid, which owns the workspace). A pack the agent fetched, a
/// quarantine record or a rewritten `config` owned by the agent's uid would lock the person
/// out of their own repository on the host (git could no longer add objects to a folder the
/// agent made). So every entry the agent creates is handed to the owner and group of the
/// directory it was created in; in a directory the agent owns itself (its state directory,
/// the tests' temporary folders) nothing changes.
///
/// Best effort: without `CAP_CHOWN` (the agent run by hand as another user) the entry stays
/// the agent's; the agent says so once at start (`StartupChecks`).
extension ContainedDirectory {
    /// The directory's owner and group, when they differ from the ones this process creates
    /// entries with (its effective uid and gid). Calls `fstat`.
    private var ownerToHandOverTo: (uid: uid_t, gid: gid_t)? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        // A set-group-id directory gives new entries its group already; only the uid may differ.
        guard info.st_uid != geteuid() || info.st_gid != getegid() else { return nil }
        return (info.st_uid, info.st_gid)
    }

    /// Hands the open `file`, just made in this directory, to the directory's owner.
    /// Calls `fchown`.
    public func handOver(_ file: ContainedFile) {
        handOver(descriptor: file.descriptor)
    }

    /// Hands the entry open at `descriptor` (made in this directory) to the directory's owner.
    /// Calls `fchown`; `EPERM` (no `CAP_CHOWN`) leaves it as it is.
    func handOver(descriptor entry: Int32) {
        guard let owner = ownerToHandOverTo else { return }
        _ = try? retryingSyscall("fchown") { fchown(entry, owner.uid, owner.gid) }
    }

    /// Hands the entry `name` (a directory or link just made here) to the directory's owner,
    /// never following a link. Calls `fchownat(AT_SYMLINK_NOFOLLOW)`.
    func handOver(entryNamed name: String) {
        guard let owner = ownerToHandOverTo else { return }
        _ = try? retryingSyscall("fchownat") { fchownat(descriptor, name, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) }
    }

}
