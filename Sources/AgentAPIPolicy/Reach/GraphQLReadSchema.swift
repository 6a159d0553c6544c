/// The part of GitHub's GraphQL schema that `ALLOW_OTHER_REPO_READS=false` lets a query walk: for
/// each object type that lives in a repository, the fields that lead to another object and where
/// that object lives.
///
/// An allowlist of edges, not a denylist of leaks: a field with a selection set that is not listed
/// for its type is refused, so a field GitHub adds later, or one that points into another
/// repository (`TransferredEvent.fromRepository`, `ReferencedEvent.commit`, a fork's `headRef`),
/// does not pass by default. Listed as `.object` are only edges that stay in the repository of
/// the object they start from (an issue's `repository`, a pull request's `baseRef`, a commit's
/// `tree`); edges to people are `.account`, edges to another repository or to something the
/// agent cannot place (a fork, a cross-reference, a project) are `.elsewhere` (who it is only).
/// Fields without a selection set are the object's own scalars and always pass.
///
/// `XConnection` and `XEdge` types need no entry: `nodes`, `edges`, `node` lead to `X`.
enum GraphQLReadSchema {
    /// Where an edge leads.
    enum Target: Equatable {
        /// An object of this type in the same repository.
        case object(String)
        /// A person, bot, team or organisation: their own scalars only.
        case account
        /// Another repository or an object the agent cannot place: who it is only.
        case elsewhere
        /// A project the object is on (an account's, outside repositories): who it is and its
        /// title, which `gh pr edit` shows.
        case project
        /// GitHub itself (a licence, a language, a topic): scalars only.
        case global
    }

    /// Interfaces and unions: an inline fragment or a fragment spread says which type is meant.
    static let abstractTypes: Set<String> = [
        "Node", "GitObject", "IssueOrPullRequest", "IssueTimelineItems", "PullRequestTimelineItems", "StatusCheckRollupContext",
        "SearchResultItem",
    ]

    /// Where `field` of an object of `type` leads, or `nil` when it is not known to stay inside.
    static func target(of field: String, on type: String) -> Target? {
        if type.hasSuffix("Connection") {
            let element = String(type.dropLast("Connection".count))
            switch field {
            case "nodes": return .object(element)
            case "edges": return .object(element + "Edge")
            case "pageInfo": return .global
            default: return nil
            }
        }
        if type.hasSuffix("Edge"), field == "node" { return .object(String(type.dropLast("Edge".count))) }
        return edges[type]?[field]
    }

    /// Whether the walk knows the type (its edges, or that it has none).
    static func isKnown(_ type: String) -> Bool {
        edges[type] != nil || type.hasSuffix("Connection") || type.hasSuffix("Edge")
    }

    private static let commonComment: [String: Target] = [
        "author": .account, "editor": .account, "reactionGroups": .object("ReactionGroup"), "reactions": .object("ReactionConnection"),
        "userContentEdits": .object("UserContentEditConnection"), "repository": .object("Repository"),
    ]

    private static let issueLike: [String: Target] = commonComment.merging([
        "assignees": .account, "participants": .account, "labels": .object("LabelConnection"), "milestone": .object("Milestone"),
        "comments": .object("IssueCommentConnection"), "projectCards": .object("ProjectCardConnection"),
        "timelineItems": .object("IssueTimelineItemsConnection"), "trackedIssues": .elsewhere, "trackedInIssues": .elsewhere,
        "closedByPullRequestsReferences": .elsewhere, "parent": .elsewhere,
        "subIssues": .elsewhere, "projectItems": .object("ProjectV2ItemConnection"), "projectsV2": .elsewhere,
    ]) { $1 }

    static let edges: [String: [String: Target]] = [
        "Repository": [
            "issue": .object("Issue"), "issues": .object("IssueConnection"), "pullRequest": .object("PullRequest"),
            "pullRequests": .object("PullRequestConnection"), "issueOrPullRequest": .object("IssueOrPullRequest"),
            "defaultBranchRef": .object("Ref"), "ref": .object("Ref"), "refs": .object("RefConnection"), "object": .object("GitObject"),
            "labels": .object("LabelConnection"), "label": .object("Label"), "milestones": .object("MilestoneConnection"),
            "milestone": .object("Milestone"), "releases": .object("ReleaseConnection"), "release": .object("Release"),
            "latestRelease": .object("Release"), "discussions": .object("DiscussionConnection"), "discussion": .object("Discussion"),
            "discussionCategories": .object("DiscussionCategoryConnection"), "commitComments": .object("CommitCommentConnection"),
            "branchProtectionRules": .object("BranchProtectionRuleConnection"), "issueTemplates": .object("IssueTemplate"),
            "pullRequestTemplates": .object("PullRequestTemplate"), "repositoryTopics": .object("RepositoryTopicConnection"),
            "languages": .global, "primaryLanguage": .global, "licenseInfo": .global, "codeOfConduct": .global, "fundingLinks": .global,
            "owner": .account, "assignableUsers": .account, "mentionableUsers": .account, "collaborators": .account, "stargazers": .account,
            "watchers": .account, "parent": .elsewhere, "templateRepository": .elsewhere,
        ],
        "Issue": issueLike,
        "PullRequest": issueLike.merging([
            "headRepositoryOwner": .account, "headRepository": .elsewhere, "headRef": .elsewhere, "baseRepository": .object("Repository"),
            "baseRef": .object("Ref"), "reviewRequests": .object("ReviewRequestConnection"), "reviews": .object("PullRequestReviewConnection"),
            "latestReviews": .object("PullRequestReviewConnection"), "latestOpinionatedReviews": .object("PullRequestReviewConnection"),
            "commits": .object("PullRequestCommitConnection"), "files": .object("PullRequestChangedFileConnection"),
            "reviewThreads": .object("PullRequestReviewThreadConnection"), "timelineItems": .object("PullRequestTimelineItemsConnection"),
            "closingIssuesReferences": .elsewhere, "mergeCommit": .object("Commit"), "potentialMergeCommit": .object("Commit"),
            "mergedBy": .account, "autoMergeRequest": .object("AutoMergeRequest"), "suggestedReviewers": .object("SuggestedReviewer"),
        ]) { $1 },
        "IssueComment": commonComment.merging(["issue": .object("Issue"), "pullRequest": .object("PullRequest")]) { $1 },
        "CommitComment": commonComment.merging(["commit": .object("Commit")]) { $1 },
        "PullRequestReview": commonComment.merging([
            "commit": .elsewhere, "comments": .object("PullRequestReviewCommentConnection"), "pullRequest": .object("PullRequest"),
        ]) { $1 },
        "PullRequestReviewComment": commonComment.merging([
            "pullRequest": .object("PullRequest"), "pullRequestReview": .object("PullRequestReview"),
            "replyTo": .object("PullRequestReviewComment"), "commit": .elsewhere, "originalCommit": .elsewhere,
        ]) { $1 },
        "PullRequestReviewThread": [
            "comments": .object("PullRequestReviewCommentConnection"), "pullRequest": .object("PullRequest"), "repository": .object("Repository"),
            "resolvedBy": .account,
        ],
        "Discussion": commonComment.merging([
            "category": .object("DiscussionCategory"), "comments": .object("DiscussionCommentConnection"), "answer": .object("DiscussionComment"),
            "labels": .object("LabelConnection"),
        ]) { $1 },
        "DiscussionComment": commonComment.merging([
            "replies": .object("DiscussionCommentConnection"), "discussion": .object("Discussion"), "replyTo": .object("DiscussionComment"),
        ]) { $1 },
        "DiscussionCategory": ["repository": .object("Repository")],
        "ReactionGroup": ["users": .account, "reactors": .account],
        "Reaction": ["user": .account],
        "UserContentEdit": ["editor": .account, "deletedBy": .account],
        "Label": ["issues": .object("IssueConnection"), "pullRequests": .object("PullRequestConnection"), "repository": .object("Repository")],
        "Milestone": [
            "issues": .object("IssueConnection"), "pullRequests": .object("PullRequestConnection"), "repository": .object("Repository"),
            "creator": .account,
        ],
        "ProjectCard": ["project": .project, "column": .elsewhere, "creator": .account],
        "ProjectV2Item": ["project": .project],
        "ReviewRequest": ["requestedReviewer": .account, "pullRequest": .object("PullRequest")],
        "SuggestedReviewer": ["reviewer": .account],
        "AutoMergeRequest": ["enabledBy": .account, "pullRequest": .object("PullRequest")],
        "PullRequestCommit": ["commit": .object("Commit"), "pullRequest": .object("PullRequest")],
        "PullRequestChangedFile": [:],
        "Commit": [
            "statusCheckRollup": .object("StatusCheckRollup"), "status": .object("Status"), "checkSuites": .object("CheckSuiteConnection"),
            "author": .object("GitActor"), "committer": .object("GitActor"), "parents": .object("CommitConnection"),
            "history": .object("CommitConnection"), "tree": .object("Tree"), "file": .object("TreeEntry"),
            "associatedPullRequests": .elsewhere,
        ],
        "GitActor": ["user": .account],
        "Tree": ["entries": .object("TreeEntry")],
        "TreeEntry": ["object": .object("GitObject"), "submodule": .object("Submodule")],
        "Submodule": [:],
        "Blob": [:],
        "Tag": ["target": .object("GitObject"), "tagger": .object("GitActor")],
        "Ref": [
            "target": .object("GitObject"), "associatedPullRequests": .elsewhere, "branchProtectionRule": .object("BranchProtectionRule"),
            "repository": .object("Repository"),
        ],
        "BranchProtectionRule": [:],
        "StatusCheckRollup": ["contexts": .object("StatusCheckRollupContextConnection"), "commit": .object("Commit")],
        "Status": ["contexts": .object("StatusContext"), "commit": .object("Commit")],
        "StatusContext": ["creator": .account, "commit": .object("Commit")],
        "CheckRun": ["checkSuite": .object("CheckSuite"), "annotations": .object("CheckAnnotationConnection"), "repository": .object("Repository")],
        "CheckAnnotation": ["location": .object("CheckAnnotationSpan")],
        "CheckAnnotationSpan": ["start": .object("CheckAnnotationPosition"), "end": .object("CheckAnnotationPosition")],
        "CheckAnnotationPosition": [:],
        "CheckSuite": [
            "workflowRun": .object("WorkflowRun"), "app": .global, "commit": .object("Commit"), "checkRuns": .object("CheckRunConnection"),
            "repository": .object("Repository"), "branch": .object("Ref"),
        ],
        "WorkflowRun": ["workflow": .object("Workflow"), "checkSuite": .object("CheckSuite")],
        "Workflow": [:],
        "Release": [
            "author": .account, "releaseAssets": .object("ReleaseAssetConnection"), "tagCommit": .object("Commit"), "tag": .object("Ref"),
            "repository": .object("Repository"),
        ],
        "ReleaseAsset": ["uploadedBy": .account, "release": .object("Release")],
        "RepositoryTopic": ["topic": .global],
        "IssueTemplate": [:],
        "PullRequestTemplate": [:],
        // What a mutation returns: the object it wrote, in the repository the write rules allowed.
        "MutationPayload": [
            "pullRequest": .object("PullRequest"), "issue": .object("Issue"), "comment": .object("IssueComment"),
            "commentEdge": .object("IssueCommentEdge"), "timelineEdge": .object("IssueTimelineItemsEdge"), "subject": .object("Node"),
            "labelable": .object("Node"), "assignable": .object("Node"), "closable": .object("Node"), "reopenable": .object("Node"),
            "reactionSubject": .object("Node"), "ref": .object("Ref"), "commit": .object("Commit"), "label": .object("Label"),
            "milestone": .object("Milestone"), "release": .object("Release"), "pullRequestReview": .object("PullRequestReview"),
            "review": .object("PullRequestReview"), "thread": .object("PullRequestReviewThread"), "discussion": .object("Discussion"),
            "repository": .object("Repository"), "reaction": .object("Reaction"), "reactionGroups": .object("ReactionGroup"),
            "actor": .account,
        ],
    ]
}
