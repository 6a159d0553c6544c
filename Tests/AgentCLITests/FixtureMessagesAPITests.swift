import AgentTestSupport
import Foundation
import Testing

/// The fixture Messages API that stands in for Anthropic in the container end-to-end test:
/// its script, its server-sent events as a real HTTP client (curl) receives them, and the
/// checks the end-to-end test makes on what it recorded.
@Suite struct FixtureMessagesAPITests {
    static let script = """
        {"conversations": [
          {"prompt_contains": "marker-a", "turns": [
            [{"type": "text", "text": "Cloning."}, {"type": "tool_use", "name": "Bash", "input": {"command": "git clone https://github.com/o/app.git"}}],
            [{"type": "text", "text": "Done."}]]},
          {"turns": [[{"type": "text", "text": "default"}]]}
        ], "side_answer": "side", "delta_size": 4}
        """

    static func request(prompt: String, assistantTurns: Int, tools: [String] = ["Bash"], stream: Bool = true) -> Data {
        var messages: [[String: Any]] = [["role": "user", "content": [["type": "text", "text": prompt]]]]
        for turn in 0..<assistantTurns {
            messages.append(["role": "assistant", "content": [["type": "tool_use", "id": "t\(turn)", "name": "Bash", "input": [:]]]])
            messages.append(["role": "user", "content": [["type": "tool_result", "tool_use_id": "t\(turn)", "content": "output \(turn)", "is_error": true]]])
        }
        let body: [String: Any] = ["model": "m", "stream": stream, "messages": messages, "tools": tools.map { ["name": $0] }]
        return (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let prompt: String
        let assistantTurns: Int
        let tools: [String]
        let expected: [MessagesScript.Block]
        var testDescription: String { "\(prompt) after \(assistantTurns) turn(s), tools \(tools)" }
    }

    @Test(arguments: [
        Case(
            prompt: "do marker-a now", assistantTurns: 0, tools: ["Bash"],
            expected: [.text("Cloning."), .toolUse(name: "Bash", inputJSON: #"{"command":"git clone https:\/\/github.com\/o\/app.git"}"#)]),
        Case(prompt: "do marker-a now", assistantTurns: 1, tools: ["Bash", "Read"], expected: [.text("Done.")]),
        Case(prompt: "something else", assistantTurns: 0, tools: ["Bash"], expected: [.text("default")]),
        Case(prompt: "do marker-a now", assistantTurns: 0, tools: [], expected: [.text("side")]),
        Case(prompt: "do marker-a now", assistantTurns: 5, tools: ["Bash"], expected: [.text("The fixture script has no turn 6 (it has 2).")]),
    ])
    func turnFollowsTheConversation(_ testCase: Case) throws {
        let script = try MessagesScript(json: Data(Self.script.utf8))
        let request = try #require(MessagesRequest(json: Self.request(prompt: testCase.prompt, assistantTurns: testCase.assistantTurns, tools: testCase.tools)))
        #expect(script.answer(to: request) == testCase.expected)
    }

    @Test func toolResultsAreRead() throws {
        let request = try #require(MessagesRequest(json: Self.request(prompt: "x", assistantTurns: 2)))
        #expect(request.toolResults.map(\.text) == ["output 0", "output 1"])
        #expect(request.toolResults.map(\.isError) == [true, true])
    }

    @Test func streamedEventsArriveInTheAPIsOrder() async throws {
        let directory = try TemporaryDirectory(prefix: "msgs")
        let server = try await FixtureAnthropicServer(script: MessagesScript(json: Data(Self.script.utf8)), recordingTo: directory.sub("requests.jsonl"))
        defer { Task { await server.shutdown() } }
        try Self.request(prompt: "marker-a", assistantTurns: 0).write(to: URL(fileURLWithPath: directory.sub("body.json")))
        let result = try await ChildProcess.run(
            "/usr/bin/curl",
            [
                "-sS", "-N", "-X", "POST", "\(server.baseURL)/v1/messages?beta=true", "-H", "x-api-key: sk-test", "-H", "content-type: application/json",
                "--data-binary", "@" + directory.sub("body.json"),
            ],
            environment: ["PATH": "/usr/bin:/bin"], outputDirectory: directory.path
        )
        #expect(result.status == 0, "\(result.stderr)")
        let events = result.stdout.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let names = events.compactMap { $0.split(separator: "\n").first.map { $0.replacingOccurrences(of: "event: ", with: "") } }
        #expect(names.first == "message_start")
        #expect(names.suffix(2) == ["message_delta", "message_stop"])
        #expect(names.filter { $0 == "content_block_start" }.count == 2)
        #expect(names.filter { $0 == "content_block_delta" }.count > 2, "text and input arrive in several pieces")
        let data = events.compactMap { event in
            event.split(separator: "\n").first { $0.hasPrefix("data: ") }.flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any]
            }
        }
        let deltas = data.compactMap { $0["delta"] as? [String: Any] }
        #expect(deltas.compactMap { $0["text"] as? String }.joined() == "Cloning.")
        let input = deltas.compactMap { $0["partial_json"] as? String }.joined()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(input.utf8)) as? [String: String])
        #expect(parsed == ["command": "git clone https://github.com/o/app.git"])
        #expect(deltas.contains { $0["stop_reason"] as? String == "tool_use" })

        let recorded = try RecordedHTTPRequest.read(fromFile: directory.sub("requests.jsonl"))
        #expect(recorded.count == 1)
        #expect(recorded.first?.uri == "/v1/messages?beta=true")
        #expect(recorded.first?.headerValues("X-Api-Key") == ["sk-test"])
        #expect(recorded.first?.messagesRequest?.firstUserText == "marker-a")
    }

    @Test func countTokensAndUnknownPaths() async throws {
        let directory = try TemporaryDirectory(prefix: "msgs")
        let server = try await FixtureAnthropicServer(script: MessagesScript(json: Data(Self.script.utf8)))
        defer { Task { await server.shutdown() } }
        let environment = ["PATH": "/usr/bin:/bin"]
        let count = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "-X", "POST", "\(server.baseURL)/v1/messages/count_tokens", "--data-binary", #"{"model":"m","messages":[]}"#],
            environment: environment, outputDirectory: directory.path)
        #expect(count.stdout.hasPrefix(#"{"input_tokens":"#), "\(count.output)")
        let unknown = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "-w", "%{http_code}", "\(server.baseURL)/api/hello"], environment: environment, outputDirectory: directory.path)
        #expect(unknown.stdout.hasSuffix("404"))
        #expect(unknown.stdout.contains(#""type":"not_found_error""#))
        #expect(server.requests.map(\.path) == ["/v1/messages/count_tokens", "/api/hello"])
    }

    static func recorded(_ headers: [(String, String)], body: String = "{}") -> RecordedHTTPRequest {
        RecordedHTTPRequest(method: "POST", uri: "/v1/messages?beta=true", headers: headers, body: Data(body.utf8))
    }

    @Test func credentialCheckFindsEveryWrongRequest() {
        let check = CredentialCheck(kind: .apiKey, credential: "sk-agent", placeholder: "placeholder-x")
        #expect(check.problems(in: [Self.recorded([("x-api-key", "sk-agent")])]).isEmpty)
        #expect(check.problems(in: []) == ["no request reached the fixture Messages API"])
        #expect(
            check.problems(in: [Self.recorded([("x-api-key", "sk-agent")]), Self.recorded([("X-Api-Key", "placeholder-x")])]) == [
                "request 2 (POST /v1/messages): x-api-key is not the agent's key (1 value(s))",
                "request 2 (POST /v1/messages): carries the placeholder credential",
            ])
        #expect(
            check.problems(in: [Self.recorded([("x-api-key", "sk-agent"), ("authorization", "Bearer placeholder-x")])]) == [
                "request 1 (POST /v1/messages): carries an Authorization header",
                "request 1 (POST /v1/messages): carries the placeholder credential",
            ])
        #expect(
            check.problems(in: [Self.recorded([("x-api-key", "sk-agent")], body: #"{"note":"placeholder-x"}"#)]) == [
                "request 1 (POST /v1/messages): carries the placeholder credential"
            ])
        let oauth = CredentialCheck(kind: .oauthToken, credential: "tok", placeholder: "placeholder-p")
        #expect(oauth.problems(in: [Self.recorded([("Authorization", "Bearer tok")])]).isEmpty)
        #expect(oauth.problems(in: [Self.recorded([("x-api-key", "tok")])]).count == 2)
    }
}
