import Foundation
import Testing
import ZeroMQ

// Interoperability with an independent ZeroMQ implementation: pyzmq, run as a `python3 -c`
// subprocess. The Swift side always binds tcp://127.0.0.1:* and hands the resolved endpoint
// (and any keys) to Python on the command line. Each Python script bounds its own waits with
// socket timeouts, and the subprocess is killed if it runs longer than 20 seconds.
//
// Swift Testing's #expect and #require can't take an expression that uses a noncopyable
// value (Socket, Multipart), so each check below reads the value into a local first.

@Suite(
    "Interoperability with pyzmq",
    PythonPeer.condition
)
struct InteropTests {
    /// Generous waits: Python takes a moment to start, more so while other tests run.
    static let peerTimeout: Duration = .seconds(15)

    @Test func swiftReplierEchoesPythonRequestersMultipartMessages() throws {
        let context = try Context()
        let replier = try makeSocket(SocketType.Rep.self, context: context)
        try replier.setOption(.receiveTimeout, Self.peerTimeout)
        let endpoint = try bindLoopback(replier)

        let peer = try PythonPeer(script: #"""
            import sys, zmq
            ctx = zmq.Context()
            req = ctx.socket(zmq.REQ)
            for option, value in ((zmq.RCVTIMEO, 10000), (zmq.SNDTIMEO, 10000), (zmq.LINGER, 1000)):
                req.setsockopt(option, value)
            req.connect(sys.argv[1])
            for n in range(3):
                frames = [b"round %d" % n, b"", bytes(range(256)), b"x" * (1000 * n)]
                req.send_multipart(frames)
                reply = req.recv_multipart()
                assert reply == frames, "round %d: got %r" % (n, reply[:2])
            print("echoed 3")
            req.close()
            ctx.term()
            """#, arguments: [endpoint])

        var request = Multipart()
        for round in 0..<3 {
            let got = try replier.receive(into: &request)
            guard got else {
                Issue.record("no request \(round) from Python")
                break
            }
            let frames = request.allBytes
            #expect(frames == [Array("round \(round)".utf8), [], Array(0...255), Array(repeating: UInt8(ascii: "x"), count: 1000 * round)])
            let sent = try replier.send(&request)
            #expect(sent)
        }
        peer.expectSuccess(printing: "echoed 3")
    }

    @Test func pythonPublisherReachesSwiftSubscriberThroughTheTopicFilter() throws {
        let context = try Context()
        let subscriber = try makeSocket(SocketType.Sub.self, context: context)
        try subscriber.setOption(.receiveTimeout, Self.peerTimeout)
        try subscriber.subscribe(to: "weather")
        let endpoint = try bindLoopback(subscriber)
        // Tells the publisher to stop; PUB can't learn on its own that we have enough.
        let stopper = try makeSocket(SocketType.Push.self, context: context)
        let stopEndpoint = try bindLoopback(stopper)

        let peer = try PythonPeer(script: #"""
            import sys, time, zmq
            ctx = zmq.Context()
            pub = ctx.socket(zmq.PUB)
            pub.connect(sys.argv[1])
            stop = ctx.socket(zmq.PULL)
            stop.connect(sys.argv[2])
            deadline = time.monotonic() + 15
            n = 0
            while time.monotonic() < deadline:
                pub.send_multipart([b"news", b"%d" % n])
                pub.send_multipart([b"weather", b"%d" % n])
                n += 1
                if stop.poll(10):
                    print("published %d" % n)
                    break
            else:
                sys.exit("never told to stop")
            ctx.destroy(linger=0)
            """#, arguments: [endpoint, stopEndpoint])

        // Messages published before the subscription reached Python are dropped, as PUB/SUB
        // does; from the first one received on, every weather message arrives, and no news.
        var numbers: [Int] = []
        var parts = Multipart()
        while numbers.count < 5 {
            let got = try subscriber.receive(into: &parts)
            guard got else {
                Issue.record("the Python publisher sent nothing")
                break
            }
            let count = parts.count
            let topic = count > 0 ? parts.string(at: 0) : ""
            #expect(count == 2)
            #expect(topic == "weather")
            if count == 2, let number = Int(parts.string(at: 1)) { numbers.append(number) }
        }
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "got \(numbers)")
        try stopper.send("stop")
        peer.expectSuccess(printing: "published")
    }

    @Test func swiftPusherFeedsPythonPuller() throws {
        let context = try Context()
        let pusher = try makeSocket(SocketType.Push.self, context: context)
        try pusher.setOption(.sendTimeout, Self.peerTimeout)
        let endpoint = try bindLoopback(pusher)

        let peer = try PythonPeer(script: #"""
            import sys, zmq
            ctx = zmq.Context()
            pull = ctx.socket(zmq.PULL)
            pull.setsockopt(zmq.RCVTIMEO, 10000)
            pull.connect(sys.argv[1])
            total = 0
            for n in range(1000):
                message = pull.recv()
                expected = b"%d:" % n + b"x" * (n % 50)
                assert message == expected, "message %d: got %r" % (n, message)
                total += len(message)
            print("received 1000 messages, %d bytes" % total)
            ctx.destroy(linger=0)
            """#, arguments: [endpoint])

        var totalBytes = 0
        for number in 0..<1000 {
            let message = "\(number):" + String(repeating: "x", count: number % 50)
            totalBytes += message.utf8.count
            let sent = try pusher.send(message)
            guard sent else {
                Issue.record("send \(number) timed out")
                break
            }
        }
        // Keep the socket open until Python has everything: it was made with zero linger.
        peer.expectSuccess(printing: "received 1000 messages, \(totalBytes) bytes")
    }

    @Test func swiftRouterRoutesRepliesToPythonDealersByRoutingID() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.setOption(.receiveTimeout, Self.peerTimeout)
        try router.setMandatoryRouting(true)
        let endpoint = try bindLoopback(router)

        let peer = try PythonPeer(script: #"""
            import sys, zmq
            ctx = zmq.Context()
            dealers = {}
            for name in (b"py-alpha", b"py-beta"):
                dealer = ctx.socket(zmq.DEALER)
                dealer.setsockopt(zmq.ROUTING_ID, name)
                dealer.setsockopt(zmq.RCVTIMEO, 10000)
                dealer.connect(sys.argv[1])
                dealer.send_multipart([b"hello from " + name])
                dealers[name] = dealer
            for name, dealer in dealers.items():
                reply = dealer.recv_multipart()
                assert reply == [b"welcome " + name], "%r got %r" % (name, reply)
            print("routed 2")
            ctx.destroy(linger=0)
            """#, arguments: [endpoint])

        var seen: Set<String> = []
        var envelope = Multipart()
        for _ in 0..<2 {
            let got = try router.receive(into: &envelope)
            guard got, envelope.count == 2 else {
                Issue.record("expected a two-frame message from a Python dealer")
                break
            }
            let identity = envelope.string(at: 0), body = envelope.string(at: 1)
            #expect(body == "hello from \(identity)")
            seen.insert(identity)
            let sent = try router.send(multipart: [Array(identity.utf8), Array("welcome \(identity)".utf8)])
            #expect(sent)
        }
        #expect(seen == ["py-alpha", "py-beta"])
        peer.expectSuccess(printing: "routed 2")
    }

    @Test(.enabled(if: ZeroMQLibrary.has(.curve), "libzmq lacks CURVE"), PythonPeer.curveCondition)
    func curveServerInSwiftAcceptsPythonClientWithGeneratedKeys() throws {
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.receiveTimeout, Self.peerTimeout)
        try server.setOption(.curveServer, true)
        try server.setOption(.curveSecretKey, serverKeys.secretKey)
        let endpoint = try bindLoopback(server)

        let peer = try PythonPeer(script: #"""
            import sys, zmq
            endpoint, server_public, client_public, client_secret = sys.argv[1:5]
            ctx = zmq.Context()
            # Without CURVE the handshake fails and the request goes nowhere.
            plain = ctx.socket(zmq.REQ)
            plain.setsockopt(zmq.RCVTIMEO, 500)
            plain.connect(endpoint)
            plain.send(b"plaintext hello")
            try:
                plain.recv()
                sys.exit("a plaintext client got a reply from a CURVE server")
            except zmq.Again:
                pass
            plain.close(linger=0)
            client = ctx.socket(zmq.REQ)
            client.curve_serverkey = server_public.encode()
            client.curve_publickey = client_public.encode()
            client.curve_secretkey = client_secret.encode()
            client.setsockopt(zmq.RCVTIMEO, 10000)
            client.connect(endpoint)
            client.send(b"secret hello")
            reply = client.recv()
            assert reply == b"secret world", reply
            print("curve ok")
            ctx.destroy(linger=0)
            """#, arguments: [endpoint, serverKeys.publicKey.z85, clientKeys.publicKey.z85, clientKeys.secretKey.revealedZ85])

        let request = try server.receiveString()
        #expect(request == "secret hello")
        let mechanism = try server.property(.mechanism)
        #expect(mechanism == 2, "CURVE is mechanism 2")
        try server.send("secret world")
        peer.expectSuccess(printing: "curve ok")
    }
}

/// Binds `socket` to an ephemeral loopback TCP port and returns the resolved endpoint.
private func bindLoopback<Kind: SocketKind>(_ socket: borrowing Socket<Kind>) throws -> String {
    try socket.bind(to: "tcp://127.0.0.1:*")
    let endpoint = socket.lastEndpoint
    return try #require(endpoint)
}
