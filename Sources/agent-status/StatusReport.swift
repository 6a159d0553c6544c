import AgentClient
import AgentProtocol
import FoundationEssentials

/// The agent's `status` reply, for people and for machines.
struct StatusReport {
    let reply: Frame
    let socketPath: String

    var health: AgentHealth { AgentHealth(statusReply: reply) }

    func text() -> String {
        func list(_ key: String, empty: String) -> String {
            let values = reply.values(for: key)
            return values.isEmpty ? empty : values.joined(separator: ", ")
        }
        func allowed(_ key: String) -> String {
            switch reply[key] {
            case "true": "allowed"
            case "own": "only on the agent's own branches"
            default: "denied"
            }
        }
        let seconds = Int(reply["uptime_seconds"] ?? "") ?? 0
        let uptime = seconds >= 3600 ? "\(seconds / 3600)h \(seconds % 3600 / 60)m" : seconds >= 60 ? "\(seconds / 60)m \(seconds % 60)s" : "\(seconds)s"
        let token: String
        switch reply["token"] {
        case "held": token = reply["token_locked"] == "true" ? "held (locked in memory)" : "held (NOT locked in memory: it may reach swap)"
        default: token = "missing"
        }
        let anthropic =
            switch reply["anthropic_credential"] {
            case "api-key": "API key held, for \(reply["anthropic_api_url"] ?? "?") through anthropic.sock"
            case "oauth-token": "OAuth token held, for \(reply["anthropic_api_url"] ?? "?") through anthropic.sock"
            default: "none (Claude Code logs in itself)"
            }
        let login =
            reply["token_kind"] == "github-app"
            ? app() : reply["login"].map { "GitHub login \($0)" } ?? "GitHub login unknown (\(reply["login_error"] ?? "no answer"))"
        return """
            command agent \(reply["version"] ?? "?") at \(socketPath): \(health.reason.map { "NOT healthy: \($0)" } ?? "healthy")
              up \(uptime), libgit2 \(reply["libgit2"] ?? "?")
              token: \(token); \(login)
              GitHub: \(reply["github_url"] ?? "?") (API \(reply["github_api_url"] ?? "?"))
              Anthropic credential: \(anthropic)
              workspace: \(reply["workspace"] ?? "?")
              blocked branches: \(list("policy.blocked_branches", empty: "none"))
              allowed branch patterns: \(list("policy.allowed_branch_patterns", empty: "any branch not blocked"))
              force-push: \(allowed("policy.allow_force_push")); branch deletion: \(allowed("policy.allow_branch_delete")); moving or deleting tags: \(allowed("policy.allow_tag_updates"))
              merging pull requests: \(allowed("policy.allow_pr_merge")); extra API writes: \(list("policy.allowed_api_writes", empty: "none"))
              protected paths: \(list("policy.protected_paths", empty: "none"))
              secret scan: \(reply["policy.secret_scan"] ?? "?")\(reply.values(for: "policy.secret_scan_allow").isEmpty ? "" : " (not for \(list("policy.secret_scan_allow", empty: "")))")
            \(reach())
            """
    }

    func json() -> String {
        var object: [String: JSONValue] = ["healthy": .bool(health.isHealthy), "socket": .string(socketPath)]
        if let reason = health.reason { object["unhealthy_reason"] = .string(reason) }
        for field in reply.fields where field.key != Wire.Key.status {
            let key = String(field.key.map { $0 == "." ? "_" : $0 })
            if key.hasPrefix("policy_blocked") || key.hasPrefix("policy_allowed_branch") || key == "policy_allowed_api_writes"
                || key == "policy_protected_paths" || key == "policy_secret_scan_allow" || Self.reachLists.contains(key)
            {
                if case .list(let existing) = object[key] { object[key] = .list(existing + [field.value]) } else { object[key] = .list([field.value]) }
            } else {
                object[key] = .string(field.value)
            }
        }
        object["policy_blocked_branches"] = object["policy_blocked_branches"] ?? .list([])
        object["policy_allowed_branch_patterns"] = object["policy_allowed_branch_patterns"] ?? .list([])
        object["policy_protected_paths"] = object["policy_protected_paths"] ?? .list([])
        for key in Self.reachLists { object[key] = object[key] ?? .list([]) }
        return JSONValue.object(object).encoded()
    }

    static func fail(_ message: String, json: Bool) {
        if json {
            print(JSONValue.object(["healthy": .bool(false), "error": .string(message)]).encoded())
        } else {
            StandardError.write("agent-status: \(message)\n")
        }
    }
}

/// Just enough JSON for the report, with stable key order.
enum JSONValue: Encodable {
    case string(String)
    case bool(Bool)
    case list([String])
    case object([String: JSONValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
