import NIOCore

/// Limits every exchange on a forwarding socket keeps.
struct ExchangeLimits: Sendable {
    /// The request head must arrive this soon after connecting.
    var headTimeout: TimeAmount = .seconds(10)
    /// A body the rules read must arrive this soon after its head (at most 32 MiB over a local
    /// socket: a fraction of a second for any real client).
    var inspectedBodyTimeout: TimeAmount = .seconds(15)
    /// A streamed body may pause this long (the client is also paused while GitHub is slow to
    /// take it).
    var streamPauseTimeout: TimeAmount = .seconds(60)
    /// After a refusal, what the client still sends is read (and dropped) this long at most.
    var drainTimeout: TimeAmount = .seconds(5)
    /// Bodies the rules read are held in memory up to this size.
    var maximumInspectedBody = 32 << 20
}

extension Channel {
    /// Starts or stops reading (`autoRead`), on the channel's own event loop.
    func setAutoRead(_ reading: Bool) {
        try? syncOptions?.setOption(.autoRead, value: reading)
    }
}
