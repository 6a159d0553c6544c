import AgentAPIPolicy
import AgentPolicy
import Foundation
import GraphQL

/// Figure 4: time to classify a 20 KB GraphQL document.
enum GraphQLBenchmark {
    static func run() -> ReportLine {
        // A mutation of many harmless fields, spread through fragments, with variables: ~20 KB.
        var fields = ""
        var index = 0
        while fields.utf8.count < 19_000 {
            fields +=
                "c\(index): addComment(input: {subjectId: $subject, body: \"comment number \(index) with some text\"}) { commentEdge { node { id body author { login } } } }\n"
            index += 1
        }
        let document =
            "mutation Many($subject: ID!) { ...More \(fields) } fragment More on Mutation { createIssue(input: {repositoryId: \"R\", title: \"t\"}) { issue { id } } }"
        let body = "{\"query\":\(jsonString(document)),\"variables\":{\"subject\":\"I_1\"},\"operationName\":\"Many\"}"
        // The proxy holds the body as bytes (a ByteBuffer) and builds the request the same way.
        let bodyBytes = Array(body.utf8)
        let request = APIRequest(method: "POST", path: "/graphql", bodyBytes: bodyBytes)
        let policy = APIPolicy(refs: RefPolicy(settings: .defaults), settings: APISettings())
        precondition(policy.decide(request) == .allow, "the benchmark document must be allowed")
        // The proxy also parses the JSON body; time both, as the request pays both.
        // Warm-up first (allocator arenas, caches), then the measured runs.
        for _ in 0..<200 { _ = policy.decide(APIRequest(method: "POST", path: "/graphql", bodyBytes: bodyBytes)) }
        var samples: [Double] = []
        for _ in 0..<500 {
            let start = ContinuousClock.now
            let parsed = APIRequest(method: "POST", path: "/graphql", bodyBytes: bodyBytes)
            _ = policy.decide(parsed)
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        // Where the time goes: the JSON body, the GraphQL parser, and the rest (classification).
        func timed(_ body: () -> Void) -> Double {
            var values: [Double] = []
            for _ in 0..<200 {
                let start = ContinuousClock.now
                body()
                let elapsed = ContinuousClock.now - start
                values.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            return Measure.median(values)
        }
        let jsonOnly = timed { _ = JSONValue.parse(bodyBytes) }
        let parseOnly = timed { _ = try? GraphQLParser.parse(document) }
        // Before and after: GraphQLSwift's general parser, which the policy used first.
        let referenceParse = timed { _ = try? GraphQL.parse(source: document, noLocation: true) }
        print(
            "graphql split: JSON body \(Measure.format(jsonOnly)) ms, GraphQL parse \(Measure.format(parseOnly)) ms (GraphQLSwift's parser on the same document: \(Measure.format(referenceParse)) ms)"
        )
        let median = Measure.median(samples)
        print(
            "graphql: \(body.utf8.count) bytes, \(index + 1) fields: median \(Measure.format(median, 3)) ms, p99 \(Measure.format(Measure.percentile(samples, 0.99), 3)) ms"
        )
        return ReportLine(
            name: "GraphQL policy, 20 KB document (median)", value: "\(Measure.format(median)) ms", baseline: "–", ratio: "–",
            goal: "≤ 0.2 ms", met: median <= 0.2
        )
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
