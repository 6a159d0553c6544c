import AgentTestSupport
import Foundation
import Testing

/// The policy decides on everything GitHub reads from a request: the query string (GitHub merges
/// it with the body), GraphQL sent through GET, ids that name refs, values GitHub may coerce,
/// headers that change the method, and bodies it would decode differently.
struct GhEverythingGitHubReadsTests {
    struct Attempt: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let url: String
        var body: String? = nil
        var headers: [String] = ["Content-Type: application/json"]
        let status: Int
        let message: String
        var testDescription: String { name }
    }

    static func graphQL(_ query: String, variables: String = "null") -> String {
        GhThroughAgentTests.graphQL(query, variables: variables)
    }

    static let mutation = "mutation { deleteRef(input: {refId: \"REF_main\"}) { clientMutationId } }"
    static let encodedMutation = mutation.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    static let protected = "branch 'main' is protected (BLOCKED_BRANCHES)"

    static let attempts: [Attempt] = [
        Attempt(
            name: "a mutation through GET /graphql", method: "GET", url: "/graphql?query=\(encodedMutation)", headers: [], status: 403,
            message: "the GraphQL request is refused: a mutation cannot be sent through GET"),
        Attempt(
            name: "a mutation through GET, + for spaces", method: "GET",
            url: "/graphql?query=mutation+%7B+deleteRef(input:+%7BrefId:+%22x%22%7D)+%7B+clientMutationId+%7D+%7D", headers: [], status: 403,
            message: "the GraphQL request is refused: a mutation cannot be sent through GET"),
        Attempt(
            name: "a mutation through GET /GraphQL/", method: "GET", url: "/GraphQL/?query=\(encodedMutation)", headers: [], status: 403,
            message: "the GraphQL request is refused: a mutation cannot be sent through GET"),
        Attempt(
            name: "two queries through GET", method: "GET", url: "/graphql?query=%7Bviewer%7Blogin%7D%7D&query=\(encodedMutation)",
            headers: [], status: 403, message: "the query string is refused: parameter 'query' is given twice"),
        Attempt(
            name: "a bracketed GraphQL parameter", method: "GET", url: "/graphql?query%5B%5D=\(encodedMutation)", headers: [], status: 403,
            message: "the query string is refused: parameter 'query[]' has brackets"),
        Attempt(
            name: "an unknown GraphQL GET parameter", method: "GET", url: "/graphql?extensions=%7B%7D&query=%7Bviewer%7Blogin%7D%7D",
            headers: [], status: 403, message: "GET /graphql is refused: GraphQL through GET takes query, operationName and variables only"),
        Attempt(
            name: "a mutation in POST /graphql's query string", method: "POST", url: "/graphql?query=\(encodedMutation)",
            body: graphQL("query { viewer { login } }"), status: 403,
            message: "POST /graphql is refused: query parameter 'query' on a write (GitHub reads query parameters like body fields)"),
        Attempt(
            name: "operationName in POST /graphql's query string", method: "POST", url: "/graphql?operationName=B",
            body: graphQL("query A { viewer { login } } mutation B { deleteRef(input: {refId: \"x\"}) { clientMutationId } }"), status: 403,
            message: "POST /graphql is refused: query parameter 'operationName' on a write"),
        Attempt(
            name: "a contents PUT whose query names main", method: "PUT", url: "/repos/o/app/contents/docs/new.md?branch=main",
            body: #"{"message":"m","content":"eA==","branch":"claude/docs"}"#, status: 403,
            message: "PUT /repos/o/app/contents/docs/new.md is refused: query parameter 'branch' on a write"),
        Attempt(
            name: "a ref PATCH with a query", method: "PATCH", url: "/repos/o/app/git/refs/heads/claude/x?force=true", body: #"{"sha":"abc"}"#,
            status: 403, message: "PATCH /repos/o/app/git/refs/heads/claude/x is refused: query parameter 'force' on a write"),
        Attempt(
            name: "force as a string", method: "PATCH", url: "/repos/o/app/git/refs/heads/claude/x", body: #"{"sha":"abc","force":"true"}"#,
            status: 403, message: "PATCH /repos/o/app/git/refs/heads/claude/x is refused: its 'force' is not true or false"),
        Attempt(
            name: "force as a number", method: "PATCH", url: "/repos/o/app/git/refs/heads/claude/x", body: #"{"sha":"abc","force":1}"#,
            status: 403, message: "PATCH /repos/o/app/git/refs/heads/claude/x is refused: its 'force' is not true or false"),
        Attempt(
            name: "a branch that is not a string", method: "PUT", url: "/repos/o/app/contents/docs/new.md",
            body: #"{"message":"m","content":"eA==","branch":["main"]}"#, status: 403,
            message: "PUT /repos/o/app/contents/docs/new.md is refused: its 'branch' is not a string"),
        Attempt(
            name: "a ref that is not a string", method: "POST", url: "/repos/o/app/git/refs", body: #"{"ref":{"name":"refs/heads/main"},"sha":"a"}"#,
            status: 403, message: "POST /repos/o/app/git/refs is refused: it names no 'ref' (a string)"),
        Attempt(
            name: "createCommitOnBranch naming main by id and another branch by name", method: "POST", url: "/graphql",
            body: graphQL(
                #"mutation { createCommitOnBranch(input: {branch: {id: "REF_main", branchName: "claude/x"}, message: {headline: "x"}, expectedHeadOid: "a"}) { commit { oid } } }"#
            ), status: 403, message: protected),
        Attempt(
            name: "createCommitOnBranch naming main by id only, through a variable", method: "POST", url: "/graphql",
            body: graphQL(
                "mutation M($b: CommittableBranch!) { createCommitOnBranch(input: {branch: $b, message: {headline: \"x\"}, expectedHeadOid: \"a\"}) { commit { oid } } }",
                variables: #"{"b":{"id":"REF_main"}}"#), status: 403, message: protected),
        Attempt(
            name: "updateRef forced by a string", method: "POST", url: "/graphql",
            body: graphQL(#"mutation { updateRef(input: {refId: "REF_claude_x", oid: "a", force: "yes"}) { clientMutationId } }"#), status: 403,
            message: "the GraphQL request is refused: updateRef: 'force' is not true or false"),
        Attempt(
            name: "a form-encoded body", method: "PUT", url: "/repos/o/app/contents/docs/new.md", body: "branch=main&message=m",
            headers: ["Content-Type: application/x-www-form-urlencoded"], status: 415,
            message: "PUT /repos/o/app/contents/docs/new.md needs a JSON body the agent can read: its Content-Type is 'application/x-www-form-urlencoded'"),
        Attempt(
            name: "a compressed body", method: "POST", url: "/graphql", body: "not really gzip",
            headers: ["Content-Type: application/json", "Content-Encoding: gzip"], status: 415,
            message: "POST /graphql needs a JSON body the agent can read: it is sent with a Content-Encoding"),
        Attempt(
            name: "a fragment bomb", method: "POST", url: "/graphql", body: graphQL(HostileDocuments.fragmentBomb(levels: 40)), status: 403,
            message: "the GraphQL request is refused: the mutation's fragments expand to more than 10000 selections"),
    ]

    @Test(arguments: attempts)
    func refusedAndNeverForwarded(_ attempt: Attempt) async throws {
        let scenario = try await GhScenario.start()
        var arguments = ["-X", attempt.method, "-w", "\n%{http_code}", "--globoff", "http://localhost" + attempt.url]
        for header in attempt.headers { arguments += ["-H", header] }
        if let body = attempt.body { arguments += ["--data-binary", body] }
        let result = try await scenario.curl(arguments)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last.map(String.init) == String(attempt.status), "\(result.output)")
        let message = try #require(
            lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["message"] as? String, "\(result.output)")
        #expect(message.hasPrefix(attempt.message), "\(message)")
        let forwarded = scenario.github.requests.filter {
            !($0.method == "POST" && $0.uri == "/graphql" && String(decoding: $0.bodyPrefix, as: UTF8.self).contains("AgentNodeLookup"))
        }
        #expect(forwarded.isEmpty, "reached GitHub: \(forwarded.map { "\($0.method) \($0.uri)" })")
        scenario.expectNoCanary()
    }

    @Test func harmlessQueriesStillPass() async throws {
        let scenario = try await GhScenario.start()
        let query = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/graphql?query=%7Bviewer%7Blogin%7D%7D"])
        #expect(query.stdout.hasSuffix("\n404"), "forwarded (the fixture has no such GET route): \(query.output)")
        let search = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user?per_page=5&page=2"])
        #expect(search.stdout.hasSuffix("\n200"), "\(search.output)")
        let asset = try await scenario.curl(
            [
                "-X", "POST", "-w", "\n%{http_code}", "-H", "Content-Type: application/octet-stream", "--data-binary", "x",
                "http://localhost/repos/o/app/releases/1/assets?name=a.zip&label=A",
            ], host: "uploads.github.com")
        #expect(asset.stdout.hasSuffix("\n404"), "forwarded: \(asset.output)")
        let byID = try await scenario.curl([
            "-X", "POST", "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary",
            Self.graphQL(
                #"mutation { createCommitOnBranch(input: {branch: {id: "REF_claude_x"}, message: {headline: "x"}, expectedHeadOid: "a"}) { commit { oid } } }"#),
            "http://localhost/graphql",
        ])
        #expect(byID.stdout.hasSuffix("\n404"), "allowed after the lookup and forwarded: \(byID.output)")
        let uris = scenario.github.requests.map(\.uri)
        #expect(uris.contains("/graphql?query=%7Bviewer%7Blogin%7D%7D") && uris.contains("/user?per_page=5&page=2"))
    }

    @Test func methodOverrideAndForwardingHeadersAreDropped() async throws {
        let scenario = try await GhScenario.start()
        let result = try await scenario.curl([
            "-w", "\n%{http_code}", "http://localhost/user", "-H", "X-HTTP-Method-Override: DELETE", "-H", "X-HTTP-Method: DELETE",
            "-H", "X-Method-Override: DELETE", "-H", "X-Forwarded-For: 10.0.0.1", "-H", "X-Forwarded-Host: evil.example",
            "-H", "Forwarded: for=10.0.0.1", "-H", "X-Real-IP: 10.0.0.1", "-H", "X-GitHub-Api-Version: 2022-11-28",
        ])
        #expect(result.stdout.hasSuffix("\n200"), "\(result.output)")
        let request = try #require(scenario.github.requests.first)
        let names = Set(request.headers.map { $0.0.lowercased() })
        for dropped in ["x-http-method-override", "x-http-method", "x-method-override", "x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip"] {
            #expect(!names.contains(dropped), "\(dropped) reached GitHub")
        }
        #expect(request.header("X-GitHub-Api-Version") == "2022-11-28")
    }

    /// A 4 MB GraphQL document of blank lines in block strings is decided in linear time: it is
    /// answered (the old quadratic trim took minutes on this size).
    @Test func hugeBlockStringsAreDecided() async throws {
        let scenario = try await GhScenario.start()
        let blank = String(repeating: "\\n", count: 2 << 20)  // JSON escapes: a newline each in the document
        let body = #"{"query":"query { a(b: \"\"\""# + blank + "x" + blank + #"\"\"\") }"}"#
        let file = scenario.home.sub("big.json")
        try body.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await scenario.curl([
            "-X", "POST", "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary", "@" + file, "http://localhost/graphql",
        ])
        #expect(result.stdout.hasSuffix("\n404"), "decided and forwarded: \(result.output.prefix(300))")
    }
}
