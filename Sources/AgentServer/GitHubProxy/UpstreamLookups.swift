import AgentAPIPolicy
import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOHTTP1

/// Fetches what the API policy needs to know before it decides (a default branch, a pull
/// request's branches, what a GraphQL node id names), with the agent's token.
struct UpstreamLookups: Sendable {
    let github: GitHubClient
    let base: UpstreamURL

    /// Answers every lookup into `facts`; a failure becomes the proxy's reply.
    func resolve(_ lookups: [APILookup], into facts: inout APIFacts) async throws(ProxyFailure) {
        for lookup in lookups {
            switch lookup {
            case .defaultBranch(let repository):
                let json = try await get(repository.path)
                guard let branch = json["default_branch"]?.string else { throw .lookup("\(repository) has no default branch") }
                facts.defaultBranches[repository] = branch
            case .pullRequest(let repository, let number):
                let json = try await get("\(repository.path)/pulls/\(number)")
                guard let base = json["base"]?["ref"]?.string, let head = json["head"]?["ref"]?.string else {
                    throw .lookup("pull request \(number) of \(repository) has no base or head")
                }
                facts.pullRequests[APIPullRequestKey(repository, number)] = (base, head)
                facts.reach.pullRequestHeadRepositories[APIPullRequestKey(repository, number)] = json["head"]?["repo"]?["full_name"]?.string
            case .node(let id):
                facts.nodes[id] = try await node(id, into: &facts)
            case .content(let lookup):
                facts.content.answers[lookup] = try await answer(lookup)
            case .reach(let lookup):
                try await resolve(lookup, into: &facts)
            }
        }
    }

    private func node(_ id: String, into facts: inout APIFacts) async throws(ProxyFailure) -> APIFacts.Node {
        let query = Self.nodeQuery
        let body = "{\"query\":\(JSONLine.quoted(query)),\"variables\":{\"id\":\(JSONLine.quoted(id))}}"
        let json = try await send("POST", "/graphql", body: body)
        guard let node = json["data"]?["node"], case .object = node else { throw .lookup("GitHub does not know the node '\(id)'") }
        Self.placeNode(id, node, into: &facts.reach)
        switch node["__typename"]?.string {
        case "Ref":
            guard let name = node["name"]?.string, let prefix = node["prefix"]?.string else { throw .lookup("the ref '\(id)' has no name") }
            return .reference(fullName: prefix + name)
        case "PullRequest":
            guard let number = node["number"]?.integer, let base = node["baseRefName"]?.string, let head = node["headRefName"]?.string else {
                throw .lookup("the pull request '\(id)' has no branches")
            }
            return .pullRequest(number: number, base: base, head: head)
        default:
            return .other
        }
    }

    func get(_ path: String) async throws(ProxyFailure) -> JSONValue {
        try await send("GET", path, body: nil)
    }

    func send(_ method: String, _ path: String, body: String?, limit: Int = 4 << 20) async throws(ProxyFailure) -> JSONValue {
        var request = HTTPClientRequest(url: base.description + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "User-Agent", value: "command-agent/\(AgentVersion.current)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        github.withAuthorization { request.headers.add(name: "Authorization", value: $0) }
        do {
            let response = try await github.http.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: limit)
            guard response.status == .ok, let json = JSONValue.parse(bytes.readableBytesView) else {
                throw ProxyFailure.lookup("GitHub answered \(response.status.code) to \(method) \(path.prefix(200))")
            }
            return json
        } catch let failure as ProxyFailure {
            throw failure
        } catch {
            throw .upstream(error)
        }
    }
}

/// Why a request could not be served; each becomes a GitHub-shaped reply.
enum ProxyFailure: Error {
    case lookup(String)
    case upstream(any Error)

    var reply: ProxyReply {
        switch self {
        case .lookup(let why):
            ProxyReply(status: .forbidden, message: "the agent could not check this request, so it refuses it: \(why)")
        case .upstream(let error):
            ProxyReply.upstreamFailure(error, upstream: "GitHub")
        }
    }
}
