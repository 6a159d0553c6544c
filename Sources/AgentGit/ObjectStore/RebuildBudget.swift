/// The bytes one operation may rebuild from deltas: a fixed allowance plus a multiple of the
/// bytes of objects it has read so far. Rebuilding is work the reader asked for only in
/// proportion to what it reads; a long chain of large deltas turns a few bytes read into
/// gigabytes rebuilt (an amplification no honest repository needs), and this ends it.
///
/// Pure: the store counts, this decides.
struct RebuildBudget: Hashable, Sendable {
    /// Allowed whatever has been read (one object at the end of a long chain of large ones).
    let allowance: Int
    /// Allowed in addition, per byte of objects read.
    let perByteRead: Int
    private(set) var rebuilt = 0
    private(set) var read = 0

    init(allowance: Int, perByteRead: Int) {
        self.allowance = allowance
        self.perByteRead = perByteRead
    }

    /// What may be rebuilt in all, given what has been read.
    var allowed: Int {
        let (proportional, overflow) = read.multipliedReportingOverflow(by: perByteRead)
        let (sum, overflowAgain) = allowance.addingReportingOverflow(proportional)
        return overflow || overflowAgain ? Int.max : sum
    }

    /// Counts `size` bytes about to be rebuilt from one delta.
    /// - Throws: `.tooMuchRebuilding` when they go beyond what is allowed.
    mutating func rebuilding(_ size: Int) throws(ObjectStoreError) {
        rebuilt += size
        guard rebuilt <= allowed else { throw .tooMuchRebuilding(limit: allowed, read: read) }
    }

    /// Counts an object of `size` bytes handed to the reader.
    mutating func delivered(_ size: Int) {
        read += size
    }
}
