import AgentAPIPolicy
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The content rules' lookups (`ContentLookup`): changed files through GitHub's compare and pull
/// request files, ref targets, and GraphQL nodes (repositories, refs, pull requests).
extension UpstreamLookups {
    /// GitHub's compare lists at most this many files; a list this long may be cut short.
    static let compareFileLimit = 300
    /// Pages of 100 files read for a pull request (GitHub serves at most 3,000 files).
    static let pullRequestFilePages = 10
    /// A compare carries patches: more than other lookups.
    static let contentAnswerLimit = 16 << 20

    func answer(_ lookup: ContentLookup) async throws(ProxyFailure) -> ContentAnswer {
        switch lookup {
        case .compare(let repository, let base, let head):
            let json = try await fetch("\(repository.path)/compare/\(Self.escaped(base))...\(Self.escaped(head))")
            guard let files = json["files"]?.array else { throw .lookup("GitHub's compare of \(base)...\(head) in \(repository) lists no files") }
            return .files(ChangedFiles(paths: Self.paths(files), isComplete: files.count < Self.compareFileLimit))
        case .refTarget(let repository, let ref):
            let json = try await fetch("\(repository.path)/git/ref/\(Self.escaped(ref))")
            guard let sha = json["object"]?["sha"]?.string else { throw .lookup("the ref \(ref) of \(repository) has no target") }
            return .commit(sha)
        case .pullRequestFiles(let repository, let number):
            var paths: [String] = []
            for page in 1...Self.pullRequestFilePages {
                let json = try await fetch("\(repository.path)/pulls/\(number)/files?per_page=100&page=\(page)")
                guard let files = json.array else { throw .lookup("GitHub lists no files for pull request \(number) of \(repository)") }
                paths += Self.paths(files)
                if files.count < 100 { return .files(ChangedFiles(paths: paths, isComplete: true)) }
            }
            return .files(ChangedFiles(paths: paths, isComplete: false))
        case .forkParent(let repository):
            let json = try await fetch(repository.path)
            guard let parent = json["parent"] else { return .other }
            guard let named = Self.repository(parent["full_name"]) else { throw .lookup("the parent of \(repository) has no name") }
            return .repository(named, defaultBranch: parent["default_branch"]?.string)
        case .repositoryNode(let id):
            let node = try await contentNode(id, "... on Repository { nameWithOwner defaultBranchRef { name } }")
            guard node["__typename"]?.string == "Repository" else { return .other }
            guard let repository = Self.repository(node["nameWithOwner"]) else { throw .lookup("the repository '\(id)' has no name") }
            return .repository(repository, defaultBranch: node["defaultBranchRef"]?["name"]?.string)
        case .refNode(let id):
            let node = try await contentNode(id, "... on Ref { name prefix target { oid } repository { nameWithOwner } }")
            guard node["__typename"]?.string == "Ref" else { return .other }
            guard let name = node["name"]?.string, let prefix = node["prefix"]?.string, let target = node["target"]?["oid"]?.string,
                let repository = Self.repository(node["repository"]?["nameWithOwner"])
            else { throw .lookup("the ref '\(id)' has no name, target or repository") }
            return .reference(repository, fullName: prefix + name, target: target)
        case .pullRequestNode(let id):
            let node = try await contentNode(id, "... on PullRequest { number repository { nameWithOwner } }")
            guard node["__typename"]?.string == "PullRequest" else { return .other }
            guard let number = node["number"]?.integer, let repository = Self.repository(node["repository"]?["nameWithOwner"]) else {
                throw .lookup("the pull request '\(id)' has no number or repository")
            }
            return .pullRequest(repository, number: number)
        }
    }

    private func contentNode(_ id: String, _ fragment: String) async throws(ProxyFailure) -> JSONValue {
        let query = "query AgentContentNode($id: ID!) { node(id: $id) { __typename \(fragment) } }"
        let body = "{\"query\":\(JSONLine.quoted(query)),\"variables\":{\"id\":\(JSONLine.quoted(id))}}"
        let json = try await fetch("/graphql", method: "POST", body: body)
        guard let node = json["data"]?["node"], case .object = node else { throw .lookup("GitHub does not know the node '\(id)'") }
        return node
    }

    private static func paths(_ files: [JSONValue]) -> [String] {
        files.flatMap { file in [file["filename"]?.string, file["previous_filename"]?.string].compactMap { $0 } }
    }

    private static func repository(_ value: JSONValue?) -> APIRepository? {
        guard let parts = value?.string?.split(separator: "/", omittingEmptySubsequences: false), parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty
        else { return nil }
        return .named(owner: String(parts[0]), name: String(parts[1]))
    }

    /// A ref name or commit for a URL path: `/` and `:` (`OWNER:REF`; no ref name holds one) kept,
    /// anything outside `[A-Za-z0-9._~/:-]` escaped.
    static func escaped(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: ":"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }

    /// A lookup whose answer may be as large as a content answer (a compare, a page of files).
    private func fetch(_ path: String, method: String = "GET", body: String? = nil) async throws(ProxyFailure) -> JSONValue {
        try await send(method, path, body: body, limit: Self.contentAnswerLimit)
    }
}
