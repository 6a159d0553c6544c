import AgentTestSupport
import ArgumentParser
import Foundation

/// Exit 0 when every recorded Messages API request carried the expected credential and none
/// carried the placeholder; otherwise one line per problem and exit 1.
struct CheckCredentials: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the credential on every request the Messages API fixture received.")

    @Argument(help: "anthropic-requests.jsonl, as written by `serve --record-directory`.")
    var requests: String

    @Option(help: "api-key or oauth-token.")
    var kind: String = "api-key"

    @Option(help: "A file holding the credential the agent holds.")
    var credentialFile: String

    @Option(help: "The placeholder the claude container sends, which must never arrive.")
    var placeholder: String

    @Option(help: "Check only the Messages requests whose first user message contains this text (one session's).")
    var promptContains: String?

    func run() throws {
        guard let kind = CredentialCheck.Kind(rawValue: kind) else { throw ValidationError("--kind is api-key or oauth-token") }
        let credential = try String(contentsOfFile: credentialFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let recorded = try RecordedHTTPRequest.read(fromFile: requests).filter { request in
            promptContains.map { request.messagesRequest?.firstUserText.contains($0) ?? false } ?? true
        }
        let problems = CredentialCheck(kind: kind, credential: credential, placeholder: placeholder).problems(in: recorded)
        for problem in problems { print(problem) }
        guard problems.isEmpty else { throw ExitCode.failure }
        print("\(recorded.count) request(s), each with the agent's \(kind.rawValue), none with the placeholder")
    }
}

/// Prints the tool results the CLI sent back, from the request that carried the most of them.
struct ToolResults: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tool results the Messages API fixture received.")

    @Argument(help: "anthropic-requests.jsonl, as written by `serve --record-directory`.")
    var requests: String

    func run() throws {
        let results = try RecordedHTTPRequest.read(fromFile: requests).compactMap(\.messagesRequest).map(\.toolResults).max { $0.count < $1.count } ?? []
        for result in results {
            print("--- tool_result \(result.toolUseID)\(result.isError ? " (error)" : "")")
            print(result.text)
        }
    }
}

/// Prints one line per recorded request: method, URI and, for GraphQL, the operation.
struct Requests: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the requests a fixture received.")

    @Argument(help: "A requests file written by `serve --record-directory`.")
    var requests: String

    func run() throws {
        for request in try RecordedHTTPRequest.read(fromFile: requests) {
            let operation = request.path == "/graphql" ? FixtureGitHubServer.operationName(request.body).map { " " + $0 } ?? "" : ""
            print("\(request.method) \(request.uri)\(operation)")
        }
    }
}
