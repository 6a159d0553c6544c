import NIOCore

/// The status and the start of one response's body, handed to the rules' observer when the
/// response has ended completely (never for one cut short).
struct ResponseObservation {
    /// Enough for any answer that creates a branch; more of a body is not kept.
    static let maximumBody = 256 << 10

    let observe: @Sendable (Int, [UInt8]) -> Void
    var status = 0
    private var body: [UInt8] = []

    init(observe: @escaping @Sendable (Int, [UInt8]) -> Void) {
        self.observe = observe
    }

    mutating func append(_ chunk: ByteBuffer) {
        let room = Self.maximumBody - body.count
        if room > 0 { body += chunk.readableBytesView.prefix(room) }
    }

    func finish() {
        observe(status, body)
    }
}
