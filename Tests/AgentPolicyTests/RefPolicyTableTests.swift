import AgentPolicy
import AgentTestSupport
import Foundation
import Testing

/// Runs every case of `Fixtures/policy/ref-updates.json` through `RefPolicy`.
struct RefPolicyTableTests {
    struct Table: Decodable {
        struct Settings: Decodable {
            var blocked: [String]?
            var allowed: [String]?
            var allowForcePush: Rewrite?
            var allowBranchDelete: Rewrite?
            var allowTagUpdates: Bool?
        }

        /// `true`, `false` or `"own"`.
        struct Rewrite: Decodable {
            let value: BranchRewrite

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let flag = try? container.decode(Bool.self) {
                    value = flag ? .always : .never
                } else {
                    let text = try container.decode(String.self)
                    guard let parsed = BranchRewrite(setting: text) else {
                        throw DecodingError.dataCorruptedError(in: container, debugDescription: "not true, false or own")
                    }
                    value = parsed
                }
            }
        }

        struct Case: Decodable, CustomTestStringConvertible, Sendable {
            var settings: String
            var ref: String
            var change: String
            var force: Bool
            var own: Bool?
            var expect: String
            var code: String?
            var message: String?
            var note: String?

            var testDescription: String { "\(settings): \(change)\(force ? " (forced)" : "")\(own == true ? " (own)" : "") \(ref.debugDescription)" }
        }

        var settings: [String: Settings]
        var cases: [Case]
    }

    static let table: Table = {
        do {
            return try JSONDecoder().decode(Table.self, from: FixturePaths.data("policy/ref-updates.json"))
        } catch {
            fatalError("Fixtures/policy/ref-updates.json cannot be read: \(error)")
        }
    }()

    static func policy(named name: String) throws -> RefPolicy {
        let given = try #require(table.settings[name], "no settings named \(name)")
        let defaults = PolicySettings.defaults
        return RefPolicy(
            settings: PolicySettings(
                blockedBranches: try given.blocked.map { try $0.map { try BranchPattern($0) } } ?? defaults.blockedBranches,
                allowedBranchPatterns: try (given.allowed ?? []).map { try BranchPattern($0) },
                allowForcePush: given.allowForcePush?.value ?? defaults.allowForcePush,
                allowBranchDelete: given.allowBranchDelete?.value ?? defaults.allowBranchDelete,
                allowTagUpdates: given.allowTagUpdates ?? defaults.allowTagUpdates
            ))
    }

    @Test func tableHasTheRequiredCases() {
        #expect(Self.table.cases.count >= 40)
        let refs = Set(Self.table.cases.map(\.ref))
        for required in [
            "main", "refs/heads/main", "heads/main", "refs/heads/Main", "refs/heads//main", "refs/heads/main.lock",
            "refs/heads/feature/../main", "HEAD", "refs/remotes/origin/x", "refs/notes/x", "refs/pull/1/head",
        ] {
            #expect(refs.contains(required), "the table must cover \(required)")
        }
    }

    @Test(arguments: table.cases)
    func decides(_ testCase: Table.Case) throws {
        let policy = try Self.policy(named: testCase.settings)
        let change = try #require(RefUpdate.Change(rawValue: testCase.change))
        let decision = policy.decide(RefUpdate(ref: testCase.ref, change: change, isForced: testCase.force, isOwnBranch: testCase.own ?? false))
        switch testCase.expect {
        case "allow":
            #expect(decision == .allow, "\(testCase.note ?? "") got \(decision)")
        case "deny":
            let denial = try #require(decision.denial, "expected a denial: \(testCase.note ?? "")")
            #expect(denial.code.rawValue == testCase.code)
            #expect(denial.message == testCase.message)
        default:
            Issue.record("unknown expectation \(testCase.expect)")
        }
    }
}
