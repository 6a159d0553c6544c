import AgentPolicy

/// Approvals (`ALLOW_PR_APPROVE`) and pull request bases (`PR_BASE_BRANCHES`), for REST routes
/// and GraphQL mutations alike. Pure.
///
/// An approval counts toward branch protection, so the agent may comment and request changes
/// but not approve unless asked. Example: `POST /repos/o/r/pulls/1/reviews` with
/// `{"event":"APPROVE"}` is refused with "approving pull requests is not allowed
/// (ALLOW_PR_APPROVE=false)"; with `{"event":"COMMENT"}` it passes.
struct PullRequestRules {
    let reach: ReachSettings

    /// Decides `event` (`APPROVE`, `REQUEST_CHANGES`, `COMMENT`, absent for a pending review).
    func review(_ event: BodyField<String>, shown: String) -> APIDecision? {
        switch event {
        case .absent: return nil
        case .wrongType: return .deny(Denial(.apiRequestInvalid, "\(shown) is refused: its 'event' is not a string"))
        case .value(let value):
            // GitHub's enum is upper case; any spelling of APPROVE is refused, in case it is lenient.
            guard value.uppercased() == "APPROVE", !reach.allowPullRequestApproval else { return nil }
            return .deny(approvalDenial)
        }
    }

    var approvalDenial: Denial {
        Denial(.pullRequestApprovalDisabled, "approving pull requests is not allowed (ALLOW_PR_APPROVE=false)")
    }

    /// Dismissing a review can lift a "changes requested" that branch protection counts.
    func dismissal() -> APIDecision? {
        reach.allowPullRequestApproval
            ? nil : .deny(Denial(.pullRequestApprovalDisabled, "dismissing pull request reviews is not allowed (ALLOW_PR_APPROVE=false)"))
    }

    /// Decides a pull request's base; `isRequired` when the request opens one (GitHub needs a base).
    func base(_ field: BodyField<String>, isRequired: Bool, shown: String) -> APIDecision? {
        guard !reach.pullRequestBases.isEmpty else { return nil }
        let list = reach.pullRequestBases.map(\.source).joined(separator: ", ")
        switch field {
        case .absent:
            return isRequired ? .deny(Denial(.apiRequestInvalid, "\(shown) is refused: it names no base (PR_BASE_BRANCHES)")) : nil
        case .wrongType:
            return .deny(Denial(.apiRequestInvalid, "\(shown) is refused: its base is not a string"))
        case .value(let base):
            guard case .success(let name) = RefName.parseBranchName(base), name.kind == .branch else {
                return .deny(Denial(.pullRequestBaseNotAllowed, "'\(base.quotedInRefusal)' is not a branch a pull request can go into"))
            }
            if reach.pullRequestBases.contains(where: { $0.matches(branch: name.shortName) }) { return nil }
            return .deny(
                Denial(
                    .pullRequestBaseNotAllowed,
                    "pull requests into '\(name.shortName.quotedInRefusal)' are not allowed: it does not match PR_BASE_BRANCHES (\(list))"))
        }
    }

    /// REST routes under `/repos/O/R/pulls`; `nil` when the rules have nothing to say.
    func decide(_ rest: [String], method: String, body: JSONValue?, shown: String) -> APIDecision? {
        guard rest.word(0, is: "pulls") else { return nil }
        switch (rest.count, method) {
        case (1, "POST"):
            return base(body.stringField("base"), isRequired: true, shown: shown)
        case (2, "PATCH"):
            return base(body.stringField("base"), isRequired: false, shown: shown)
        case (3, "POST") where rest.word(2, is: "reviews"):
            return review(body.stringField("event"), shown: shown)
        case (5, "POST") where rest.word(2, is: "reviews") && rest.word(4, is: "events"):
            return review(body.stringField("event"), shown: shown)
        case (5, _) where rest.word(2, is: "reviews") && rest.word(4, is: "dismissals"):
            return dismissal()
        default:
            return nil
        }
    }

    /// Whether a REST route's decision reads its body for these rules.
    static func needsBody(_ rest: [String], method: String) -> Bool {
        if rest.count == 2, rest.word(0, is: "issues"), method == "PATCH" { return true }  // a re-opening
        guard rest.word(0, is: "pulls"), method == "POST" || method == "PATCH" else { return false }
        return rest.count <= 2 || rest.word(2, is: "reviews")
    }

    /// GraphQL mutations; `nil` when the rules have nothing to say.
    func decide(mutation: String, input: JSONValue) -> APIDecision? {
        let fields = Optional(input)
        let shown = "GraphQL mutation '\(mutation)'"
        switch mutation {
        case "createPullRequest": return base(fields.stringField("baseRefName"), isRequired: true, shown: shown)
        case "updatePullRequest": return base(fields.stringField("baseRefName"), isRequired: false, shown: shown)
        case "addPullRequestReview", "submitPullRequestReview": return review(fields.stringField("event"), shown: shown)
        case "dismissPullRequestReview": return dismissal()
        default: return nil
        }
    }
}
