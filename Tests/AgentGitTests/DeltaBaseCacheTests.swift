import Foundation
import Testing

@testable import AgentGit

/// Rebuilt delta bases are kept whatever their size within the budget (as git keeps them), and
/// the bytes one operation rebuilds from deltas are bounded.
struct DeltaBaseCacheTests {
    func key(_ offset: Int64) -> DeltaBaseCache.Key { .init(pack: 0, offset: offset) }

    @Test func largeBasesAreKeptWithinTheBudgetOldestDroppedFirst() {
        var cache = DeltaBaseCache(budget: 100)
        cache.put(key(1), kind: .blob, bytes: [UInt8](repeating: 1, count: 45))
        cache.put(key(2), kind: .blob, bytes: [UInt8](repeating: 2, count: 45))
        #expect(cache.get(key(1))?.bytes.count == 45, "a base larger than a quarter of the budget was dropped")
        cache.put(key(3), kind: .blob, bytes: [UInt8](repeating: 3, count: 45))
        #expect(cache.get(key(1)) == nil, "the oldest base makes room")
        #expect(cache.get(key(2)) != nil && cache.get(key(3)) != nil)
        cache.put(key(4), kind: .blob, bytes: [UInt8](repeating: 4, count: 101))
        #expect(cache.get(key(4)) == nil, "a base larger than the whole budget is not kept")
        #expect(cache.get(key(3)) != nil, "and evicts nothing")
    }

    @Test func theBytesRebuiltFromDeltasAreBoundedPerOperation() async throws {
        let fixture = try await RepositoryFixture()
        try await fixture.makeHistory(commits: 12)
        try await fixture.git(["repack", "-q", "-a", "-d", "-f", "--depth=50"])
        let objects = try await fixture.allObjects()
        let store = try fixture.open().makeObjectStore(limits: ObjectLimits(maximumRebuiltBytes: 20_000, rebuiltBytesPerByteRead: 0), control: nil)
        var refused = 0
        for hex in objects.keys.sorted() {
            let id = try #require(ObjectID(hex: hex).flatMap(RawObjectID.init))
            var buffer: UnsafeMutableRawBufferPointer?
            defer { buffer?.deallocate() }
            do {
                _ = try store.read(id) { count in
                    buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
                    return buffer.map { UnsafeMutableRawBufferPointer(rebasing: $0[0..<count]) }
                }
            } catch {
                // (A `catch .tooMuchRebuilding(let limit)` pattern crashes Swift 6.3.1's SILGen here.)
                guard case .tooMuchRebuilding(let limit, _) = error else { throw error }
                #expect(limit == 20_000, "\(error)")
                refused += 1
            }
        }
        #expect(refused > 0, "no read was refused once 20,000 bytes had been rebuilt")
    }

    /// What may be rebuilt grows with what is read: an honest reader that rebuilds a few links per
    /// object never meets the bound, a few bytes read cannot buy gigabytes of rebuilding.
    @Test func theRebuildBudgetGrowsWithWhatIsRead() throws {
        var budget = RebuildBudget(allowance: 1_000, perByteRead: 4)
        try budget.rebuilding(1_000)
        #expect(throws: ObjectStoreError.tooMuchRebuilding(limit: 1_000, read: 0)) { try budget.rebuilding(1) }
        budget.delivered(100)
        #expect(budget.allowed == 1_400)
        try budget.rebuilding(399)
        #expect(throws: ObjectStoreError.tooMuchRebuilding(limit: 1_400, read: 100)) { try budget.rebuilding(1) }
        var huge = RebuildBudget(allowance: .max - 1, perByteRead: 16)
        huge.delivered(.max / 8)
        #expect(huge.allowed == .max, "an overflow saturates")
    }
}
