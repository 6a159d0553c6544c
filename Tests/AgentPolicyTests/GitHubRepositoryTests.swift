import AgentPolicy
import Testing

struct GitHubRepositoryTests {
    @Test(arguments: [
        ("https://github.com/o/app.git", "o", "app"), ("https://github.com/o/app", "o", "app"), ("https://github.com/o/app/", "o", "app"),
        ("https://GitHub.COM/Owner-1/My.Repo_x", "Owner-1", "My.Repo_x"), ("HTTPS://github.com:443/o/r.git", "o", "r"),
        ("https://github.com/o/r.git.git", "o", "r.git"),
    ])
    func accepts(_ url: String, _ owner: String, _ name: String) throws {
        let repository = try GitHubRepository.parse(remoteURL: url).get()
        #expect(repository.owner == owner)
        #expect(repository.name == name)
        #expect(repository.gitPath == "/\(owner)/\(name).git")
    }

    @Test(arguments: [
        "http://github.com/o/r", "https://evil.com/o/r", "https://github.com.evil.com/o/r", "https://evilgithub.com/o/r",
        "https://user@github.com/o/r", "https://a:b@github.com/o/r", "https://github.com:22/o/r", "https://github.com/o/../r",
        "https://github.com/o/r/x", "https://github.com/o", "https://github.com/", "https://github.com", "https://github.com/o/%2e%2e",
        "https://github.com/o/r?x", "https://github.com/o/r#x", "https://github.com//o/r", "https://github.com/-o/r", "https://github.com/o-/r",
        "https://github.com/o/.", "https://github.com/o/..", "https://github.com/o/r r", "https://github.com/o/r\\x", "ssh://git@github.com/o/r",
        "git@github.com:o/r", "file:///etc", "https://github.com/\(String(repeating: "a", count: 40))/r",
        "https://github.com/o/\(String(repeating: "r", count: 101))",
        "https://github.com/ö/r", "",
    ])
    func refuses(_ url: String) {
        guard case .failure(let problem) = GitHubRepository.parse(remoteURL: url) else {
            Issue.record("\(url) must be refused")
            return
        }
        #expect(problem.description.hasPrefix("the remote URL '\(url)' is refused: "))
    }
}
