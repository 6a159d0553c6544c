import AgentPolicy

/// The content rules on GitHub API writes, applied after the route's own decision allowed it (or
/// asked for lookups): the same `PROTECTED_PATHS` and `SECRET_SCAN` as on pushes, with the same
/// messages.
///
/// - Contents `PUT`/`DELETE` on a protected path are refused; a `PUT`'s content is scanned.
/// - Ref creations and updates through the git data API (`POST …/git/refs`, `PATCH
///   …/git/refs/REF`) are refused when the new commit changes a protected path relative to the
///   old one (the default branch for a new ref), as GitHub's compare lists the files; merges
///   (`POST …/merges`) and pull request merges likewise.
/// - Blobs and trees (`POST …/git/blobs`, `…/git/trees`) and gists have their content scanned.
/// - Every string of every write body the agent reads is searched for the secrets it holds (issue
///   and pull request bodies, comments, GraphQL documents and variables).
///
/// GraphQL mutations are decided field by field in `GraphQLPolicy+Content.swift`.
public struct APIContentPolicy: Sendable {
    public let rules: ContentRules
    public let held: (any HeldSecretSource)?

    public init(rules: ContentRules, held: (any HeldSecretSource)?) {
        self.rules = rules
        self.held = held
    }

    public static let disabled = APIContentPolicy(rules: .disabled, held: nil)

    var isActive: Bool { rules.checksPaths || rules.scansSecrets }

    /// Whether the write's body must be read: every write's, while secrets are scanned (release
    /// asset uploads excepted: binary, streamed, and not text anyone reads as a page).
    func needsBody(segments: [String]) -> Bool {
        guard rules.scansSecrets else { return false }
        if let (_, rest) = APIPolicy.repositoryRoute(segments), rest.count == 3, rest.word(0, is: "releases"), rest.word(2, is: "assets") {
            return false
        }
        return true
    }

    /// The route's decision with the content rules applied (`APIDecision.refined(by:)`).
    func refine(_ route: APIDecision, _ request: APIRequest, segments: [String], facts: APIFacts) -> APIDecision {
        guard isActive, !request.isRead else { return route }
        if case .deny = route { return route }
        return route.refined(by: decide(request, segments: segments, facts: facts))
    }

    /// The content rules' own decision on a write the route did not refuse.
    private func decide(_ request: APIRequest, segments: [String], facts: APIFacts) -> APIDecision {
        if rules.scansSecrets, let body = request.body, let denial = heldSecret(in: body) { return .deny(denial) }
        if rules.scansSecrets, let denial = heldSecret(in: .string(segments.joined(separator: "/") + "?" + (request.query ?? "")), place: "the request's path")
        {
            return .deny(denial)
        }
        if segments.count == 1, segments.word(0, is: "graphql") { return .allow }  // decided per field
        if segments.word(0, is: "gists") { return gist(request.body) }
        guard let (repository, rest) = APIPolicy.repositoryRoute(segments), let first = rest.first?.lowercased() else { return .allow }
        let method = request.method
        let body = request.body
        switch first {
        case "contents" where rest.count >= 2 && (method == "PUT" || method == "DELETE"):
            return contents(path: rest.dropFirst().joined(separator: "/"), body: method == "PUT" ? body : nil)
        case "git" where rest.word(1, is: "refs") && method == "POST" && rest.count == 2:
            return refCreation(repository, body, facts: facts)
        case "git" where rest.word(1, is: "refs") && method == "PATCH" && rest.count > 2:
            return refUpdate(repository, ref: rest.dropFirst(2).joined(separator: "/"), body, facts: facts)
        case "git" where rest.word(1, is: "blobs") && method == "POST":
            return blob(body)
        case "git" where rest.word(1, is: "trees") && method == "POST":
            return tree(body)
        case "merges" where method == "POST":
            guard case .value(let base) = body.stringField("base"), case .value(let head) = body.stringField("head") else { return .allow }
            return changes(.compare(repository, base: base, head: head), facts: facts)
        case "merge-upstream" where method == "POST" && rest.count == 1:
            guard rules.checksPaths, case .value(let branch) = body.stringField("branch") else { return .allow }
            return forkSync(repository, branch: branch, facts: facts)
        case "releases" where (method == "POST" && rest.count == 1) || (method == "PATCH" && rest.count == 2):
            // A release may create its tag at any commit: workflows run from what that commit holds.
            guard rules.checksPaths, case .value(let target) = body.stringField("target_commitish") else { return .allow }
            guard let base = facts.defaultBranches[repository] else { return .needs([.defaultBranch(repository)]) }
            return target == base ? .allow : changes(.compare(repository, base: base, head: target), facts: facts)
        case "pulls" where method == "PUT" && rest.count == 3 && rest.word(2, is: "merge"):
            guard let number = Int(rest[1]) else { return .allow }
            return changes(.pullRequestFiles(repository, number: number), facts: facts)
        default:
            return .allow
        }
    }

    // MARK: - Routes

    private func contents(path: String, body: JSONValue?) -> APIDecision {
        if rules.checksPaths, rules.protection(ofRequested: path) != nil { return .deny(ContentDenial.protectedPath(path)) }
        guard let body else { return .allow }
        if case .deny(let denial) = scan(Array(path.utf8), path: path, place: "the name of a file") { return .deny(denial) }
        switch Optional(body).stringField("content") {
        case .absent: return .allow
        case .wrongType: return invalid("its 'content' is not a string")
        case .value(let encoded):
            guard let bytes = Base64Content.decode(encoded) else { return invalid("its 'content' is not base64 the agent can read") }
            return scan(bytes, path: path, place: ContentDenial.quoted(path))
        }
    }

    private func refCreation(_ repository: APIRepository, _ body: JSONValue?, facts: APIFacts) -> APIDecision {
        guard rules.checksPaths, case .value(let sha) = body.stringField("sha") else { return .allow }
        guard let base = facts.defaultBranches[repository] else { return .needs([.defaultBranch(repository)]) }
        return changes(.compare(repository, base: base, head: sha), facts: facts)
    }

    private func refUpdate(_ repository: APIRepository, ref: String, _ body: JSONValue?, facts: APIFacts) -> APIDecision {
        guard rules.checksPaths, case .value(let sha) = body.stringField("sha") else { return .allow }
        let name = ref.hasPrefix("refs/") ? String(ref.dropFirst(5)) : ref
        let target = ContentLookup.refTarget(repository, ref: name)
        guard case .commit(let old) = facts.content.answers[target] else { return .needs([.content(target)]) }
        return update(repository, from: old, to: sha, facts: facts)
    }

    private func blob(_ body: JSONValue?) -> APIDecision {
        guard rules.scansSecrets, case .value(let content) = body.stringField("content") else { return .allow }
        switch body.stringField("encoding") {
        case .absent, .value("utf-8"), .value("utf8"):
            return scan(Array(content.utf8), path: nil, place: "the blob's content")
        case .value("base64"):
            guard let bytes = Base64Content.decode(content) else { return invalid("its 'content' is not base64 the agent can read") }
            return scan(bytes, path: nil, place: "the blob's content")
        default:
            return invalid("its 'encoding' is not utf-8 or base64")
        }
    }

    private func tree(_ body: JSONValue?) -> APIDecision {
        guard rules.scansSecrets, let entries = body?["tree"]?.array else { return .allow }
        for entry in entries {
            guard case .value(let content) = Optional(entry).stringField("content") else { continue }
            let path = entry["path"]?.string
            let decision = scan(Array(content.utf8), path: path, place: path.map(ContentDenial.quoted) ?? "a tree entry's content")
            if case .deny = decision { return decision }
        }
        return .allow
    }

    /// Gists, if `ALLOWED_API_WRITES` lets them through: each file's content.
    private func gist(_ body: JSONValue?) -> APIDecision {
        guard rules.scansSecrets, case .object(let files)? = body?["files"] else { return .allow }
        for (name, file) in files.sorted(by: { $0.key < $1.key }) {
            guard case .value(let content) = Optional(file).stringField("content") else { continue }
            let decision = scan(Array(content.utf8), path: name, place: ContentDenial.quoted(name))
            if case .deny = decision { return decision }
        }
        return .allow
    }

    // MARK: - Shared with GraphQLPolicy

    /// The files a lookup lists: refused when one is protected, or when the list is incomplete.
    func changes(_ lookup: ContentLookup, facts: APIFacts) -> APIDecision {
        guard rules.checksPaths else { return .allow }
        if case .compare(_, let base, let head) = lookup, let bad = [base, head].first(where: { !Self.isComparable($0) }) {
            return invalid("'\(bad.quotedInRefusal)' is not a branch, tag or commit the agent can compare")
        }
        switch facts.content.answers[lookup] {
        case .none: return .needs([.content(lookup)])
        case .files(let files):
            if let path = files.paths.first(where: { rules.protection(of: $0) != nil }) { return .deny(ContentDenial.protectedPath(path)) }
            guard files.isComplete else {
                return .deny(
                    Denial(
                        .pathProtected,
                        "the change touches more files than GitHub lists, so the agent cannot check them against PROTECTED_PATHS; push it with git"))
            }
            return .allow
        case .some: return invalid("GitHub's answer to a lookup is not a list of files")
        }
    }

    /// `merge-upstream` brings the parent repository's `branch` into the fork's: what the parent's
    /// branch changed since the two met (GitHub's compare across the fork network,
    /// `BRANCH...PARENT_OWNER:BRANCH`), as a push of those commits would be judged.
    private func forkSync(_ repository: APIRepository, branch: String, facts: APIFacts) -> APIDecision {
        let parent = ContentLookup.forkParent(repository)
        switch facts.content.answers[parent] {
        case .none: return .needs([.content(parent)])
        case .repository(.named(let owner, _), _): return changes(.compare(repository, base: branch, head: owner + ":" + branch), facts: facts)
        case .other: return .allow  // not a fork: GitHub has nothing to merge
        case .some: return invalid("GitHub's answer about the fork's parent is not a repository")
        }
    }

    /// A ref moved from `old` to `new`: refused when a protected path differs between them.
    /// GitHub's compare lists what its head changed since the merge base, so both directions are
    /// asked: `old...new` (what the update brings) and `new...old` (what it takes away, when it is
    /// not a fast-forward: a workflow change that only the old commit has is undone too).
    func update(_ repository: APIRepository, from old: String, to new: String, facts: APIFacts) -> APIDecision {
        guard old != new else { return .allow }
        return changes(.compare(repository, base: old, head: new), facts: facts)
            .merged(with: changes(.compare(repository, base: new, head: old), facts: facts))
    }

    /// Scans content: the held secrets always, well-known formats unless the path is allowed.
    func scan(_ bytes: [UInt8], path: String?, place: String) -> APIDecision {
        guard rules.scansSecrets else { return .allow }
        let formats = path.map { rules.scansFormats(atRequested: $0) } ?? true
        let result = withScanner(formats: formats) { scanner in bytes.withUnsafeBytes { scanner.scan($0) } }
        if let held = result.held { return .deny(ContentDenial.secret(held, in: place)) }
        if let format = result.format, rules.secretScan == .block { return .deny(ContentDenial.secret(format, in: place)) }
        return .allow
    }

    /// The first held secret in any string (or key) of a JSON body.
    func heldSecret(in body: JSONValue, place: String = "the request body") -> Denial? {
        guard held != nil else { return nil }
        return withScanner(formats: false) { scanner in
            var pending = [body]
            while let value = pending.popLast() {
                switch value {
                case .string(let text):
                    if let finding = scanner.firstFinding(in: text) { return ContentDenial.secret(finding, in: place) }
                case .array(let values):
                    pending.append(contentsOf: values)
                case .object(let object):
                    for (key, value) in object {
                        if let finding = scanner.firstFinding(in: key) { return ContentDenial.secret(finding, in: place) }
                        pending.append(value)
                    }
                case .number, .bool, .null:
                    continue
                }
            }
            return nil
        }
    }

    private func withScanner<Result>(formats: Bool, _ body: (SecretScanner) -> Result) -> Result {
        guard let held else { return body(SecretScanner(scansFormats: formats, held: .none)) }
        return held.withPatterns { patterns in body(SecretScanner(scansFormats: formats, held: patterns)) }
    }

    /// A branch, tag or commit as compare takes it: git's ref-name characters, no `..`, no
    /// leading `/` (the text becomes part of a lookup's path).
    static func isRevision(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 255, !text.contains(".."), !text.contains("//"), !text.hasPrefix("/"), !text.hasSuffix("/") else {
            return false
        }
        return text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"~^:?*[\\@{}%#".utf8.contains($0) }
    }

    /// A revision, or `OWNER:revision` (another repository of the fork network, as compare takes
    /// it), `OWNER` a GitHub login.
    static func isComparable(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return isRevision(text) }
        let owner = text[..<colon]
        return !owner.isEmpty && owner.utf8.count <= 39
            && owner.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == UInt8(ascii: "-")
            }
            && isRevision(String(text[text.index(after: colon)...]))
    }

    func invalid(_ why: String) -> APIDecision {
        .deny(Denial(.apiRequestInvalid, "the request is refused: \(why)"))
    }
}
