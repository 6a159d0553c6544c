import AgentSystem
import Foundation
import Testing

struct SocketTests {
    @Test func peerCredentialsOfASocketPairAreOurOwn() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
        defer { close(descriptors[0]); close(descriptors[1]) }
        let peer = try PeerCredentials.load(fileDescriptor: descriptors[0])
        #expect(peer.uid == getuid())
        #expect(peer.gid == getgid())
        #expect(peer.pid == getpid())
    }

    @Test func peerCredentialsOfANonSocketNameTheCall() {
        do {
            _ = try PeerCredentials.load(fileDescriptor: -1)
            Issue.record("expected an error")
        } catch {
            #expect(error.errno == EBADF)
            #expect(error.description.hasPrefix("getsockopt(SO_PEERCRED): Bad file descriptor"))
        }
    }

    @Test func connectingToNothingSaysSoClearly() {
        do {
            _ = try UnixSocketConnection(path: "/tmp/no-such-agent-\(UUID().uuidString).sock", timeout: .seconds(1))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "the socket does not exist (is the agent running?)")
        }
    }

    @Test func overlongSocketPathIsRefused() {
        let path = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: SocketError.pathTooLong(path: path, limit: 107)) {
            try UnixSocketConnection(path: path, timeout: .seconds(1))
        }
    }
}
