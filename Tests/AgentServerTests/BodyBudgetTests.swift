import NIOCore
import NIOEmbedded
import Testing

@testable import AgentServer

/// The body budget: within it everyone is served; past it the largest holder gives way to a
/// smaller request, never the other way round.
struct BodyBudgetTests {
    func connected() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/x")).wait()
        return channel
    }

    @Test func theLargestHolderGivesWayToASmallerRequest() throws {
        let budget = BodyBudget(total: 100)
        let greedyA = try connected()
        let greedyB = try connected()
        let honest = try connected()
        #expect(budget.reserve(50, for: greedyA))
        #expect(budget.reserve(48, for: greedyB))
        #expect(budget.reserve(10, for: honest), "the largest holder (50) gives way")
        #expect(!greedyA.isActive, "closed")
        #expect(greedyB.isActive)
        #expect(budget.inUse == 58)
        budget.release(greedyA)  // its later release changes nothing
        #expect(budget.inUse == 58)
        budget.release(honest)
        #expect(budget.inUse == 48)
    }

    @Test func aLargerRequestDoesNotEvictSmallerHolders() throws {
        let budget = BodyBudget(total: 100)
        let small = try connected()
        let big = try connected()
        #expect(budget.reserve(60, for: small))
        #expect(!budget.reserve(70, for: big), "refused: nobody holds more than it would")
        #expect(small.isActive)
        #expect(budget.inUse == 60)
    }
}
