import AgentAPIPolicy

/// The lookups the reach rules ask for, and what a node lookup tells them.
extension UpstreamLookups {
    /// One node lookup answers the ref rules (a ref's name, a pull request's branches) and the
    /// reach rules (which repository the object belongs to, a ref's tip, a pull request's head
    /// repository) at once.
    static let nodeQuery = """
        query AgentNodeLookup($id: ID!) { node(id: $id) { __typename \
        ... on Ref { name prefix target { oid } repository { nameWithOwner } } \
        ... on PullRequest { number baseRefName headRefName headRepository { nameWithOwner } } \
        ... on Repository { nameWithOwner } \
        ... on RepositoryNode { repository { nameWithOwner } } \
        ... on Label { repository { nameWithOwner } } \
        ... on Milestone { repository { nameWithOwner } } \
        ... on PullRequestReviewThread { repository { nameWithOwner } } \
        ... on Release { repository { nameWithOwner } } \
        ... on GitObject { repository { nameWithOwner } } \
        ... on DiscussionComment { discussion { repository { nameWithOwner } } } } }
        """

    /// Kinds that live outside repositories.
    static let accountKinds: Set<String> = ["User", "Bot", "Organization", "Team", "Mannequin", "EnterpriseUserAccount"]

    static func placeNode(_ id: String, _ node: JSONValue, into reach: inout ReachFacts) {
        let kind = node["__typename"]?.string ?? "unknown object"
        let owner =
            node["nameWithOwner"]?.string ?? node["repository"]?["nameWithOwner"]?.string
            ?? node["discussion"]?["repository"]?["nameWithOwner"]?.string
        if kind == "Repository" || owner != nil, let owner {
            reach.nodeOwners[id] = .repository(owner)
        } else if accountKinds.contains(kind) {
            reach.nodeOwners[id] = .account
        } else {
            reach.nodeOwners[id] = .unplaced(kind)
        }
        if let oid = node["target"]?["oid"]?.string { reach.refTargets[id] = oid }
        if let head = node["headRepository"]?["nameWithOwner"]?.string { reach.nodeHeadRepositories[id] = head }
    }

    func resolve(_ lookup: ReachLookup, into facts: inout APIFacts) async throws(ProxyFailure) {
        // What goes into a lookup's path was checked by the policy; checked again here, since a
        // path is not a place for a client's '?', '#' or '..'.
        switch lookup {
        case .repositoryName(let id) where !id.utf8.allSatisfy({ (0x30...0x39).contains($0) }):
            throw .lookup("'\(id.prefix(64))' is not a repository id")
        case .branchTip(let repository, _) where !BranchState.isRepository(repository),
            .containment(let repository, _, _) where !BranchState.isRepository(repository),
            .issueBase(let repository, _) where !BranchState.isRepository(repository):
            throw .lookup("'\(repository.prefix(200))' is not a repository name")
        case .containment(_, let ancestor, let descendant)
        where !BranchState.isObjectID(ancestor.lowercased()) || !BranchState.isObjectID(descendant.lowercased()):
            throw .lookup("a commit to compare is not an object id")
        default:
            break
        }
        switch lookup {
        case .repositoryName(let id):
            let json = try await get("/repositories/\(id)")
            guard let name = json["full_name"]?.string else { throw .lookup("repository \(id) has no name") }
            facts.reach.repositoryNames[id] = name
        case .branchTip(let repository, let branch):
            let path = "/repos/\(repository)/git/ref/\(Self.pathEncoded(String(branch.dropFirst("refs/".count))))"
            let tip: String?
            do {
                tip = try await get(path)["object"]?["sha"]?.string
            } catch {
                guard case .lookup(let why) = error, why.contains(" 404 ") else { throw error }
                tip = nil  // the branch does not exist
            }
            facts.reach.setBranchTip(tip, repository: repository, branch: branch)
        case .containment(let repository, let ancestor, let descendant):
            let json = try await get("/repos/\(repository)/compare/\(ancestor)...\(descendant)")
            guard let status = json["status"]?.string else { throw .lookup("GitHub's compare of \(repository) has no status") }
            facts.reach.containments[lookup] = status == "ahead" || status == "identical"
        case .issueBase(let repository, let number):
            let pull: JSONValue?
            do {
                pull = try await get("/repos/\(repository)/pulls/\(number)")
            } catch {
                guard case .lookup(let why) = error, why.contains(" 404 ") else { throw error }
                pull = nil  // an issue, not a pull request
            }
            let base = pull?["base"]?["ref"]?.string
            if pull != nil, base == nil { throw .lookup("pull request \(number) of \(repository) has no base") }
            facts.reach.issueBases[lookup] = .some(base)
        }
    }

    /// `text` with every byte but letters, digits, `-._~` and `/` %-encoded.
    static func pathEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                encoded += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            }
        }
        return encoded
    }
}
