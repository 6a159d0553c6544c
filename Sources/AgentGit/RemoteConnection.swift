import CLibGit2

/// A ref the remote advertised.
public struct AdvertisedReference: Hashable, Sendable {
    public let name: String
    public let id: ObjectID
    /// For `HEAD`: the branch it points to, when the server says.
    public let symbolicTarget: String?
}

/// One connection to an upstream repository, made so that nothing in the workspace can redirect
/// it: insteadOf, pushInsteadOf and pushurl are skipped, redirects are refused, no proxy is used,
/// and no extra headers are sent. Owns the `git_remote` (freed on deinit).
public final class RemoteConnection {
    public enum Direction: Sendable {
        case fetch
        case push
    }

    private let remote: OpaquePointer
    private let observer: TransferObserver
    private let url: String
    /// Kept alive for as long as libgit2's remote points into it.
    private let repository: GitRepository?

    /// - Parameters:
    ///   - url: the upstream URL, already validated and mapped by the caller.
    ///   - repository: the repository objects go to or come from; `nil` to list only.
    public init(url: String, repository: GitRepository?, observer: TransferObserver) throws(GitError) {
        var remote: OpaquePointer?
        if let repository {
            var options = git_remote_create_options()
            git_remote_create_options_init(&options, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
            options.repository = repository.pointer
            options.name = nil
            options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
            try GitError.check(git_remote_create_with_opts(&remote, url, &options), "preparing the remote")
        } else {
            try GitError.check(git_remote_create_detached(&remote, url), "preparing the remote")
        }
        guard let remote else { throw GitError(code: -1, message: "preparing the remote") }
        self.remote = remote
        self.observer = observer
        self.url = url
        self.repository = repository
    }

    deinit {
        git_remote_disconnect(remote)
        git_remote_free(remote)
    }

    /// Connects for fetching or pushing.
    public func connect(_ direction: Direction) throws(GitError) {
        var options = git_remote_connect_options()
        git_remote_connect_options_init(&options, UInt32(GIT_REMOTE_CONNECT_OPTIONS_VERSION))
        options.callbacks = RemoteCallbacks.make(for: observer)
        options.proxy_opts.type = GIT_PROXY_NONE
        options.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        let gitDirection = direction == .fetch ? GIT_DIRECTION_FETCH : GIT_DIRECTION_PUSH
        try check(git_remote_connect_ext(remote, gitDirection, &options), "connecting")
    }

    /// The refs the server advertised on this connection.
    public func advertisedReferences() throws(GitError) -> [AdvertisedReference] {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try check(git_remote_ls(&heads, &count, remote), "listing refs")
        var result: [AdvertisedReference] = []
        for index in 0..<count {
            guard let head = heads?[index]?.pointee, let name = head.name else { continue }
            result.append(
                AdvertisedReference(
                    name: String(cString: name), id: ObjectID(head.oid), symbolicTarget: head.symref_target.map { String(cString: $0) }
                ))
        }
        return result
    }

    /// Downloads the objects needed for `ids` into the repository's object store. No ref changes.
    ///
    /// Each id is asked for by the name of a ref the server advertised with that id: libgit2 1.5
    /// only fetches a bare id from servers that advertise `allow-*-sha1-in-want`.
    public func download(_ ids: [ObjectID]) throws(GitError) {
        var nameByID: [ObjectID: String] = [:]
        for reference in try advertisedReferences() where reference.name != "HEAD" && !reference.name.hasSuffix("^{}") {
            if nameByID[reference.id] == nil { nameByID[reference.id] = reference.name }
        }
        let specs = Array(Set(ids.map { nameByID[$0] ?? $0.hex })).sorted()
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.callbacks = RemoteCallbacks.make(for: observer)
        options.prune = GIT_FETCH_NO_PRUNE
        options.update_fetchhead = 0
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.proxy_opts.type = GIT_PROXY_NONE
        options.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        try withStringArray(specs) { (array: inout git_strarray) throws(GitError) in
            try check(git_remote_download(remote, &array, &options), "fetching")
        }
    }

    /// Pushes exactly `refspecs` (`+refs/agent/push/0:refs/heads/x`, `:refs/heads/y`).
    /// The observer's `negotiate` sees the final updates before any byte is sent.
    public func push(_ refspecs: [String]) throws(GitError) {
        var options = git_push_options()
        git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION))
        options.callbacks = RemoteCallbacks.make(for: observer)
        options.pb_parallelism = 0  // one packing thread per core
        options.proxy_opts.type = GIT_PROXY_NONE
        options.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        try withStringArray(refspecs) { (specs: inout git_strarray) throws(GitError) in
            try check(git_remote_push(remote, &specs, &options), "pushing")
        }
    }

    /// Turns a libgit2 failure into a `GitError`, preferring what our callbacks learned.
    private func check(_ result: Int32, _ activity: String) throws(GitError) {
        guard result < 0 else { return }
        if let reason = observer.control?.stopReason { throw GitError(code: result, message: reason) }
        if let failure = observer.authenticationFailure { throw GitError(code: result, message: failure) }
        if let failure = observer.negotiationFailure { throw GitError(code: result, message: failure) }
        throw GitError(code: result, message: "\(activity) failed: \(GitError.lastMessage())")
    }
}

/// Calls `body` with a `git_strarray` over `strings`, valid only during the call.
func withStringArray<Result>(
    _ strings: [String],
    _ body: (inout git_strarray) throws(GitError) -> Result
) throws(GitError) -> Result {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { string in
        let bytes = Array(string.utf8CString)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        copy.initialize(from: bytes, count: bytes.count)
        return copy
    }
    defer { copies.forEach { $0?.deallocate() } }
    var pointers = copies
    return try pointers.withUnsafeMutableBufferPointer { (buffer) throws(GitError) -> Result in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}
