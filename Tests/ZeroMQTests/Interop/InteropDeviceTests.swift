import Foundation
import Testing
import ZeroMQ

// Devices between implementations: our `Device` (queue, forwarder, streamer) with peers of the
// other languages on both sides (pyzmq on one, zmqpeer.c on the other, and the reverse), and
// pyzmq's own proxy and devices with our sockets on both sides.

/// Which peer sits on each side of a device.
struct PeerSides: CustomTestStringConvertible, Sendable {
    let front: InteropPeer
    let back: InteropPeer

    var testDescription: String { "\(front.rawValue) → \(back.rawValue)" }

    /// pyzmq on one side and C on the other, both ways round, where both can run.
    static var testable: [PeerSides] {
        let peers = InteropPeer.testable
        guard peers.contains(.pyzmq), peers.contains(.c) else { return [] }
        return [PeerSides(front: .pyzmq, back: .c), PeerSides(front: .c, back: .pyzmq)]
    }
}

@Suite("Interop: our devices between pyzmq and C peers, and pyzmq's devices between our sockets")
struct InteropDeviceTests {
    @Test("Our queue device: two peer requesters of one language, a peer replier of the other",
          arguments: PeerSides.testable)
    func queue(_ sides: PeerSides) throws {
        let context = try Context()
        let device = try Device(.queue, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        defer { device.stop() }
        let worker = try sides.back.start(["rep", "connect", device.backendEndpoint, "echo", "4"])
        let clients = try (0..<2).map { client in
            try sides.front.start(["req", "connect", device.frontendEndpoint] + (0..<2).flatMap {
                ["send", peerMessage("client \(client)", "request \($0)"), "recv", "1"]
            })
        }
        var expected: Set<String> = []
        for (client, process) in clients.enumerated() {
            let lines = (0..<2).map { peerLine("client \(client)", "request \($0)") }
            #expect(process.expectSuccessLines() == lines, "client \(client)")
            expected.formUnion(lines)
        }
        #expect(Set(worker.expectSuccessLines()) == expected)
    }

    @Test("Our forwarder device: a peer publisher of one language, a peer subscriber of the other, filtering on the way",
          arguments: PeerSides.testable)
    func forwarder(_ sides: PeerSides) throws {
        let context = try Context()
        let device = try Device(.forwarder, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        defer { device.stop() }
        let subscriber = try sides.back.start(["sub", "connect", device.backendEndpoint, "subscribe", hex("weather"), "recv", "3"])
        // The publisher repeats until the subscription has come through the device.
        let publisher = try sides.front.start([
            "pub", "connect", device.frontendEndpoint, "repeat", "5", peerMessage("news", "rain"), peerMessage("weather", "sunny"),
        ])
        #expect(subscriber.expectSuccessLines() == Array(repeating: peerLine("weather", "sunny"), count: 3))
        publisher.expectSuccess()
    }

    @Test("Our streamer device: a peer pusher of one language, a peer puller of the other",
          arguments: PeerSides.testable)
    func streamer(_ sides: PeerSides) throws {
        let context = try Context()
        let device = try Device(.streamer, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        defer { device.stop() }
        let puller = try sides.back.start(["pull", "connect", device.backendEndpoint, "recv", "3"])
        let pusher = try sides.front.start(
            ["push", "connect", device.frontendEndpoint] + (0..<3).flatMap { ["send", peerMessage("job", "\($0)")] } + ["wait"])
        #expect(puller.expectSuccessLines() == (0..<3).map { peerLine("job", "\($0)") })
        pusher.expectSuccess()
    }

    @Test("pyzmq's zmq.proxy_steerable between our requester and our replier, stopped by our control socket",
          PythonPeer.condition)
    func pyzmqProxy() throws {
        let proxy = try PythonPeer(script: #"""
            import sys, zmq
            ctx = zmq.Context()
            sockets = [ctx.socket(kind) for kind in (zmq.ROUTER, zmq.DEALER, zmq.PAIR)]
            for s in sockets:
                s.bind("tcp://127.0.0.1:*")
            sys.stderr.write("bound " + " ".join(s.last_endpoint.decode() for s in sockets) + "\n")
            sys.stderr.flush()
            front, back, control = sockets
            zmq.proxy_steerable(front, back, None, control)
            print("proxy stopped", flush=True)
            ctx.destroy(linger=0)
            """#, arguments: [])
        let endpoints = try proxy.boundEndpoint().split(separator: " ").map(String.init)
        try #require(endpoints.count == 3)
        let context = try Context()
        let requester = try interopSocket(SocketType.Req.self, context: context)
        let replier = try interopSocket(SocketType.Rep.self, context: context)
        let control = try interopSocket(SocketType.Pair.self, context: context)
        try requester.connect(to: endpoints[0])
        try replier.connect(to: endpoints[1])
        try control.connect(to: endpoints[2])
        for round in 0..<3 {
            try requester.send(multipart: ["request", "\(round)", ""])
            let request = try replier.receiveMultipart()
            #expect(request == [Array("request".utf8), Array("\(round)".utf8), []])
            try replier.send(multipart: ["reply", "\(round)"])
            let reply = try requester.receiveMultipart()
            #expect(reply == [Array("reply".utf8), Array("\(round)".utf8)])
        }
        try control.send("TERMINATE")
        proxy.expectSuccess(printing: "proxy stopped")
    }

    @Test("pyzmq's forwarder and streamer devices between our publisher and subscriber, and our pusher and puller",
          PythonPeer.condition)
    func pyzmqDevices() throws {
        let devices = try PythonPeer(script: #"""
            import os, sys, zmq, zmq.devices
            forwarder = zmq.devices.ThreadDevice(zmq.FORWARDER, zmq.XSUB, zmq.XPUB)
            streamer = zmq.devices.ThreadProxy(zmq.PULL, zmq.PUSH)
            ports = (forwarder.bind_in_to_random_port("tcp://127.0.0.1"),
                     forwarder.bind_out_to_random_port("tcp://127.0.0.1"),
                     streamer.bind_in_to_random_port("tcp://127.0.0.1"),
                     streamer.bind_out_to_random_port("tcp://127.0.0.1"))
            forwarder.start()
            streamer.start()
            sys.stderr.write("bound " + " ".join("tcp://127.0.0.1:%d" % port for port in ports) + "\n")
            sys.stderr.flush()
            sys.stdin.readline()
            print("devices ran", flush=True)
            os._exit(0)  # the device threads never end on their own
            """#, arguments: [])
        let endpoints = try devices.boundEndpoint().split(separator: " ").map(String.init)
        try #require(endpoints.count == 4)
        let context = try Context()

        let publisher = try interopSocket(SocketType.Pub.self, context: context)
        let subscriber = try interopSocket(SocketType.Sub.self, context: context)
        try subscriber.subscribe(to: "weather")
        try publisher.connect(to: endpoints[0])
        try subscriber.connect(to: endpoints[1])
        // Publish until the subscription has come through pyzmq's forwarder.
        var received: [[[UInt8]]] = []
        let arrived = try waitUntil(timeout: InteropTests.peerTimeout) {
            try publisher.send(multipart: ["news", "rain"])
            try publisher.send(multipart: ["weather", "sunny"])
            blockingSleep(.milliseconds(5))
            while let message = try subscriber.receiveMultipart(.dontWait) { received.append(message) }
            return received.count >= 3
        }
        #expect(arrived, "got \(received) through pyzmq's forwarder")
        #expect(received.allSatisfy { $0 == [Array("weather".utf8), Array("sunny".utf8)] }, "got \(received)")

        let pusher = try interopSocket(SocketType.Push.self, context: context)
        let puller = try interopSocket(SocketType.Pull.self, context: context)
        try pusher.connect(to: endpoints[2])
        try puller.connect(to: endpoints[3])
        for job in 0..<3 { try pusher.send(multipart: ["job", "\(job)", ""]) }
        for job in 0..<3 {
            let message = try puller.receiveMultipart()
            #expect(message == [Array("job".utf8), Array("\(job)".utf8), []])
        }
        devices.expectSuccess(printing: "devices ran")
    }
}
