import CLibGit2

/// Hands a `WorkspaceObjectStore` to libgit2 as a read-only object-database backend
/// (`git2/sys/odb_backend.h`). libgit2 owns the backend once added and frees it with the odb.
///
/// libgit2 checks the hash of every object read through a backend (strict hash verification is
/// on), so the store serves bytes and libgit2 decides whether they are the object asked for.
enum ObjectBackend {
    /// The store and its owner reference, kept alive until libgit2 frees the backend.
    private final class Box {
        let store: WorkspaceObjectStore
        init(_ store: WorkspaceObjectStore) { self.store = store }
    }

    /// Adds `store` to `odb` at `priority` (higher is asked first). Calls `git_odb_add_backend`.
    static func attach(_ store: WorkspaceObjectStore, to odb: OpaquePointer, priority: Int32) throws(GitError) {
        let backend = UnsafeMutablePointer<agent_odb_backend>.allocate(capacity: 1)
        backend.initialize(to: agent_odb_backend())
        let owner = Unmanaged.passRetained(Box(store))
        backend.pointee.owner = owner.toOpaque()
        let parent = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: git_odb_backend.self)
        guard git_odb_init_backend(parent, UInt32(GIT_ODB_BACKEND_VERSION)) == 0 else {
            owner.release()
            backend.deallocate()
            throw GitError(code: -1, message: "preparing the workspace's objects: libgit2 refused the backend")
        }
        parent.pointee.read = read
        parent.pointee.read_header = readHeader
        parent.pointee.read_prefix = readPrefix
        parent.pointee.exists = exists
        parent.pointee.exists_prefix = existsPrefix
        parent.pointee.free = free
        let result = git_odb_add_backend(odb, parent, priority)
        if result < 0 {
            free(parent)
            try GitError.check(result, "preparing the workspace's objects")
        }
    }

    private static func store(_ backend: UnsafeMutablePointer<git_odb_backend>?) -> WorkspaceObjectStore? {
        guard let backend else { return nil }
        let own = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: agent_odb_backend.self)
        guard let owner = own.pointee.owner else { return nil }
        return Unmanaged<Box>.fromOpaque(owner).takeUnretainedValue().store
    }

    /// Runs `body`, turning a store error into libgit2's return code.
    private static func answer(_ body: () throws(ObjectStoreError) -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            return code(for: error)
        }
    }

    /// libgit2's answer for a store error: "not found" lets it ask its other backends.
    private static func code(for error: ObjectStoreError) -> Int32 {
        switch error {
        case .notFound: return GIT_ENOTFOUND.rawValue
        case .ambiguous:
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), error.description)
            return GIT_EAMBIGUOUS.rawValue
        default:
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), error.description)
            return GIT_ERROR.rawValue
        }
    }

    private static func fill(
        _ buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        _ length: UnsafeMutablePointer<Int>?,
        _ type: UnsafeMutablePointer<git_object_t>?,
        _ backend: UnsafeMutablePointer<git_odb_backend>?,
        _ store: WorkspaceObjectStore,
        _ id: RawObjectID
    ) throws(ObjectStoreError) {
        var data: UnsafeMutableRawPointer?
        var size = 0
        let kind: ObjectKind
        do {
            kind = try store.read(id) { count in
                size = count
                data = git_odb_backend_data_alloc(backend, max(count, 1))
                return data.map { UnsafeMutableRawBufferPointer(start: $0, count: count) }
            }
        } catch {
            if let data { git_odb_backend_data_free(backend, data) }
            throw error
        }
        buffer?.pointee = data
        length?.pointee = size
        type?.pointee = git_object_t(rawValue: Int32(kind.rawValue))
    }

    private static let read:
        @convention(c) (
            UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<git_object_t>?,
            UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?
        ) -> Int32 = { buffer, length, type, backend, oid in
            guard let store = store(backend), let oid else { return GIT_ERROR.rawValue }
            return answer { () throws(ObjectStoreError) in try fill(buffer, length, type, backend, store, RawObjectID(oid.pointee)) }
        }

    private static let readHeader:
        @convention(c) (
            UnsafeMutablePointer<Int>?, UnsafeMutablePointer<git_object_t>?, UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?
        ) -> Int32 = { length, type, backend, oid in
            guard let store = store(backend), let oid else { return GIT_ERROR.rawValue }
            return answer { () throws(ObjectStoreError) in
                let header = try store.header(RawObjectID(oid.pointee))
                length?.pointee = header.size
                type?.pointee = git_object_t(rawValue: Int32(header.kind.rawValue))
            }
        }

    private static let readPrefix:
        @convention(c) (
            UnsafeMutablePointer<git_oid>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int>?,
            UnsafeMutablePointer<git_object_t>?, UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?, Int
        ) -> Int32 = { out, buffer, length, type, backend, prefix, digits in
            guard let store = store(backend), let prefix else { return GIT_ERROR.rawValue }
            return answer { () throws(ObjectStoreError) in
                let id = try store.resolve(prefix: RawObjectID(prefix.pointee), hexDigits: min(max(digits, 1), 40))
                try fill(buffer, length, type, backend, store, id)
                out?.pointee = id.gitOID
            }
        }

    /// libgit2 reads any non-zero answer as "exists", so a file the store refuses counts as
    /// absent here; reading it reports why.
    private static let exists: @convention(c) (UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?) -> Int32 = { backend, oid in
        guard let store = store(backend), let oid else { return 0 }
        return (try? store.contains(RawObjectID(oid.pointee))) == true ? 1 : 0
    }

    private static let existsPrefix:
        @convention(c) (
            UnsafeMutablePointer<git_oid>?, UnsafeMutablePointer<git_odb_backend>?, UnsafePointer<git_oid>?, Int
        ) -> Int32 = { out, backend, prefix, digits in
            guard let store = store(backend), let prefix else { return GIT_ERROR.rawValue }
            return answer { () throws(ObjectStoreError) in
                out?.pointee = try store.resolve(prefix: RawObjectID(prefix.pointee), hexDigits: min(max(digits, 1), 40)).gitOID
            }
        }

    private static let free: @convention(c) (UnsafeMutablePointer<git_odb_backend>?) -> Void = { backend in
        guard let backend else { return }
        let own = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: agent_odb_backend.self)
        if let owner = own.pointee.owner { Unmanaged<Box>.fromOpaque(owner).release() }
        own.deinitialize(count: 1)
        own.deallocate()
    }
}
