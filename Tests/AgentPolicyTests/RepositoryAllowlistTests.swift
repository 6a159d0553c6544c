import AgentPolicy
import Testing

/// `ALLOWED_REPOS`: every spelling GitHub resolves to a listed repository matches, nothing else.
struct RepositoryAllowlistTests {
    static func list(_ entries: String...) throws -> RepositoryAllowlist {
        RepositoryAllowlist(try entries.map { try RepositoryPattern($0) })
    }

    struct Match: Sendable, CustomTestStringConvertible {
        let repository: String
        let isListed: Bool
        var testDescription: String { "\(repository) \(isListed ? "is" : "is not") listed" }
    }

    static let matches: [Match] = [
        Match(repository: "octo/app", isListed: true),
        Match(repository: "OCTO/APP", isListed: true),
        Match(repository: "Octo/App.git", isListed: false),
        Match(repository: "octo/app.GIT", isListed: false),
        Match(repository: "octo-lib/anything", isListed: true),
        Match(repository: "OCTO-LIB/x.y_z-1", isListed: true),
        Match(repository: "octo/app-evil", isListed: false),
        Match(repository: "octo/ap", isListed: false),
        Match(repository: "octo/app.git.git", isListed: false),
        Match(repository: "octo/other", isListed: false),
        Match(repository: "oocto/app", isListed: false),
        Match(repository: "octo-lib", isListed: false),
        Match(repository: "octo/app/x", isListed: false),
        Match(repository: "/octo/app", isListed: false),
        Match(repository: "octo/", isListed: false),
        Match(repository: "", isListed: false),
        Match(repository: "octo-libx/y", isListed: false),
    ]

    @Test(arguments: matches)
    func matchesAsGitHubResolvesNames(_ match: Match) throws {
        let list = try Self.list("octo/app", "octo-lib/*")
        #expect(list.contains(nameWithOwner: match.repository) == match.isListed)
        #expect((list.writeDenial(match.repository) == nil) == match.isListed)
    }

    @Test func entriesMayBeWrittenWithGit() throws {
        #expect(try Self.list("Octo/App.git").contains(nameWithOwner: "octo/app"))
    }

    @Test(arguments: [
        "owner", "owner/", "/name", "o/a/b", "-o/a", "o/..", "o/.", "o/a b", "o/%61", "*/*", "o/a*", "owner-with-forty-characters-is-too-long1/x",
    ])
    func invalidEntriesAreRefused(_ entry: String) {
        #expect(throws: RepositoryPatternError.self) { try RepositoryPattern(entry) }
    }

    @Test func refusalsNameTheRuleAndTheList() throws {
        let list = try Self.list("octo/app", "octo-lib/*")
        #expect(list.writeDenial("x/y")?.code == .repositoryNotAllowed)
        #expect(list.writeDenial("x/y")?.message == "repository 'x/y' is not in ALLOWED_REPOS (octo/app, octo-lib/*)")
        #expect(list.readDenial("x/y", allowOtherReads: true) == nil)
        #expect(
            list.readDenial("x/y", allowOtherReads: false)?.message
                == "reading repository 'x/y' is not allowed: it is not in ALLOWED_REPOS (octo/app, octo-lib/*) and ALLOW_OTHER_REPO_READS=false")
        #expect(list.readDenial("octo/app", allowOtherReads: false) == nil)
        let empty = RepositoryAllowlist([])
        #expect(
            empty.writeDenial("octo/app")?.message
                == "repository 'octo/app' is not in ALLOWED_REPOS (the list is empty: no GitHub remote was found in the workspace when the agent started; set ALLOWED_REPOS)"
        )
    }
}
