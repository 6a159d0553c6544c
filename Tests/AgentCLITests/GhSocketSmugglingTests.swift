import AgentTestSupport
import Foundation
import Testing

/// Raw bytes on gh.sock, as an attacker in the claude container would send them: one request per
/// exchange, and nothing after a request's end reaches GitHub, in any framing, behind any first
/// request.
struct GhSocketSmugglingTests {
    struct FirstRequest: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let method: String
        let uri: String
        var testDescription: String { name }
    }

    /// Requests the agent allows, each framed as a client may frame it.
    static let firstRequests: [FirstRequest] = [
        FirstRequest(name: "GET", text: "GET /user HTTP/1.1\r\nHost: api.github.com\r\n\r\n", method: "GET", uri: "/user"),
        FirstRequest(
            name: "GET with Content-Length 0", text: "GET /user HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 0\r\n\r\n", method: "GET",
            uri: "/user"),
        FirstRequest(
            name: "GraphQL query", text: post("/graphql", #"{"query":"query RepositoryInfo { viewer { login } }"}"#), method: "POST", uri: "/graphql"),
        FirstRequest(
            name: "allowed contents PUT", text: put(#"{"message":"m","content":"eA==","branch":"claude/docs"}"#, chunked: false), method: "PUT",
            uri: "/repos/o/app/contents/docs/new.md"),
        FirstRequest(
            name: "allowed contents PUT, chunked", text: put(#"{"message":"m","content":"eA==","branch":"claude/docs"}"#, chunked: true),
            method: "PUT", uri: "/repos/o/app/contents/docs/new.md"),
    ]

    /// What follows the first request on the same connection.
    static let smuggled: [(name: String, text: String)] = [
        ("an incomplete DELETE head", "DELETE /repos/o/app/git/refs/heads/main HTTP/1.1\r\nX-A: "),
        ("a head that swallows the next one", "POST /markdown/raw HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 200\r\n\r\n"),
        ("a second request whose body is a DELETE", post("/user", "DELETE /repos/o/app/git/refs/heads/main HTTP/1.1\r\nX-A: ")),
        (
            "a second request whose chunked body is a head",
            "POST /user HTTP/1.1\r\nHost: api.github.com\r\nTransfer-Encoding: chunked\r\n\r\n4a\r\nPOST /markdown/raw HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 200\r\n\r\n\r\n0\r\n\r\n"
        ),
    ]

    static func post(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func put(_ body: String, chunked: Bool) -> String {
        let head = "PUT /repos/o/app/contents/docs/new.md HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\n"
        if chunked {
            let half = body.utf8.count / 2
            let first = String(body.prefix(half))
            let second = String(body.dropFirst(half))
            return head + "Transfer-Encoding: chunked\r\n\r\n" + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n"
                + String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n"
        }
        return head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    @Test(arguments: firstRequests)
    func nothingAfterTheRequestReachesGitHub(_ first: FirstRequest) async throws {
        let scenario = try await GhScenario.start()
        for (name, tail) in Self.smuggled {
            let answer = try RawSocketClient.exchange(scenario.socket, first.text + tail)
            #expect(answer.closed, "\(name): the agent must end the exchange")
            #expect(answer.text.httpResponseCount == 1, "\(name): exactly one response per connection: \(answer.text)")
            #expect([200, 201].contains(answer.text.httpStatus), "\(name): \(answer.text.prefix(300))")
            // The agent's next requests on its kept-alive upstream connections must arrive intact.
            for _ in 0..<3 {
                let honest = try await scenario.curl(["-w", "\n%{http_code}", "http://localhost/user"])
                #expect(honest.stdout.hasSuffix("\n200"), "\(name): \(honest.output)")
            }
        }
        let received = scenario.github.requests
        #expect(received.count == Self.smuggled.count * 4, "\(received.map { "\($0.method) \($0.uri)" })")
        for request in received {
            let expected = (request.method == first.method && request.uri == first.uri) || (request.method == "GET" && request.uri == "/user")
            #expect(expected, "GitHub received \(request.method) \(request.uri)")
            #expect(request.headers.filter { $0.0.lowercased() == "authorization" }.map(\.1) == ["token \(GhScenario.canary)"])
            #expect(!String(decoding: request.bodyPrefix, as: UTF8.self).contains("HTTP/1.1"), "a request head travelled as a body")
            if request.method == "GET" { #expect(request.bodyByteCount == 0) }
        }
        let allowed = scenario.agent.auditLog.split(separator: "\n").filter { $0.contains(#""socket":"gh.sock""#) && $0.contains(#""decision":"allow""#) }
        #expect(allowed.count == received.count, "every request GitHub saw was decided and audited")
        scenario.expectNoCanary()
    }

    /// The same through one connection at a time with the extra bytes arriving separately, after
    /// the agent has already forwarded the first request.
    @Test func extraBytesSentLaterAreDropped() async throws {
        let scenario = try await GhScenario.start()
        let client = try RawSocketClient(path: scenario.socket)
        try client.send(Self.firstRequests[3].text)
        try await waitUntil { scenario.github.requests.count == 1 }
        try? client.send(Self.smuggled[0].text)
        try? client.send("\r\n\r\n")
        let answer = client.readUntilClosed()
        #expect(answer.text.httpStatus == 201, "\(answer.text)")
        for _ in 0..<3 { _ = try await scenario.curl(["http://localhost/user"]) }
        #expect(scenario.github.requests.map(\.method) == ["PUT", "GET", "GET", "GET"])
    }

    @Test(arguments: [
        ("GET http://evil.example/x HTTP/1.1\r\nHost: api.github.com\r\n\r\n", 400),
        ("GET http://api.github.com/user HTTP/1.1\r\nHost: api.github.com\r\n\r\n", 400),
        ("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 400),
        ("OPTIONS * HTTP/1.1\r\nHost: api.github.com\r\n\r\n", 400),
        ("GET //evil.example/x HTTP/1.1\r\nHost: api.github.com\r\n\r\n", 400),
        ("TRACE /user HTTP/1.1\r\nHost: api.github.com\r\n\r\n", 405),
        ("GET /user HTTP/1.1\r\nHost: api.github.com\r\nHost: evil.example\r\n\r\n", 400),
        ("GET /user HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("POST /user HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /user HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("GET /user HTTP/1.1\r\nHost: api.github.com\r\nExpect: something-else\r\n\r\n", 417),
        ("GET /user HTTP/1.1\r\nHost: api.github.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 200),
        ("garbage\r\n\r\n", 400),
    ])
    func oddTargetsAndFramingAreRefused(_ request: String, _ status: Int) async throws {
        let scenario = try await GhScenario.start()
        let answer = try RawSocketClient.exchange(scenario.socket, request)
        #expect(answer.text.httpStatus == status, "\(answer.text)")
        let reached = scenario.github.requests
        if status == 200 {
            #expect(reached.count == 1 && reached[0].header("Upgrade") == nil && reached[0].header("Connection") == nil)
        } else {
            #expect(reached.isEmpty, "\(reached.map(\.uri))")
        }
    }

    /// Polls a condition the agent reaches on its own time, for up to 10 s.
    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
