import NIOCore
import Testing

@testable import AgentServer

/// Every transition of the exchange state machine, without a channel: one request per exchange,
/// nothing upstream after the request's end, reuse only after a clean exchange.
struct ExchangeStateMachineTests {
    typealias Machine = ExchangeStateMachine
    static let limit = 64

    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func machine() -> Machine { Machine(maximumInspectedBody: Self.limit) }

    /// A machine that allowed a request with `framing` and has an upstream connection.
    func forwarding(_ framing: Machine.Framing, inspect: Bool = false) -> Machine {
        var machine = machine()
        _ = machine.head(framing: framing, inspectBody: inspect, expectsContinue: false, refusal: nil)
        _ = machine.allowed(expectsContinue: false)
        _ = machine.upstreamConnected()
        return machine
    }

    @Test func aRequestWithoutBodyIsDecidedOnItsHeadThenForwardedWhole() {
        var machine = machine()
        #expect(machine.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: nil) == .decide(body: nil))
        #expect(machine.end() == .none)
        #expect(machine.allowed(expectsContinue: false) == .connect(sendContinue: false))
        #expect(machine.upstreamConnected() == .forwardHead(Machine.Held(body: nil, requestEnded: true)))
        #expect(machine.responseHead(status: 200, keepAlive: true) == .relayResponseHead)
        #expect(machine.responseBody() == .relayResponseBody)
        #expect(machine.responseEnd() == .finishResponse(reuseUpstream: true))
        #expect(machine.state == .finished)
    }

    @Test func anInspectedBodyIsReadBeforeDeciding() {
        var machine = machine()
        #expect(machine.head(framing: .length(4), inspectBody: true, expectsContinue: true, refusal: nil) == .collectBody(sendContinue: true))
        #expect(machine.body(bytes("ab")) == .none)
        #expect(machine.body(bytes("cd")) == .none)
        #expect(machine.end() == .decide(body: bytes("abcd")))
        #expect(machine.allowed(expectsContinue: true) == .connect(sendContinue: false), "the body is read: no second 100")
        #expect(machine.upstreamConnected() == .forwardHead(Machine.Held(body: bytes("abcd"), requestEnded: true)))
        #expect(machine.responseHead(status: 201, keepAlive: true) == .relayResponseHead)
        #expect(machine.responseEnd() == .finishResponse(reuseUpstream: true))
    }

    @Test func aStreamedBodyIsHeldWhileDecidingThenCounted() {
        var machine = machine()
        #expect(machine.head(framing: .length(6), inspectBody: false, expectsContinue: true, refusal: nil) == .decide(body: nil))
        #expect(machine.body(bytes("ab")) == .none, "held while deciding")
        #expect(machine.allowed(expectsContinue: true) == .connect(sendContinue: true))
        #expect(machine.body(bytes("cd")) == .none, "held while connecting")
        #expect(machine.upstreamConnected() == .forwardHead(Machine.Held(body: nil, chunks: [bytes("ab"), bytes("cd")], requestEnded: false)))
        #expect(machine.body(bytes("ef")) == .forwardBody(bytes("ef")))
        #expect(machine.end() == .forwardEnd)
        #expect(machine.responseHead(status: 200, keepAlive: true) == .relayResponseHead)
        #expect(machine.responseEnd() == .finishResponse(reuseUpstream: true))
    }

    @Test(arguments: [Machine.Framing.none, .length(3), .chunked])
    func nothingAfterTheRequestsEndGoesUpstream(_ framing: Machine.Framing) {
        var machine = forwarding(framing)
        if framing != .none { #expect(machine.body(bytes("abc")) == .forwardBody(bytes("abc"))) }
        #expect(machine.end() == .forwardEnd)
        // A pipelined second request: its head, body and end are all dropped.
        #expect(machine.head(framing: .length(5), inspectBody: false, expectsContinue: false, refusal: nil) == .none)
        #expect(machine.body(bytes("DELETE /x HTTP/1.1\r\n")) == .none)
        #expect(machine.end() == .none)
        #expect(machine.responseHead(status: 200, keepAlive: true) == .relayResponseHead)
        #expect(machine.body(bytes("more")) == .none)
        #expect(machine.responseEnd() == .finishResponse(reuseUpstream: true))
        #expect(machine.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: nil) == .none)
    }

    @Test func pipelinedBytesWhileDecidingAreDroppedOnceTheRequestEnded() {
        var machine = machine()
        _ = machine.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: nil)
        _ = machine.end()
        #expect(machine.head(framing: .length(3), inspectBody: false, expectsContinue: false, refusal: nil) == .none)
        #expect(machine.body(bytes("abc")) == .none)
        _ = machine.allowed(expectsContinue: false)
        #expect(machine.body(bytes("abc")) == .none)
        #expect(machine.upstreamConnected() == .forwardHead(Machine.Held(body: nil, requestEnded: true)))
    }

    @Test func moreThanTheDeclaredLengthAborts() {
        var machine = forwarding(.length(2))
        #expect(machine.body(bytes("abc")) == .abort(releaseUpstream: true))
        #expect(machine.state == .finished)
    }

    @Test(arguments: [
        (Machine.Framing.length(3), 2, false), (.length(3), 3, true), (.none, 0, true), (.chunked, 5, true),
    ])
    func reuseNeedsTheWholeDeclaredBody(_ framing: Machine.Framing, _ sent: Int, _ reusable: Bool) {
        var machine = forwarding(framing)
        if sent > 0 { _ = machine.body(ByteBuffer(repeating: 0x61, count: sent)) }
        _ = machine.end()
        _ = machine.responseHead(status: 200, keepAlive: true)
        #expect(machine.responseEnd() == .finishResponse(reuseUpstream: reusable))
    }

    @Test func noReuseWhenTheResponseCameBeforeTheRequestEndedOrSaidClose() {
        var early = forwarding(.length(10))
        _ = early.body(bytes("abc"))
        _ = early.responseHead(status: 413, keepAlive: true)
        #expect(early.responseEnd() == .finishResponse(reuseUpstream: false))

        var closing = forwarding(.none)
        _ = closing.end()
        _ = closing.responseHead(status: 200, keepAlive: false)
        #expect(closing.responseEnd() == .finishResponse(reuseUpstream: false))
    }

    @Test func informationalAndSwitchingResponses() {
        var machine = forwarding(.none)
        _ = machine.end()
        #expect(machine.responseHead(status: 100, keepAlive: true) == .none)
        #expect(machine.responseHead(status: 103, keepAlive: true) == .none)
        #expect(machine.responseHead(status: 101, keepAlive: true) == .abort(releaseUpstream: true))
        #expect(machine.state == .finished)
    }

    @Test func aRefusedHeadIsAnsweredAndTheBodyDrained() {
        let refusal = ProxyReply(status: .forbidden, message: "no")
        var machine = machine()
        #expect(
            machine.head(framing: .length(3), inspectBody: false, expectsContinue: false, refusal: (refusal, "x"))
                == .reply(refusal, code: "x", releaseUpstream: false))
        #expect(machine.body(bytes("abc")) == .none)
        #expect(machine.replyWritten() == .drain)
        #expect(machine.end() == .close)

        var ended = self.machine()
        _ = ended.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: (refusal, "x"))
        #expect(ended.replyWritten() == .close)
    }

    @Test func aDenialAfterDecidingIsAnswered() {
        let denial = ProxyReply(status: .forbidden, message: "protected")
        var machine = machine()
        _ = machine.head(framing: .length(2), inspectBody: true, expectsContinue: false, refusal: nil)
        _ = machine.body(bytes("{}"))
        _ = machine.end()
        #expect(machine.answer(denial, code: "ref-protected") == .reply(denial, code: "ref-protected", releaseUpstream: false))
        #expect(machine.allowed(expectsContinue: false) == .none, "a late allow changes nothing")
        #expect(machine.replyWritten() == .close)
    }

    @Test func tooLargeBodiesAreRefusedByDeclarationOrByCount() {
        var declared = machine()
        guard
            case .reply(let reply, "body-too-large", false) = declared.head(
                framing: .length(Self.limit + 1), inspectBody: true, expectsContinue: false, refusal: nil)
        else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reply.status == .payloadTooLarge)

        var counted = machine()
        _ = counted.head(framing: .chunked, inspectBody: true, expectsContinue: false, refusal: nil)
        _ = counted.body(ByteBuffer(repeating: 0x61, count: Self.limit))
        guard case .reply(_, "body-too-large", false) = counted.body(bytes("a")) else {
            Issue.record("expected a refusal")
            return
        }
    }

    @Test func deadlines() {
        var silent = machine()
        #expect(silent.deadlinePassed() == .abort(releaseUpstream: false))

        var slowBody = machine()
        _ = slowBody.head(framing: .length(10), inspectBody: true, expectsContinue: false, refusal: nil)
        guard case .reply(let reply, "body-timeout", false) = slowBody.deadlinePassed() else {
            Issue.record("expected a 408")
            return
        }
        #expect(reply.status == .requestTimeout)
        #expect(slowBody.replyWritten() == .drain)
        #expect(slowBody.deadlinePassed() == .close)

        var stalledStream = forwarding(.length(10))
        guard case .reply(_, "body-timeout", true) = stalledStream.deadlinePassed() else {
            Issue.record("expected a 408 and the upstream closed")
            return
        }
    }

    @Test func clientLeavingOrUpstreamFailing() {
        var leaving = forwarding(.none)
        #expect(leaving.clientClosed() == .abort(releaseUpstream: true))
        #expect(leaving.upstreamConnected() == .releaseUnusedUpstream)

        var connecting = machine()
        _ = connecting.head(framing: .none, inspectBody: false, expectsContinue: false, refusal: nil)
        _ = connecting.allowed(expectsContinue: false)
        #expect(connecting.clientClosed() == .none)
        #expect(connecting.upstreamConnected() == .releaseUnusedUpstream, "a connection nobody used goes back")

        let failure = ProxyReply(status: .badGateway, message: "down")
        var beforeResponse = forwarding(.none)
        #expect(beforeResponse.upstreamFailed(failure, code: "upstream-failed") == .reply(failure, code: "upstream-failed", releaseUpstream: true))

        var midResponse = forwarding(.none)
        _ = midResponse.end()
        _ = midResponse.responseHead(status: 200, keepAlive: true)
        #expect(midResponse.upstreamFailed(failure, code: "upstream-failed") == .abort(releaseUpstream: true))
    }
}
