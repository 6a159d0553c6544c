import AgentPolicy

/// Writes that leave the listed repositories, refused whatever `ALLOWED_REPOS` and
/// `ALLOWED_API_WRITES` say: they create a repository or a gist, copy one (fork, template,
/// import, migration), move one (transfer), join one (accepting an invitation, adding a
/// repository to an App installation), or give the account a new way in (keys, codespaces).
enum RepositoryEscapes {
    /// The refusal of a REST write, or `nil` when the route is none of these.
    static func restDenial(method: String, segments: [String]) -> Denial? {
        let path = segments.map { $0.lowercased() }
        func escape(_ what: String) -> Denial {
            Denial(.repositoryEscape, "\(what) is not allowed through the agent: it leaves the repositories in ALLOWED_REPOS")
        }
        switch path.first {
        case "user":
            if path == ["user", "repos"], method == "POST" { return escape("creating a repository") }
            if path.count >= 2, path[1] == "repository_invitations" { return escape("accepting or declining a repository invitation") }
            if path.count >= 2, path[1] == "migrations" { return escape("exporting repositories (migrations)") }
            if path.count >= 2, path[1] == "installations" { return escape("changing which repositories an App installation reaches") }
            if path.count >= 2, path[1] == "codespaces" { return escape("creating or changing codespaces") }
            if path.count >= 2, ["keys", "gpg_keys", "ssh_signing_keys"].contains(path[1]) { return escape("adding a key to the account") }
        case "orgs":
            if path.count == 3, path[2] == "repos", method == "POST" { return escape("creating a repository") }
            if path.count >= 3, path[2] == "migrations" { return escape("exporting repositories (migrations)") }
        case "gists":
            return escape("writing a gist")
        case "repos" where path.count >= 4:
            switch path[3] {
            case "forks" where method == "POST": return escape("forking a repository")
            case "generate": return escape("creating a repository from a template")
            case "transfer": return escape("transferring a repository")
            case "import": return escape("importing into a repository from elsewhere")
            case "codespaces": return escape("creating or changing codespaces")
            default: break
            }
        case "repositories" where path.count >= 3:
            return restDenial(method: method, segments: ["repos", "-", "-"] + Array(segments.dropFirst(2)))
        case "app", "applications", "authorizations", "installation":
            return escape("changing the App or its installations")
        default:
            break
        }
        return nil
    }

    /// GraphQL mutations that make, copy, move or join repositories (and gists, projects copied
    /// from elsewhere), by name.
    static let mutations: [String: String] = [
        "createRepository": "creating a repository",
        "cloneTemplateRepository": "creating a repository from a template",
        "forkRepository": "forking a repository",
        "transferRepository": "transferring a repository",
        "importRepository": "importing a repository",
        "importProject": "importing a project",
        "acceptRepositoryInvitation": "accepting a repository invitation",
        "declineRepositoryInvitation": "declining a repository invitation",
        "createMigrationSource": "migrating repositories",
        "startRepositoryMigration": "migrating repositories",
        "startOrganizationMigration": "migrating repositories",
        "createGist": "writing a gist",
        "forkGist": "writing a gist",
        "cloneProject": "copying a project",
        "copyProjectV2": "copying a project",
        "createEnterpriseOrganization": "creating an organisation",
        "transferEnterpriseOrganization": "transferring an organisation",
    ]

    static func graphQLDenial(_ mutation: String) -> Denial? {
        guard let what = mutations[mutation] else { return nil }
        return Denial(
            .repositoryEscape,
            "GraphQL mutation '\(mutation)' (\(what)) is not allowed through the agent: it leaves the repositories in ALLOWED_REPOS")
    }
}
