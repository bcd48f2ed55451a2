import Foundation
import Testing
import ZeroMQ

// Message contents across implementations: multipart messages with empty and binary frames
// (0x00, 0xff, invalid UTF-8) and 8 MiB messages, both ways, against pyzmq and zmqpeer.c.

@Suite("Interop: binary multipart and 8 MiB messages against pyzmq and C")
struct InteropMessageTests {
    /// Empty frames first, last and between; 0x00 and 0xff alone; invalid UTF-8 (a lone
    /// continuation byte, a truncated sequence, an overlong encoding); every byte value.
    static let binaryFrames: [[UInt8]] = [
        [], [0x00], [0xff], [0x80], [0xc3, 0x28], [0xc0, 0xaf], [], [0xff, 0xfe, 0x00, 0x00, 0xff], Array(0...255), [],
    ]

    static let largeSize = 8 << 20

    @Test("Multipart with empty and binary frames: our dealer through a peer's echoing router, and a peer's dealer through ours",
          arguments: InteropPeer.testable)
    func binaryMultipart(_ peer: InteropPeer) throws {
        let frames = Self.binaryFrames
        let context = try Context()
        let router = try peer.start(["router", "bind", "tcp://127.0.0.1:*", "echo", "1"])
        let dealer = try interopSocket(SocketType.Dealer.self, context: context)
        try dealer.setOption(.routingID, Array("swift".utf8))
        try dealer.connect(to: router.boundEndpoint())
        try dealer.send(multipart: frames)
        let echoed = try dealer.receiveMultipart()
        #expect(echoed == frames)
        #expect(router.expectSuccessLines() == [peerLine([Array("swift".utf8)] + frames)])

        let ours = try interopSocket(SocketType.Router.self, context: context)
        let endpoint = try ours.bind(to: "tcp://127.0.0.1:*").endpoint
        let theirs = try peer.start([
            "--routing-id", "ff00", "dealer", "connect", endpoint, "send", peerMessage(frames), "recv", "1",
        ])
        let received = try #require(try ours.receiveMultipart())
        #expect(received == [[0xff, 0x00]] + frames)
        try ours.send(multipart: received)
        #expect(theirs.expectSuccessLines() == [peerLine(frames)])
    }

    @Test("8 MiB messages arrive intact both ways: our pusher to a peer's puller, a peer's pusher to our puller",
          arguments: InteropPeer.testable)
    func largeMessages(_ peer: InteropPeer) throws {
        let size = Self.largeSize
        let context = try Context()
        let pusher = try interopSocket(SocketType.Push.self, context: context)
        let endpoint = try pusher.bind(to: "tcp://127.0.0.1:*").endpoint
        let puller = try peer.start(["pull", "connect", endpoint, "expect-pattern", "\(size)", "3"])
        try pusher.send(patternBytes(count: size, seed: 3))
        puller.expectSuccess(printing: "pattern \(size) ok")

        let source = try peer.start(["push", "bind", "tcp://127.0.0.1:*", "send-pattern", "\(size)", "5", "wait"])
        let ours = try interopSocket(SocketType.Pull.self, context: context)
        try ours.connect(to: source.boundEndpoint())
        guard let message = try ours.receive() else {
            Issue.record("no 8 MiB message from \(peer)")
            return
        }
        let count = message.count
        #expect(count == size)
        let intact = message.bytes == patternBytes(count: size, seed: 5)
        #expect(intact, "the 8 MiB message from \(peer) differs from the pattern")
        source.expectSuccess()
    }
}
