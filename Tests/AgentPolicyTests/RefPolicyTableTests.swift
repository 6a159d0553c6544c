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
            var allowForcePush: Bool?
            var allowBranchDelete: Bool?
            var allowTagUpdates: Bool?
        }

        struct Case: Decodable, CustomTestStringConvertible, Sendable {
            var settings: String
            var ref: String
            var change: String
            var force: Bool
            var expect: String
            var code: String?
            var message: String?
            var note: String?

            var testDescription: String { "\(settings): \(change)\(force ? " (forced)" : "") \(ref.debugDescription)" }
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
                allowForcePush: given.allowForcePush ?? defaults.allowForcePush,
                allowBranchDelete: given.allowBranchDelete ?? defaults.allowBranchDelete,
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
        let decision = policy.decide(RefUpdate(ref: testCase.ref, change: change, isForced: testCase.force))
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
