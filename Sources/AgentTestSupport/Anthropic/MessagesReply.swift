import Foundation

/// An assistant turn written the way the Messages API writes it: as server-sent events for a
/// streaming request, or as one JSON message otherwise.
///
/// The event sequence is the API's: `message_start`, then per block `content_block_start`,
/// one or more `content_block_delta` (`text_delta` for text, `input_json_delta` for a tool's
/// input, cut into pieces) and `content_block_stop`, then `message_delta` with the stop reason
/// and `message_stop`.
public struct MessagesReply: Sendable {
    public let blocks: [MessagesScript.Block]
    public let model: String
    /// Distinguishes the ids of replies to different requests (`msg_fixture_7`, `toolu_fixture_7_1`).
    public let serial: Int
    public let deltaSize: Int

    public init(blocks: [MessagesScript.Block], model: String, serial: Int, deltaSize: Int = 24) {
        self.blocks = blocks
        self.model = model
        self.serial = serial
        self.deltaSize = max(1, deltaSize)
    }

    public var stopReason: String {
        blocks.contains { if case .toolUse = $0 { true } else { false } } ? "tool_use" : "end_turn"
    }

    /// The events, each a complete `event: …\ndata: …\n\n` record, in order.
    public func events() -> [String] {
        var events = [
            Self.event(
                "message_start",
                [
                    "type": "message_start",
                    "message": [
                        "id": "msg_fixture_\(serial)", "type": "message", "role": "assistant", "model": model, "content": [Any](),
                        "stop_reason": NSNull(), "stop_sequence": NSNull(), "usage": ["input_tokens": 10, "output_tokens": 1],
                    ] as [String: Any],
                ])
        ]
        for (index, block) in blocks.enumerated() {
            switch block {
            case .text(let text):
                events.append(
                    Self.event("content_block_start", ["type": "content_block_start", "index": index, "content_block": ["type": "text", "text": ""]]))
                for piece in Self.pieces(of: text, size: deltaSize) {
                    events.append(
                        Self.event("content_block_delta", ["type": "content_block_delta", "index": index, "delta": ["type": "text_delta", "text": piece]]))
                }
            case .toolUse(let name, let inputJSON):
                let start: [String: Any] = ["type": "tool_use", "id": toolUseID(index), "name": name, "input": [String: Any]()]
                events.append(Self.event("content_block_start", ["type": "content_block_start", "index": index, "content_block": start]))
                for piece in Self.pieces(of: inputJSON, size: deltaSize) {
                    events.append(
                        Self.event(
                            "content_block_delta",
                            ["type": "content_block_delta", "index": index, "delta": ["type": "input_json_delta", "partial_json": piece]]))
                }
            }
            events.append(Self.event("content_block_stop", ["type": "content_block_stop", "index": index]))
        }
        events.append(
            Self.event(
                "message_delta",
                ["type": "message_delta", "delta": ["stop_reason": stopReason, "stop_sequence": NSNull()] as [String: Any], "usage": ["output_tokens": 12]]))
        events.append(Self.event("message_stop", ["type": "message_stop"]))
        return events
    }

    /// The whole message as one JSON object (for a request without `"stream": true`).
    public func message() -> Data {
        let content: [[String: Any]] = blocks.enumerated().map { index, block in
            switch block {
            case .text(let text): return ["type": "text", "text": text]
            case .toolUse(let name, let inputJSON):
                let input = (try? JSONSerialization.jsonObject(with: Data(inputJSON.utf8))) ?? [String: Any]()
                return ["type": "tool_use", "id": toolUseID(index), "name": name, "input": input]
            }
        }
        let message: [String: Any] = [
            "id": "msg_fixture_\(serial)", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stopReason, "stop_sequence": NSNull(), "usage": ["input_tokens": 10, "output_tokens": 12],
        ]
        return (try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    private func toolUseID(_ index: Int) -> String { "toolu_fixture_\(serial)_\(index)" }

    private static func event(_ name: String, _ data: [String: Any]) -> String {
        let json = (try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys])) ?? Data("{}".utf8)
        return "event: \(name)\ndata: \(String(decoding: json, as: UTF8.self))\n\n"
    }

    /// `text` cut into pieces of at most `size` characters (at least one piece, maybe empty).
    static func pieces(of text: String, size: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return pieces.isEmpty ? [""] : pieces
    }
}
