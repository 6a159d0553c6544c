import AgentSystem

extension ViewRepository {
    /// Puts the packs a fetch wrote into this view (`pack-<hash>.pack` and `.idx`) into the
    /// workspace's `objects/pack`, by descriptor: each file arrives under a fresh temporary name
    /// (moved there when both directories share a file system, else created exclusively and
    /// copied; nothing existing is followed or replaced), is flushed, then renamed within that
    /// directory, the `.pack` before its `.idx` as git does, so that a reader never sees an index
    /// without its pack. A pack already there (same name, same content) is kept.
    /// - Returns: the names of the packs installed.
    public func installNewPacks(into destination: ContainedDirectory) throws(WorkspaceError) -> [String] {
        let source: ContainedDirectory
        let names: [String]
        do {
            source = try packDirectory()
            names = try source.entryNames(limit: 10_000)
        } catch {
            throw WorkspaceError(.agentFailed, "the agent cannot read the fetched pack: \(error)")
        }
        var installed: [String] = []
        for name in names.sorted() where name.hasPrefix("pack-") && name.hasSuffix(".pack") {
            let base = String(name.dropLast(5))
            guard names.contains(base + ".idx") else { continue }
            try Self.install(base + ".pack", from: source, to: destination)
            try Self.install(base + ".idx", from: source, to: destination)
            installed.append(base)
        }
        return installed
    }

    private static func install(_ name: String, from source: ContainedDirectory, to destination: ContainedDirectory) throws(WorkspaceError) {
        let input: ContainedFile
        do { input = try source.file(name) } catch { throw WorkspaceError(.agentFailed, "the agent cannot read the fetched pack: \(error)") }
        let temporary = "tmp_agent_\(name)_\(UInt32.random(in: 0...UInt32.max))"
        do {
            // On one file system the file itself moves over (it is the agent's own, never seen by
            // the workspace until now); across file systems (EXDEV) it is copied.
            try source.move(name, to: temporary, in: destination)
            destination.handOver(input)  // the agent's file now, the repository owner's from here on
            try input.synchronize()
        } catch  where error.kind == .escapes {
            try copy(input, to: temporary, in: destination)
        } catch {
            throw WorkspaceError(.refused, "the fetched pack cannot be written to the workspace: \(error)")
        }
        do {
            try destination.move(temporary, to: name, in: destination)
        } catch  where error.isAlreadyExisting {
            try? destination.remove(temporary)  // EEXIST: the same pack (named by its checksum) is already there
        } catch {
            try? destination.remove(temporary)
            throw WorkspaceError(.refused, "the fetched pack cannot be added to the workspace: \(error)")
        }
    }

    private static func copy(_ input: ContainedFile, to temporary: String, in destination: ContainedDirectory) throws(WorkspaceError) {
        do {
            let output = try destination.createFileExclusively(temporary, mode: 0o444)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var offset: Int64 = 0
            while true {
                let count = try buffer.withMutableBytes { (raw) throws(ContainedFileError) -> Int in try input.read(into: raw, at: offset) }
                if count == 0 { break }
                try buffer[0..<count].withBytes { (raw) throws(ContainedFileError) in try output.append(raw) }
                offset += Int64(count)
            }
            try output.synchronize()
        } catch {
            try? destination.remove(temporary)
            throw WorkspaceError(.refused, "the fetched pack cannot be written to the workspace: \(error)")
        }
    }
}
