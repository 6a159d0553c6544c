import AgentGit
import AgentPolicy
import AgentProtocol

/// A `list`, `fetch` or `push` request, checked at the boundary.
struct GitRequest: Sendable {
    /// Limits that keep one request bounded.
    static let maximumWants = 100_000
    static let maximumRefspecs = 1_000
    /// `PATH_MAX`: no longer path can be opened.
    static let maximumGitDirectoryLength = 4_096

    let repository: GitHubRepository
    let gitDirectory: String?
    let wantsProgress: Bool

    init(_ frame: Frame, needsRepository: Bool) throws(GitServiceError) {
        guard let url = frame[Wire.Key.url] else { throw .badRequest("the request has no url=") }
        switch GitHubRepository.parse(remoteURL: url) {
        case .success(let repository): self.repository = repository
        case .failure(let problem): throw .refused(problem.description, code: "url-refused")
        }
        gitDirectory = frame[Wire.Key.gitDirectory]
        if needsRepository, gitDirectory == nil { throw .badRequest("the request has no git_dir=") }
        if let gitDirectory, gitDirectory.utf8.count > Self.maximumGitDirectoryLength {
            throw .badRequest("git_dir '\(gitDirectory.quotedInRefusal)' is longer than \(Self.maximumGitDirectoryLength) bytes")
        }
        wantsProgress = frame[Wire.Key.progress] == "true"
    }

    static func wants(_ frame: Frame) throws(GitServiceError) -> [ObjectID] {
        let values = frame.values(for: Wire.Key.want)
        guard !values.isEmpty, values.count <= maximumWants else {
            throw .badRequest("a fetch names 1 to \(maximumWants) object ids (want=)")
        }
        var ids: [ObjectID] = []
        for value in values {
            guard let id = ObjectID(hex: value) else { throw .badRequest("'\(value.quotedInRefusal)' is not an object id") }
            ids.append(id)
        }
        return ids
    }

    static func refspecs(_ frame: Frame) throws(GitServiceError) -> [PushRefspec] {
        let values = frame.values(for: Wire.Key.refspec)
        guard !values.isEmpty, values.count <= maximumRefspecs else {
            throw .badRequest("a push names 1 to \(maximumRefspecs) refspecs (refspec=)")
        }
        var refspecs: [PushRefspec] = []
        for value in values {
            guard let refspec = PushRefspec.parse(value) else { throw .badRequest("'\(value.quotedInRefusal)' is not a [+]SRC:DST refspec") }
            refspecs.append(refspec)
        }
        return refspecs
    }

    /// `cas=REF:OID` (force-with-lease) by normalised ref name; an empty OID means "must not exist".
    static func leases(_ frame: Frame) throws(GitServiceError) -> [String: String] {
        var leases: [String: String] = [:]
        for value in frame.values(for: Wire.Key.lease) {
            guard let colon = value.lastIndex(of: ":") else { throw .badRequest("'\(value.quotedInRefusal)' is not REF:OID") }
            let expected = String(value[value.index(after: colon)...])
            guard expected.isEmpty || ObjectID(hex: expected) != nil else { throw .badRequest("'\(expected.quotedInRefusal)' is not an object id") }
            guard case .success(let name) = RefName.parse(String(value[..<colon])) else {
                throw .badRequest("'\(String(value[..<colon]).quotedInRefusal)' is not a ref name")
            }
            leases[name.fullName] = expected
        }
        return leases
    }
}

extension TransferEvent {
    /// The interim frame sent to the client for this event.
    var frame: Frame {
        var frame = Frame()
        switch self {
        case .receiving(let received, let total, let bytes):
            frame.append(Wire.Key.progress, "receiving")
            frame.append("current", String(received))
            frame.append("total", String(total))
            frame.append("bytes", String(bytes))
        case .resolving(let indexed, let total):
            frame.append(Wire.Key.progress, "resolving")
            frame.append("current", String(indexed))
            frame.append("total", String(total))
        case .packing(let stage, let current, let total):
            frame.append(Wire.Key.progress, stage)
            frame.append("current", String(current))
            frame.append("total", String(total))
        case .writing(let current, let total, let bytes):
            frame.append(Wire.Key.progress, "writing")
            frame.append("current", String(current))
            frame.append("total", String(total))
            frame.append("bytes", String(bytes))
        case .remote(let line, let isTransient):
            frame.append(Wire.Key.progress, "remote")
            frame.append(Wire.Key.message, line)
            if isTransient { frame.append("transient", "true") }
        }
        return frame
    }

    var isRemoteMessage: Bool {
        if case .remote = self { return true }
        return false
    }

    /// The server's own progress (`Resolving deltas:  42% (42/100)`, `Total 3 (delta 0)…`):
    /// shown only when git asked for progress, as git itself does under `--quiet`. Other server
    /// text (hook output, errors) is always shown.
    var isRemoteProgress: Bool {
        guard case .remote(let line, let isTransient) = self else { return false }
        return isTransient || Self.serverProgressPrefixes.contains { line.hasPrefix($0) }
    }

    private static let serverProgressPrefixes = [
        "Resolving deltas:", "Unpacking objects:", "Counting objects:", "Compressing objects:", "Enumerating objects:",
        "Writing objects:", "Receiving objects:", "Total ",
    ]
}
