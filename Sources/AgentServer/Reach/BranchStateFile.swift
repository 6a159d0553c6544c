import AgentSystem

/// `AGENT_STATE_DIR/branches`: the session's branches across restarts, in a directory of the
/// agent's own (a volume of the agent container), never in the workspace.
///
/// Read and written by descriptor beneath the directory: the file must be a regular file the
/// agent's uid owns and only it may write (a link, a FIFO, someone else's file is refused), at
/// most `maximumSize` bytes. Each change writes a new file under a name of its own
/// (`O_EXCL | O_NOFOLLOW`, `fsync`), then renames it over the old one, so that a reader (or a
/// crash) sees the old state or the new, never half of one. Holds no secret.
struct BranchStateFile: Sendable {
    static let name = "branches"
    static let maximumSize = 16 << 20

    let directory: ContainedDirectory
    let path: String
    /// The file's name in the directory (`name`, or another state file's, see `sibling`).
    var fileName = Self.name

    /// Why the state directory or file cannot be used; names the path and the setting.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens (creating it, mode 0700, when missing) the state directory.
    static func open(_ path: String, workspace: String) throws(Failure) -> BranchStateFile {
        if !FileCheck.isDirectory(path) {
            do {
                try ContainedDirectory.openRoot("/").makeDirectory(String(path.dropFirst()), mode: 0o700)
            } catch {
                throw Failure(description: "AGENT_STATE_DIR: cannot create \(path): \(error)")
            }
        }
        if DirectoryAncestry.isDirectory(path, within: workspace) {
            throw Failure(description: "AGENT_STATE_DIR: \(path) is inside the workspace (\(workspace)), which the session can write")
        }
        let opened: (ContainedDirectory, FileStatus)
        do {
            let directory = try ContainedDirectory.openRoot(path)
            opened = (directory, try directory.entryStatus("."))
        } catch {
            throw Failure(description: "AGENT_STATE_DIR: cannot open \(path): \(error)")
        }
        // Others may share the directory only if it is sticky (like /tmp): then they cannot
        // rename or remove the agent's file.
        if opened.1.mode & 0o022 != 0, opened.1.mode & 0o1000 == 0 {
            throw Failure(description: "AGENT_STATE_DIR: \(path) is writable by others and not sticky; make it the agent's own (chmod 700)")
        }
        return BranchStateFile(directory: opened.0, path: path)
    }

    /// Another file of the state directory, kept the same way.
    func sibling(_ name: String) -> BranchStateFile {
        BranchStateFile(directory: directory, path: path, fileName: name)
    }

    /// The bytes of the state file, or `nil` when there is none yet.
    func read() throws(Failure) -> [UInt8]? {
        let shown = path + "/" + fileName
        guard let status = try status(shown) else { return nil }
        guard status.kind == .regular else { throw Failure(description: "AGENT_STATE_DIR: \(shown) is not a regular file") }
        guard status.owner == ProcessIdentity.userID, status.mode & 0o022 == 0 else {
            throw Failure(
                description: "AGENT_STATE_DIR: \(shown) is not the agent's own file (owner uid \(status.owner), mode \(String(status.mode, radix: 8)))")
        }
        do {
            return try directory.read(fileName, limit: Self.maximumSize)
        } catch {
            throw Failure(description: "AGENT_STATE_DIR: cannot read \(shown): \(error)")
        }
    }

    /// What is at the state file's place, links not followed; `nil` when nothing is.
    private func status(_ shown: String) throws(Failure) -> FileStatus? {
        do {
            return try directory.entryStatus(fileName)
        } catch {
            if error.kind == .missing { return nil }
            throw Failure(description: "AGENT_STATE_DIR: cannot read \(shown): \(error)")
        }
    }

    /// Replaces the state file with `bytes`.
    func write(_ bytes: [UInt8], attempt: Int) throws(Failure) {
        guard bytes.count <= Self.maximumSize else { throw Failure(description: "the branch state is larger than \(Self.maximumSize) bytes") }
        let temporary = ".\(fileName).\(ProcessIdentity.processID).\(attempt)"
        do {
            try? directory.remove(temporary)
            try directory.createFile(temporary, contents: bytes, mode: 0o600)
            try directory.replace(fileName, in: directory, with: temporary)
        } catch {
            try? directory.remove(temporary)
            throw Failure(description: "AGENT_STATE_DIR: cannot write \(path)/\(fileName): \(error)")
        }
    }
}
