import Foundation
import Synchronization

/// One request as a fixture server received it: head and whole body. It can be written to and
/// read from a JSON-lines file, so that a test in another process (the container end-to-end
/// test) can ask what the fixture saw.
public struct RecordedHTTPRequest: Sendable {
    public let method: String
    public let uri: String
    public let headers: [(String, String)]
    public let body: Data

    public init(method: String, uri: String, headers: [(String, String)], body: Data) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The URI without its query.
    public var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }

    /// Every value of header `name` (case-insensitive).
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    /// The body read as a Messages API request, when it is one.
    public var messagesRequest: MessagesRequest? {
        method == "POST" && path == "/v1/messages" ? MessagesRequest(json: body) : nil
    }

    /// The request as one JSON line (no trailing newline).
    public func jsonLine() -> String {
        let object: [String: Any] = [
            "method": method, "uri": uri, "headers": headers.map { [$0.0, $0.1] },
            "body": String(decoding: body, as: UTF8.self),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a file of `jsonLine()`s; lines that are not such a record are skipped.
    public static func read(fromFile path: String) throws -> [RecordedHTTPRequest] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let method = object["method"] as? String, let uri = object["uri"] as? String
            else { return nil }
            let headers = (object["headers"] as? [[String]] ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            return RecordedHTTPRequest(method: method, uri: uri, headers: headers, body: Data((object["body"] as? String ?? "").utf8))
        }
    }
}

/// The requests a fixture server received, in memory and (optionally) appended to a file.
final class RequestRecorder: Sendable {
    let requests = Mutex<[RecordedHTTPRequest]>([])
    private let file: FileHandle?

    init(file path: String?) throws {
        if let path {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            file = handle
        } else {
            file = nil
        }
    }

    /// Records `request` and returns its serial number (1 for the first).
    func record(_ request: RecordedHTTPRequest) -> Int {
        requests.withLock { requests in
            requests.append(request)
            file?.write(Data((request.jsonLine() + "\n").utf8))
            return requests.count
        }
    }
}
