import AgentTestSupport
import Foundation
import Testing

/// Findings of the attack on gh.sock after issue 10 (branch attack-10): writes the policy lets
/// through. Each test fails against the agent as it was attacked and states what a fix must make
/// true. The resource findings are in `AttackFindingsResourceTests`.
struct AttackFindingsTests {
    /// `gh pr update-branch --rebase` is GraphQL `updatePullRequestBranch` with `updateMethod:
    /// REBASE`: GitHub rebases the pull request's head branch onto its base, rewriting the
    /// branch's history (a force-push of the head). With `ALLOW_FORCE_PUSH=false` the agent
    /// decided it as a plain update of the head and let it through.
    @Test func rebasingAPullRequestBranchIsAForcePush() async throws {
        let scenario = try await GhScenario.start(environment: ["ALLOW_FORCE_PUSH": "false"])
        let rebase = #"mutation { updatePullRequestBranch(input: {pullRequestId: "PR_kwDOfixture1", updateMethod: REBASE}) { clientMutationId } }"#
        let answer = try await scenario.curl([
            "-X", "POST", "-w", "\n%{http_code}", "http://localhost/graphql", "-H", "Content-Type: application/json", "--data-binary", Self.graphQL(rebase),
        ])
        #expect(answer.stdout.hasSuffix("\n403"), "\(answer.output)")
        #expect(answer.stdout.contains("ALLOW_FORCE_PUSH"), "\(answer.output)")
        let mutations = scenario.github.requests.filter { String(decoding: $0.bodyPrefix, as: UTF8.self).contains("updatePullRequestBranch") }
        #expect(mutations.count == 0, "the rebase reached GitHub")
        scenario.expectNoCanary()
    }

    /// The policy %-decodes a path once before matching (`POST /%67raphql` is decided as GraphQL),
    /// but a GET was checked for GraphQL only when its raw path contained `graphql`: a mutation
    /// in the query string of `GET /%67raphql` went to GitHub undecided.
    @Test(arguments: ["/%67raphql", "/graph%71l", "/%47raph%51L/"])
    func graphQLThroughGETOnAnEncodedPathIsDecided(_ path: String) async throws {
        let scenario = try await GhScenario.start()
        let mutation = #"mutation { deleteRef(input: {refId: "REF_main"}) { clientMutationId } }"#
        let query = mutation.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let answer = try RawSocketClient.exchange(scenario.socket, "GET \(path)?query=\(query) HTTP/1.1\r\nHost: api.github.com\r\n\r\n")
        #expect(answer.text.httpStatus == 403, "\(answer.text.prefix(400))")
        #expect(!scenario.github.requests.contains { $0.uri.hasPrefix(path) }, "the mutation reached GitHub")
    }

    /// Reads pass, but a read's path was not parsed: dot segments went to GitHub verbatim. With a
    /// base path (GitHub Enterprise, `GITHUB_API_URL=https://ghe/api/v3`) `GET /../../admin`
    /// becomes `/api/v3/../../admin`, outside the API, with the token; what a server normalises
    /// it to is not what the policy decided on.
    @Test(arguments: ["/repos/o/app/../../user", "/%2e%2e/user", "/repos/o/app/%2E%2E/%2e%2e/user"])
    func aReadWithDotSegmentsIsRefused(_ path: String) async throws {
        let scenario = try await GhScenario.start()
        let answer = try RawSocketClient.exchange(scenario.socket, "GET \(path) HTTP/1.1\r\nHost: api.github.com\r\n\r\n")
        #expect([400, 403].contains(answer.text.httpStatus), "\(answer.text.prefix(300))")
        #expect(scenario.github.requests.count == 0, "the request reached GitHub as \(scenario.github.requests.map(\.uri))")
    }

    /// A body the policy reads must be declared as JSON, because GitHub (Rack) would parse a
    /// form body into other parameters. Rack takes the media type up to the first `;` or `,`, the
    /// agent up to the first `;` only: `application/x-www-form-urlencoded, application/vnd.github+json`
    /// passed the agent's check and is a form body to Rack. The body below is JSON to the agent
    /// (only `description`) and, as a form, sets `default_branch=main`. A repeated `Content-Type`
    /// is refused too: the agent read only the first.
    @Test(arguments: [
        "Content-Type: application/x-www-form-urlencoded, application/vnd.github+json",
        "Content-Type: application/x-www-form-urlencoded,+json",
        "Content-Type: application/json\r\nContent-Type: application/x-www-form-urlencoded",
    ])
    func aBodyTheServerWouldReadAsAFormIsRefused(_ contentType: String) async throws {
        let scenario = try await GhScenario.start()
        let body = #"{"description":"x&default_branch=main&visibility=public&z="}"#
        let request = "PATCH /repos/o/app HTTP/1.1\r\nHost: api.github.com\r\n\(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let answer = try RawSocketClient.exchange(scenario.socket, request)
        #expect([400, 415].contains(answer.text.httpStatus), "\(answer.text.prefix(400))")
        #expect(!scenario.github.requests.contains { $0.method == "PATCH" }, "the body reached GitHub")
    }

    /// A refusal names the rule and what the client asked for, but a client's string is
    /// unbounded: a 4 MiB `operationName` came back in the 403 and was written whole into the
    /// audit log (30 MiB ones took the agent from 34 to 219 MiB and wrote a 30 MiB audit line).
    @Test func aRefusalDoesNotRepeatAnUnboundedClientString() async throws {
        let scenario = try await GhScenario.start()
        let name = String(repeating: "A", count: 4 << 20)
        let body = #"{"query":"query Q { viewer { login } }","operationName":"\#(name)"}"#
        let request = "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let answer = try RawSocketClient.exchange(scenario.socket, request)
        #expect(answer.text.httpStatus == 403, "\(answer.text.prefix(300))")
        #expect(answer.text.utf8.count < 64 << 10, "the reply is \(answer.text.utf8.count) bytes")
        let longest = scenario.agent.auditLog.split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest < 64 << 10, "an audit line is \(longest) bytes")
    }

    static func graphQL(_ query: String, variables: String = "null") -> String {
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"query\":\"\(escaped)\",\"variables\":\(variables)}"
    }
}
