import AgentPolicy

/// With `ALLOW_OTHER_REPO_READS=false`: the routes and fields of a listed repository through
/// which GitHub reads, or brings in, another repository's content (found by attacking issue
/// 15's rules). A compare may name a branch of another repository in the network
/// (`USER:BRANCH`, `USER:REPO:BRANCH`); an issue's REST timeline embeds the issues and pull
/// requests of other repositories that mention it; a pull request may come from another
/// repository's branch (`head: "USER:BRANCH"`, `head_repo`, `headRefName: "USER:BRANCH"`),
/// whose commits can then be read through it; `merge-upstream` merges the parent's branch in.
struct CrossRepositoryRules {
    let reach: ReachSettings

    private var applies: Bool { reach.allowedRepositories != nil && !reach.allowOtherRepositoryReads }

    /// REST reads under `/repos/O/R/…` (`rest` is what follows the repository).
    func readDenial(_ rest: [String]) -> Denial? {
        guard applies else { return nil }
        if rest.word(0, is: "compare"), rest.dropFirst().contains(where: { $0.contains(":") }) {
            return Self.denial(
                "a compare with a branch of another repository ('\(rest.dropFirst().joined(separator: "/").quotedInRefusal)') reads that repository")
        }
        if rest.count == 3, rest.word(0, is: "issues"), rest.word(2, is: "timeline") {
            return Self.denial("an issue's REST timeline carries the issues and pull requests of other repositories that mention it")
        }
        // Sub-issues and dependencies may be issues of any repository of the owner.
        if rest.count >= 3, rest.word(0, is: "issues"), ["sub_issues", "parent", "dependencies"].contains(where: { rest.word(2, is: $0) }) {
            return Self.denial("an issue's sub-issues, parent and dependencies may be issues of other repositories")
        }
        if rest.count == 1, rest.word(0, is: "forks") {
            return Self.denial("a repository's forks are other repositories")
        }
        return nil
    }

    /// REST writes under `/repos/O/R/…` of `repository` (`owner/name`).
    func writeDenial(_ repository: String, _ rest: [String], method: String, body: JSONValue?) -> Denial? {
        guard applies, method == "POST" else { return nil }
        if rest.count == 1, rest.word(0, is: "merge-upstream") {
            return Self.denial("syncing with the upstream repository merges another repository's commits in")
        }
        guard rest.count == 1, rest.word(0, is: "pulls") else { return nil }
        if case .value(let head) = body.stringField("head"), let denial = headDenial(head, repository: repository) { return denial }
        switch body.stringField("head_repo") {
        case .absent: return nil
        case .value(let name) where name.lowercased() == repository.split(separator: "/").last?.lowercased(): return nil
        case .value, .wrongType: return Self.pullFromElsewhere("head_repo")
        }
    }

    /// GraphQL mutations, with their `input`.
    func mutationDenial(_ mutation: String, input: JSONValue) -> Denial? {
        guard applies, mutation == "createPullRequest", case .value(let head) = Optional(input).stringField("headRefName") else { return nil }
        // The repository is not known by name here: any owner prefix is another repository's.
        return head.contains(":") ? Self.pullFromElsewhere(head) : nil
    }

    /// `OWNER:BRANCH` names the owner's repository in the network: only the route's own owner
    /// (`o:branch` on `o/app`) stays in the repository.
    private func headDenial(_ head: String, repository: String) -> Denial? {
        let parts = head.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return nil }
        if parts.count == 2, parts[0].lowercased() == repository.split(separator: "/").first?.lowercased() { return nil }
        return Self.pullFromElsewhere(head)
    }

    private static func pullFromElsewhere(_ head: String) -> Denial {
        Denial(
            .repositoryNotAllowed,
            "a pull request from another repository's branch ('\(head.quotedInRefusal)') is not allowed: only branches of repositories in ALLOWED_REPOS (ALLOW_OTHER_REPO_READS=false)"
        )
    }

    private static func denial(_ why: String) -> Denial {
        Denial(.repositoryNotAllowed, "\(why) (ALLOW_OTHER_REPO_READS=false)")
    }
}
