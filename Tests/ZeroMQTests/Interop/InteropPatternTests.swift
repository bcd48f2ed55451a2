import Foundation
import Testing
import ZeroMQ

// Every socket pattern against each independent peer (pyzmq, and zmqpeer.c against the system
// libzmq), in both directions: our socket on one side of the pair, then on the other. The peer
// is driven by zmqpeer's command line (see Tests/Peers/zmqpeer.c); what it received comes back
// as hex lines on its standard output.
//
// Swift Testing's #expect can't take an expression that uses a noncopyable value (Socket), so
// each check reads the value into a local first.

@Suite("Interop: every pattern against pyzmq and C, both directions")
struct InteropPatternTests {
    @Test("REQ/REP: a peer's requester with our replier, and our requester with a peer's replier (ipc)",
          arguments: InteropPeer.testable)
    func requestReply(_ peer: InteropPeer) throws {
        let context = try Context()
        let replier = try interopSocket(SocketType.Rep.self, context: context)
        let endpoint = try replier.bind(to: "tcp://127.0.0.1:*").endpoint
        let requester = try peer.start([
            "req", "connect", endpoint,
            "send", peerMessage("ping 1"), "recv", "1", "send", peerMessage("ping", "2"), "recv", "1",
        ])
        for expected in [["ping 1"], ["ping", "2"]] {
            let request = try replier.receiveMultipart()
            #expect(request == expected.map { Array($0.utf8) })
            try replier.send(multipart: ["pong"] + expected)
        }
        #expect(requester.expectSuccessLines() == [peerLine("pong", "ping 1"), peerLine("pong", "ping", "2")])

        let server = try peer.start(["rep", "bind", Transport.ipc.bindEndpoint(), "echo", "2"])
        let ours = try interopSocket(SocketType.Req.self, context: context)
        try ours.connect(to: server.boundEndpoint())
        for round in 1...2 {
            try ours.send(multipart: ["hello", "\(round)"])
            let reply = try ours.receiveMultipart()
            #expect(reply == [Array("hello".utf8), Array("\(round)".utf8)])
        }
        #expect(server.expectSuccessLines() == [peerLine("hello", "1"), peerLine("hello", "2")])
    }

    @Test("DEALER/ROUTER: our router routes replies back to two peer dealers by routing id, and a peer's router to two of ours",
          arguments: InteropPeer.testable)
    func dealerRouter(_ peer: InteropPeer) throws {
        let context = try Context()
        let router = try interopSocket(SocketType.Router.self, context: context)
        try router.setMandatoryRouting(true)
        let endpoint = try router.bind(to: "tcp://127.0.0.1:*").endpoint
        let dealers = try ["peer-a", "peer-b"].map { name in
            try peer.start([
                "--routing-id", hex(name), "dealer", "connect", endpoint,
                "send", peerMessage("hello from \(name)"), "recv", "1",
            ])
        }
        var seen: Set<String> = []
        for _ in 0..<2 {
            let envelope = try #require(try router.receiveMultipart())
            try #require(envelope.count == 2, "got \(envelope)")
            let identity = String(decoding: envelope[0], as: UTF8.self)
            #expect(String(decoding: envelope[1], as: UTF8.self) == "hello from \(identity)")
            seen.insert(identity)
            try router.send(multipart: [identity, "welcome \(identity)"])
        }
        #expect(seen == ["peer-a", "peer-b"])
        for (dealer, name) in zip(dealers, ["peer-a", "peer-b"]) {
            #expect(dealer.expectSuccessLines() == [peerLine("welcome \(name)")])
        }

        // The peer's router echoes each message to the connection it came from.
        let server = try peer.start(["router", "bind", "tcp://127.0.0.1:*", "echo", "2"])
        let serverEndpoint = try server.boundEndpoint()
        let first = try interopSocket(SocketType.Dealer.self, context: context)
        let second = try interopSocket(SocketType.Dealer.self, context: context)
        try first.setOption(.routingID, Array("swift-1".utf8))
        try second.setOption(.routingID, Array("swift-2".utf8))
        try first.connect(to: serverEndpoint)
        try second.connect(to: serverEndpoint)
        try first.send(multipart: ["request", "swift-1"])
        try second.send(multipart: ["request", "swift-2"])
        let firstReply = try first.receiveMultipart()
        let secondReply = try second.receiveMultipart()
        #expect(firstReply == [Array("request".utf8), Array("swift-1".utf8)])
        #expect(secondReply == [Array("request".utf8), Array("swift-2".utf8)])
        #expect(Set(server.expectSuccessLines()) == [
            peerLine("swift-1", "request", "swift-1"), peerLine("swift-2", "request", "swift-2"),
        ])
    }

    @Test("PUB/SUB: only the subscribed topic reaches a peer's subscriber from our publisher, and ours from a peer's",
          arguments: InteropPeer.testable)
    func publishSubscribe(_ peer: InteropPeer) throws {
        let context = try Context()
        let publisher = try interopSocket(SocketType.Pub.self, context: context)
        let endpoint = try publisher.bind(to: "tcp://127.0.0.1:*").endpoint
        let subscriber = try peer.start(["sub", "connect", endpoint, "subscribe", hex("weather"), "recv", "3"])
        // A subscriber joins late (the slow joiner), so we publish until it has its three.
        var round = 0
        let done = waitUntil(timeout: .seconds(15)) {
            _ = try? publisher.send(multipart: ["news", "\(round)"])
            _ = try? publisher.send(multipart: ["weather", "\(round)"])
            round += 1
            blockingSleep(.milliseconds(5))
            return !subscriber.isRunning
        }
        #expect(done, "the peer's subscriber is still waiting after \(round) rounds")
        let lines = subscriber.expectSuccessLines()
        #expect(lines.count == 3)
        let numbers = lines.compactMap { line -> Int? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[0] == hex("weather") else { return nil }
            return Int(String(decoding: unhex(String(parts[1])), as: UTF8.self))
        }
        #expect(numbers.count == 3 && numbers == numbers.sorted(), "the subscriber printed \(lines)")

        let ours = try interopSocket(SocketType.Sub.self, context: context)
        try ours.subscribe(to: "weather")
        let ourEndpoint = try ours.bind(to: "tcp://127.0.0.1:*").endpoint
        let peerPublisher = try peer.start([
            "pub", "connect", ourEndpoint, "repeat", "5", peerMessage("news", "rain"), peerMessage("weather", "sunny"),
        ])
        for _ in 0..<3 {
            let message = try ours.receiveMultipart()
            #expect(message == [Array("weather".utf8), Array("sunny".utf8)])
        }
        peerPublisher.expectSuccess()
    }

    @Test("XPUB/XSUB: our XPUB sees a peer's \\x01 and \\x00 subscription messages, and our XSUB subscribes by hand at a peer's XPUB",
          arguments: InteropPeer.testable)
    func extendedPublishSubscribe(_ peer: InteropPeer) throws {
        let subscribe = [0x01] + Array("weather".utf8), unsubscribe = [0x00] + Array("weather".utf8)
        let context = try Context()
        let xpub = try interopSocket(SocketType.XPub.self, context: context)
        let endpoint = try xpub.bind(to: "tcp://127.0.0.1:*").endpoint
        let xsub = try peer.start([
            "xsub", "connect", endpoint, "send", hex(subscribe), "recv", "1", "send", hex(unsubscribe),
        ])
        let subscription = try xpub.receiveBytes()
        #expect(subscription == subscribe)
        // The filter is on our side now: the news never leaves, the weather does.
        try xpub.send("news today")
        try xpub.send("weather sunny")
        let unsubscription = try xpub.receiveBytes()
        #expect(unsubscription == unsubscribe)
        #expect(xsub.expectSuccessLines() == [peerLine("weather sunny")])

        let peerXPub = try peer.start([
            "xpub", "bind", "tcp://127.0.0.1:*",
            "recv", "1", "send", peerMessage("news today"), "send", peerMessage("weather sunny"), "recv", "1",
        ])
        let ours = try interopSocket(SocketType.XSub.self, context: context)
        try ours.connect(to: peerXPub.boundEndpoint())
        try ours.send(subscribe)
        let received = try ours.receiveString()
        #expect(received == "weather sunny")
        try ours.send(unsubscribe)
        #expect(peerXPub.expectSuccessLines() == [hex(subscribe), hex(unsubscribe)])
    }

    @Test("PUSH/PULL: our pusher fans out evenly to three peer pullers, and three peer pushers fan in to our puller (ipc)",
          arguments: InteropPeer.testable)
    func pushPull(_ peer: InteropPeer) throws {
        let context = try Context()
        let pusher = try interopSocket(SocketType.Push.self, context: context)
        var monitor = try pusher.monitor(events: [.handshakeSucceeded])
        try monitor.socket.setOption(.receiveTimeout, InteropTests.peerTimeout)
        let endpoint = try pusher.bind(to: "tcp://127.0.0.1:*").endpoint
        let pullers = try (0..<3).map { _ in try peer.start(["pull", "connect", endpoint, "recv", "4"]) }
        // Round robin is even once all three are connected.
        for _ in 0..<3 {
            let event = try monitor.receiveEvent()
            try #require(event?.kind == .handshakeSucceeded, "got \(String(describing: event))")
        }
        let tasks = (0..<12).map { "task \($0)" }
        for task in tasks { try pusher.send(task) }
        var everything: [String] = []
        for puller in pullers {
            let lines = puller.expectSuccessLines()
            #expect(lines.count == 4, "a puller got \(lines)")
            everything += lines
        }
        #expect(everything.sorted() == tasks.map { hex($0) }.sorted())

        // Fan-in over ipc: each pusher stays open (`wait`) until we have everything, since an
        // ipc sender that closes right after its last send can lose the tail (libzmq #4660).
        let puller = try interopSocket(SocketType.Pull.self, context: context)
        let ipc = try puller.bind(to: Transport.ipc.bindEndpoint()).endpoint
        let pushers = try (0..<3).map { sender in
            try peer.start(["push", "connect", ipc] + (0..<4).flatMap { ["send", peerMessage("from \(sender)", "\($0)")] } + ["wait"])
        }
        var bySender: [String: [String]] = [:]
        for _ in 0..<12 {
            let message = try #require(try puller.receiveMultipart())
            try #require(message.count == 2)
            bySender[String(decoding: message[0], as: UTF8.self), default: []].append(String(decoding: message[1], as: UTF8.self))
        }
        #expect(bySender == ["from 0": ["0", "1", "2", "3"], "from 1": ["0", "1", "2", "3"], "from 2": ["0", "1", "2", "3"]])
        for pusher in pushers { pusher.expectSuccess() }
    }

    @Test("PAIR: our pair bound on ipc with a peer's, then a peer's bound on tcp with ours",
          arguments: InteropPeer.testable)
    func pair(_ peer: InteropPeer) throws {
        let context = try Context()
        let ours = try interopSocket(SocketType.Pair.self, context: context)
        let endpoint = try ours.bind(to: Transport.ipc.bindEndpoint()).endpoint
        let theirs = try peer.start(["pair", "connect", endpoint, "send", peerMessage("hello", "pair"), "recv", "1"])
        let hello = try ours.receiveMultipart()
        #expect(hello == [Array("hello".utf8), Array("pair".utf8)])
        try ours.send("hello back")
        #expect(theirs.expectSuccessLines() == [peerLine("hello back")])

        let bound = try peer.start(["pair", "bind", "tcp://127.0.0.1:*", "echo", "2"])
        let other = try interopSocket(SocketType.Pair.self, context: context)
        try other.connect(to: bound.boundEndpoint())
        for round in 0..<2 {
            try other.send(multipart: ["round", "\(round)"])
            let echoed = try other.receiveMultipart()
            #expect(echoed == [Array("round".utf8), Array("\(round)".utf8)])
        }
        #expect(bound.expectSuccessLines() == [peerLine("round", "0"), peerLine("round", "1")])
    }

    @Test("STREAM: our STREAM socket as a TCP client of a peer's STREAM echo server",
          arguments: InteropPeer.testable)
    func stream(_ peer: InteropPeer) throws {
        let payload = Array("raw bytes over TCP".utf8) + [0x00, 0xff, 0x80]
        let server = try peer.start(["stream", "bind", "tcp://127.0.0.1:*", "stream-echo", "\(payload.count)"])
        let context = try Context()
        let client = try interopSocket(SocketType.Stream.self, context: context)
        try client.connect(to: server.boundEndpoint())
        // A connecting STREAM socket learns its connection's routing id from an empty message.
        let hello = try #require(try client.receiveMultipart())
        try #require(hello.count == 2 && hello[1].isEmpty, "got \(hello)")
        let connection = hello[0]
        try client.send(multipart: [connection, payload])
        var echoed: [UInt8] = []
        while echoed.count < payload.count {
            let chunk = try #require(try client.receiveMultipart())
            try #require(chunk.count == 2 && chunk[0] == connection, "got \(chunk)")
            echoed += chunk[1]
        }
        #expect(echoed == payload)
        server.expectSuccess()
    }
}

/// A socket from `makeSocket` whose sends and receives wait long enough for a peer process to
/// start (Python takes a moment, more so while other tests run).
func interopSocket<Kind: SocketKind>(_ kind: Kind.Type, context: Context) throws -> Socket<Kind> {
    let socket = try makeSocket(kind, context: context)
    try socket.setOption(.receiveTimeout, InteropTests.peerTimeout)
    try socket.setOption(.sendTimeout, InteropTests.peerTimeout)
    return socket
}

/// The bytes of zmqpeer's hex notation for a frame.
func unhex(_ text: String) -> [UInt8] {
    guard text != "-" else { return [] }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
        bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}
