import Foundation

/// What the fixture Messages API answers: scripted conversations, each a sequence of assistant
/// turns, loaded from a file in `Fixtures/anthropic/`.
///
/// A request belongs to the first conversation whose `prompt_contains` text appears in its first
/// user message (or to the conversation without one). Its turn is the number of assistant
/// messages it already carries: the first request gets turn 0, the request that carries turn 0's
/// tool results gets turn 1, and so on. So the answer depends only on the request, never on
/// what the server saw before, and a retried request gets the same answer.
///
/// Only the main loop's requests (those offering the `Bash` tool) follow the script; the CLI's
/// side requests (a title, a summary) get `side_answer`.
public struct MessagesScript: Sendable {
    public struct Conversation: Sendable {
        /// Text that selects this conversation; `nil` for the default one.
        public let promptContains: String?
        public let turns: [[Block]]
    }

    /// One content block of an assistant turn.
    public enum Block: Sendable, Equatable {
        case text(String)
        /// A tool call; `inputJSON` is the tool's input as a JSON object text.
        case toolUse(name: String, inputJSON: String)
    }

    public let conversations: [Conversation]
    /// The answer to requests that do not offer the `Bash` tool.
    public let sideAnswer: String
    /// How many characters each streamed delta carries (a turn's text arrives in pieces).
    public let deltaSize: Int

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a script such as `Fixtures/anthropic/conversations.json`.
    public init(json: Data) throws(Invalid) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw Invalid(description: "the script is not a JSON object")
        }
        guard let conversations = object["conversations"] as? [[String: Any]], !conversations.isEmpty else {
            throw Invalid(description: "the script has no \"conversations\" list")
        }
        self.conversations = try conversations.map { conversation throws(Invalid) in
            guard let turns = conversation["turns"] as? [[[String: Any]]], !turns.isEmpty else {
                throw Invalid(description: "a conversation has no \"turns\" (a list of lists of blocks)")
            }
            return Conversation(
                promptContains: conversation["prompt_contains"] as? String,
                turns: try turns.map { turn throws(Invalid) in try turn.map(Self.block) }
            )
        }
        sideAnswer = object["side_answer"] as? String ?? "Fixture."
        deltaSize = max(1, object["delta_size"] as? Int ?? 24)
    }

    /// Reads `Fixtures/anthropic/NAME`.
    public static func fixture(_ name: String) throws -> MessagesScript {
        try MessagesScript(json: FixturePaths.data("anthropic/\(name)"))
    }

    private static func block(_ object: [String: Any]) throws(Invalid) -> Block {
        switch object["type"] as? String {
        case "text":
            guard let text = object["text"] as? String else { throw Invalid(description: "a text block has no \"text\"") }
            return .text(text)
        case "tool_use":
            guard let name = object["name"] as? String, let input = object["input"] as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])
            else { throw Invalid(description: "a tool_use block needs \"name\" and an \"input\" object") }
            return .toolUse(name: name, inputJSON: String(decoding: data, as: UTF8.self))
        default:
            throw Invalid(description: "a block's \"type\" must be \"text\" or \"tool_use\"")
        }
    }

    /// The blocks that answer `request`.
    public func answer(to request: MessagesRequest) -> [Block] {
        guard request.offersTool("Bash") else { return [.text(sideAnswer)] }
        let prompt = request.firstUserText
        let conversation =
            conversations.first { $0.promptContains.map(prompt.contains) ?? false }
            ?? conversations.first { $0.promptContains == nil }
        guard let conversation else {
            return [.text("The fixture script has no conversation for this prompt.")]
        }
        let turn = request.assistantTurnCount
        guard turn < conversation.turns.count else {
            return [.text("The fixture script has no turn \(turn + 1) (it has \(conversation.turns.count)).")]
        }
        return conversation.turns[turn]
    }
}

/// The parts of a `POST /v1/messages` body the fixture looks at.
public struct MessagesRequest: Sendable {
    public let model: String
    public let isStreaming: Bool
    public let toolNames: [String]
    /// The text blocks of the first user message, joined.
    public let firstUserText: String
    public let assistantTurnCount: Int
    /// Every `tool_result` block of every user message, in order.
    public let toolResults: [ToolResult]

    public struct ToolResult: Sendable {
        public let toolUseID: String
        public let text: String
        public let isError: Bool
    }

    public init?(json: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return nil }
        model = object["model"] as? String ?? "claude-fixture"
        isStreaming = object["stream"] as? Bool ?? false
        toolNames = (object["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let messages = object["messages"] as? [[String: Any]] ?? []
        assistantTurnCount = messages.filter { $0["role"] as? String == "assistant" }.count
        let users = messages.filter { $0["role"] as? String == "user" }
        firstUserText = users.first.map { Self.texts(of: $0["content"]).joined(separator: "\n") } ?? ""
        toolResults = users.flatMap { message in
            (message["content"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "tool_result" }.map { block in
                ToolResult(
                    toolUseID: block["tool_use_id"] as? String ?? "",
                    text: Self.texts(of: block["content"]).joined(separator: "\n"),
                    isError: block["is_error"] as? Bool ?? false
                )
            }
        }
    }

    public func offersTool(_ name: String) -> Bool { toolNames.contains(name) }

    /// `content` is either a string or a list of blocks; the text of the text blocks.
    private static func texts(of content: Any?) -> [String] {
        if let text = content as? String { return [text] }
        return (content as? [[String: Any]] ?? []).compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }
    }
}
