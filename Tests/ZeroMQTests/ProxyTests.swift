import Foundation
import Testing
import ZeroMQ

// Proxies block their thread until the context is shut down (or, when steerable, until told to
// terminate). Each test binds the proxy's sockets on the test thread and moves them onto a
// `SocketThread`, whose outcome says how the proxy ended. Every test shuts its context down on
// exit, so a failing test never leaves a proxy or worker thread behind.

@Suite("Proxy")
struct ProxyTests {
    @Test("Stopping a device while another thread reads its statistics never deadlocks")
    func stopRacingStatistics() throws {
        for _ in 0..<20 {
            let context = try Context(defaultLinger: .zero)
            let device = try Device(
                .queue, frontend: Transport.inproc.bindEndpoint(),
                backend: Transport.inproc.bindEndpoint(), context: context)
            let reader = try SocketThread { () -> Bool in
                for _ in 0..<50 { _ = device.statistics() }
                return true
            }
            let stopper = try SocketThread { device.stop() }
            let read = reader.join(timeout: testTimeout) != nil
            let stopped = stopper.join(timeout: testTimeout) != nil
            #expect(read && stopped, "statistics() and stop() deadlocked")
            #expect(device.statistics() == nil)
        }
    }

    @Test("Only the four commands libzmq knows can be sent to a proxy")
    func unknownCommandsCannotBeMade() {
        #expect(ProxyCommand(rawValue: "pause") == nil)
        #expect(ProxyCommand(rawValue: "PAUSE") == .pause)
        #expect(ProxyCommand.allCases.map(\.rawValue) == ["PAUSE", "RESUME", "TERMINATE", "STATISTICS"])
    }

    @Test(arguments: Transport.allCases)
    func queueProxyCarriesRequestsToWorkersAndRepliesBack(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let frontend = try RouterSocket(context: context)
        let backend = try DealerSocket(context: context)
        let frontendEndpoint = try bindResolved(frontend, on: transport)
        let backendEndpoint = try bindResolved(backend, on: transport)
        // The sockets bound here move onto the proxy's thread.
        let proxyThread = try SocketThread(name: "test-proxy") { () throws(ZMQError) in
            try proxy(frontend: frontend, backend: backend)
        }

        let workers = try (0..<2).map { id in
            let worker = try makeSocket(SocketType.Rep.self, context: context)
            try worker.connect(to: backendEndpoint)
            return try SocketThread { () throws(ZMQError) in
                while true {
                    // A receive timeout just means no work yet; the shutdown ends the loop.
                    guard let request = try worker.receiveString() else { continue }
                    try worker.send("\(request) handled by worker \(id)")
                }
            }
        }

        for client in 0..<3 {
            let requester = try makeSocket(SocketType.Req.self, context: context)
            try requester.connect(to: frontendEndpoint)
            for number in 0..<4 {
                let request = "client \(client) request \(number)"
                try requester.send(request)
                let reply = try requester.receiveString()
                #expect(reply?.hasPrefix("\(request) handled by worker ") == true, "got \(reply ?? "no reply")")
            }
        }

        context.shutdown()
        expectEnd(of: proxyThread, with: .contextTerminated, "the proxy")
        for worker in workers { expectEnd(of: worker, with: .contextTerminated, "a worker") }
    }

    @Test(arguments: Transport.allCases)
    func captureSocketSeesACopyOfEveryFrame(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let frontend = try PullSocket(context: context)
        let backend = try PushSocket(context: context)
        let capture = try PushSocket(context: context)
        let endpoints = [
            try bindResolved(frontend, on: transport),
            try bindResolved(backend, on: transport),
            try bindResolved(capture, on: transport),
        ]
        let proxyThread = try SocketThread { () throws(ZMQError) in
            try proxy(frontend: frontend, backend: backend, capture: capture)
        }

        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        let tap = try makeSocket(SocketType.Pull.self, context: context)
        try producer.connect(to: endpoints[0])
        try consumer.connect(to: endpoints[1])
        try tap.connect(to: endpoints[2])

        try producer.send("one")
        try producer.send("two")
        try producer.send(multipart: ["three-a", "three-b"])
        let expected = [["one"], ["two"], ["three-a", "three-b"]].map { $0.map { Array($0.utf8) } }

        var forwarded: [[[UInt8]]] = []
        var captured: [[[UInt8]]] = []
        for _ in expected {
            forwarded.append(try consumer.receiveMultipart() ?? [])
            captured.append(try tap.receiveMultipart() ?? [])
        }
        #expect(forwarded == expected)
        #expect(captured == expected)

        context.shutdown()
        expectEnd(of: proxyThread, with: .contextTerminated, "the proxy")
    }

    // MARK: Steerable proxy

    @Test func pauseHoldsMessagesUntilResume() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let rig = try SteerableProxy(context: context)
        let controller = try makeSocket(SocketType.Pair.self, context: context)
        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try controller.connect(to: rig.control)
        try producer.connect(to: rig.frontend)
        try consumer.connect(to: rig.backend)

        try producer.send("before pause")
        let before = try consumer.receiveString()
        #expect(before == "before pause")

        try controller.send(.pause)
        // The proxy handles commands in order, so once STATISTICS is answered, PAUSE took effect.
        let statistics = try controller.proxyStatistics()
        #expect(statistics != nil)

        try producer.send("during pause")
        var poller = Poller()
        poller.add(consumer)
        let readyWhilePaused = try poller.poll(timeout: .milliseconds(200))
        #expect(readyWhilePaused == 0, "a paused proxy forwarded a message")

        try controller.send(.resume)
        let during = try consumer.receiveString()
        #expect(during == "during pause")

        try controller.send(.terminate)
        expectEnd(of: rig.thread, with: nil, "the proxy")
    }

    @Test func statisticsCountTheFramesAndBytesForwarded() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let rig = try SteerableProxy(context: context)
        let controller = try makeSocket(SocketType.Pair.self, context: context)
        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try controller.connect(to: rig.control)
        try producer.connect(to: rig.frontend)
        try consumer.connect(to: rig.backend)

        let initial = try controller.proxyStatistics()
        #expect(initial == ProxyStatistics(frontend: .zero, backend: .zero))

        // Five one-frame messages of 1 to 5 bytes: 5 messages, 15 bytes.
        for size in 1...5 { try producer.send(patternBytes(count: size)) }
        for _ in 1...5 { _ = try consumer.receiveBytes() }
        let afterSingles = try controller.proxyStatistics()
        #expect(afterSingles?.frontend == ProxySideStatistics(messagesReceived: 5, bytesReceived: 15, messagesSent: 0, bytesSent: 0))
        #expect(afterSingles?.backend == ProxySideStatistics(messagesReceived: 0, bytesReceived: 0, messagesSent: 5, bytesSent: 15))

        // libzmq 4.3 counts a multipart message once, with the bytes of all its frames: a
        // two-frame message of 3 + 4 bytes adds 1 and 7. (libzmq's master branch counts frames.)
        try producer.send(multipart: [patternBytes(count: 3), patternBytes(count: 4)])
        _ = try consumer.receiveMultipart()
        let afterMultipart = try controller.proxyStatistics()
        #expect(afterMultipart?.frontend == ProxySideStatistics(messagesReceived: 6, bytesReceived: 22, messagesSent: 0, bytesSent: 0))
        #expect(afterMultipart?.backend == ProxySideStatistics(messagesReceived: 0, bytesReceived: 0, messagesSent: 6, bytesSent: 22))

        try controller.send(.terminate)
        expectEnd(of: rig.thread, with: nil, "the proxy")
    }

    @Test func terminateMakesTheProxyReturnNormally() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let rig = try SteerableProxy(context: context)
        let controller = try makeSocket(SocketType.Pair.self, context: context)
        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try controller.connect(to: rig.control)
        try producer.connect(to: rig.frontend)
        try consumer.connect(to: rig.backend)

        try producer.send("forwarded")
        let forwarded = try consumer.receiveString()
        #expect(forwarded == "forwarded")

        try controller.send(.terminate)
        expectEnd(of: rig.thread, with: nil, "the proxy")
        #expect(!context.isShutDown, "TERMINATE ends the proxy, not the context")
    }

    // MARK: Device

    @Test(arguments: Transport.allCases)
    func queueDeviceConnectsRequestersToRepliers(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(.queue, frontend: transport.bindEndpoint(), backend: transport.bindEndpoint(), context: context)
        defer { device.stop() }

        let requests = 3
        let worker = BackgroundThread { () throws -> Int in
            let replier = try makeSocket(SocketType.Rep.self, context: context)
            try replier.connect(to: device.backendEndpoint)
            for served in 0..<requests {
                guard let request = try replier.receiveString() else { return served }
                try replier.send(request.uppercased())
            }
            return requests
        }

        let requester = try makeSocket(SocketType.Req.self, context: context)
        try requester.connect(to: device.frontendEndpoint)
        for number in 0..<requests {
            try requester.send("request \(number)")
            let reply = try requester.receiveString()
            #expect(reply == "REQUEST \(number)")
        }
        let served = try worker.wait()?.get()
        #expect(served == requests)
    }

    @Test(arguments: Transport.allCases)
    func forwarderDeviceRelaysSubscribedTopics(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(.forwarder, frontend: transport.bindEndpoint(), backend: transport.bindEndpoint(), context: context)
        defer { device.stop() }

        let publisher = try makeSocket(SocketType.Pub.self, context: context)
        let subscriber = try makeSocket(SocketType.Sub.self, context: context)
        try publisher.connect(to: device.frontendEndpoint)
        try subscriber.subscribe(to: "weather")
        try subscriber.connect(to: device.backendEndpoint)

        // The subscription travels SUB -> XPUB -> proxy -> XSUB -> PUB asynchronously, so
        // publish until the first message makes it through.
        try subscriber.setOption(.receiveTimeout, .milliseconds(20))
        let relayed = try waitUntil {
            try publisher.send("weather warm-up")
            return try subscriber.receiveString() != nil
        }
        try #require(relayed, "no message made it through the forwarder")
        try subscriber.setOption(.receiveTimeout, testTimeout)

        try publisher.send("news not subscribed")
        try publisher.send("weather report")
        var seen: [String] = []
        while let message = try subscriber.receiveString() {
            seen.append(message)
            if message == "weather report" { break }
        }
        #expect(seen.last == "weather report")
        #expect(seen.allSatisfy { $0.hasPrefix("weather") }, "got \(seen)")
    }

    @Test(arguments: Transport.allCases)
    func streamerDeviceRelaysAPipeline(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(.streamer, frontend: transport.bindEndpoint(), backend: transport.bindEndpoint(), context: context)
        defer { device.stop() }

        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try producer.connect(to: device.frontendEndpoint)
        try consumer.connect(to: device.backendEndpoint)

        for number in 0..<10 { try producer.send("task \(number)") }
        try producer.send(multipart: ["two", "frames"])
        var received: [String] = []
        for _ in 0..<10 { received.append(try consumer.receiveString() ?? "") }
        let multipart = try consumer.receiveMultipart()
        #expect(received == (0..<10).map { "task \($0)" })
        #expect(multipart == [Array("two".utf8), Array("frames".utf8)])
    }

    @Test func deviceEndpointsResolveWildcardPorts() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(.streamer, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        defer { device.stop() }

        for endpoint in [device.frontendEndpoint, device.backendEndpoint] {
            #expect(endpoint.hasPrefix("tcp://127.0.0.1:"), "got \(endpoint)")
            let port = Int(endpoint.dropFirst("tcp://127.0.0.1:".count))
            #expect(port.map { $0 > 0 } == true, "got \(endpoint)")
        }
        #expect(device.frontendEndpoint != device.backendEndpoint)
        #expect(device.kind == .streamer)
        #expect(device.kind?.description == "streamer")
    }

    @Test func deviceStatisticsCountForwardedMessages() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let inproc = Transport.inproc
        let device = try Device(.streamer, frontend: inproc.bindEndpoint(), backend: inproc.bindEndpoint(), context: context)
        defer { device.stop() }
        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try producer.connect(to: device.frontendEndpoint)
        try consumer.connect(to: device.backendEndpoint)

        for _ in 0..<5 { try producer.send(patternBytes(count: 10)) }
        for _ in 0..<5 { _ = try consumer.receiveBytes() }
        let statistics = device.statistics()
        #expect(statistics?.frontend == ProxySideStatistics(messagesReceived: 5, bytesReceived: 50, messagesSent: 0, bytesSent: 0))
        #expect(statistics?.backend == ProxySideStatistics(messagesReceived: 0, bytesReceived: 0, messagesSent: 5, bytesSent: 50))
    }

    @Test func stopIsIdempotentAndReleasesTheEndpoints() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(.queue, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        let isRunning = !device.isFinished
        #expect(isRunning)

        device.stop()
        #expect(device.isFinished)
        device.stop()
        #expect(device.isFinished)
        #expect(device.statistics() == nil)
        #expect(throws: Never.self) { try device.wait() }

        // stop() joined the proxy thread, which closed its sockets: the ports are free again.
        let router = try makeSocket(SocketType.Router.self, context: context)
        try bindEventually(router, to: device.frontendEndpoint)
        try bindEventually(router, to: device.backendEndpoint)
    }

    @Test func waitReturnsOnceTheDeviceIsStopped() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let inproc = Transport.inproc
        let device = try Device(.streamer, frontend: inproc.bindEndpoint(), backend: inproc.bindEndpoint(), context: context)
        let waiter = try SocketThread { () throws(ZMQError) in try device.wait() }
        let endedEarly = waiter.join(timeout: .milliseconds(50)) != nil
        #expect(!endedEarly, "wait() returned while the device was running")

        device.stop()
        expectEnd(of: waiter, with: nil, "wait()")
    }

    @Test func waitThrowsContextTerminatedWhenTheContextShutsDown() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let inproc = Transport.inproc
        let device = try Device(.queue, frontend: inproc.bindEndpoint(), backend: inproc.bindEndpoint(), context: context)
        let waiter = try SocketThread { () throws(ZMQError) in try device.wait() }

        context.shutdown()
        expectEnd(of: waiter, with: .contextTerminated, "wait()")
        #expect(device.isFinished)
        device.stop()  // harmless after the device ended on its own
    }

    @Test func badEndpointThrowsWithoutLeakingTheBoundFrontend() throws {
        let context = try Context(defaultLinger: .zero)
        let frontend = Transport.inproc.bindEndpoint()
        #expect(throws: ZMQError.protocolNotSupported) {
            _ = try Device(.queue, frontend: frontend, backend: "nonsense://nowhere", context: context)
        }
        #expect(throws: ZMQError.protocolNotSupported) {
            _ = try Device(.queue, frontend: "nonsense://nowhere", backend: frontend, context: context)
        }

        // The frontend was bound and then closed: it can be bound again...
        do {
            let router = try makeSocket(SocketType.Router.self, context: context)
            try bindEventually(router, to: frontend)
        }
        // ...and no socket is left open: terminating the context, which waits for every
        // socket to close, returns.
        let terminator = try SocketThread { context.terminate() }
        let terminated = terminator.join(timeout: testTimeout) != nil
        #expect(terminated, "a socket of the failed device is still open")
    }

    @Test(arguments: Transport.allCases)
    func deviceWithACaptureEndpointPublishesCopies(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let device = try Device(
            .streamer,
            frontend: transport.bindEndpoint(),
            backend: transport.bindEndpoint(),
            capture: transport.bindEndpoint(),
            context: context
        )
        defer { device.stop() }
        // The capture endpoint reads back resolved, with a real port for tcp://127.0.0.1:*.
        let captureEndpoint = try #require(device.captureEndpoint)
        #expect(!captureEndpoint.hasSuffix(":*"))

        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        let tap = try makeSocket(SocketType.Sub.self, context: context)
        try producer.connect(to: device.frontendEndpoint)
        try consumer.connect(to: device.backendEndpoint)
        try tap.subscribe(to: "")
        try tap.connect(to: captureEndpoint)

        // The capture socket is a PUB: it drops copies until the tap's subscription arrives.
        try tap.setOption(.receiveTimeout, .milliseconds(20))
        let tapping = try waitUntil {
            try producer.send("warm-up")
            _ = try consumer.receiveString()
            return try tap.receiveString() != nil
        }
        try #require(tapping, "the capture socket never published a copy")
        try tap.setOption(.receiveTimeout, testTimeout)

        try producer.send("payload")
        let forwarded = try consumer.receiveString()
        #expect(forwarded == "payload")
        var captured: [String] = []
        while let copy = try tap.receiveString() {
            captured.append(copy)
            if copy == "payload" { break }
        }
        #expect(captured.last == "payload")
        #expect(captured.dropLast().allSatisfy { $0 == "warm-up" }, "got \(captured)")
    }
}

/// A steerable PULL -> PUSH proxy with a PAIR control socket, running on its own thread.
private struct SteerableProxy {
    let thread: SocketThread<Void, ZMQError>
    let frontend: String
    let backend: String
    let control: String

    init(context: Context) throws {
        let frontend = try PullSocket(context: context)
        let backend = try PushSocket(context: context)
        let controlSocket = try PairSocket(context: context)
        self.frontend = try bindResolved(frontend, on: .tcp)
        self.backend = try bindResolved(backend, on: .tcp)
        control = try bindResolved(controlSocket, on: .inproc)
        thread = try SocketThread { () throws(ZMQError) in
            try steerableProxy(frontend: frontend, backend: backend, control: controlSocket)
        }
    }
}

extension ProxySideStatistics {
    /// No traffic at all.
    fileprivate static var zero: ProxySideStatistics {
        ProxySideStatistics(messagesReceived: 0, bytesReceived: 0, messagesSent: 0, bytesSent: 0)
    }
}

/// Expects a proxy's (or worker's) thread to have ended, with `expected` (`nil` for a normal end).
private func expectEnd(
    of thread: SocketThread<Void, ZMQError>,
    with expected: ZMQError?,
    _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    switch thread.join(timeout: testTimeout) {
    case nil:
        Issue.record("\(what) is still running", sourceLocation: sourceLocation)
    case .success?:
        #expect(expected == nil, "\(what) ended normally", sourceLocation: sourceLocation)
    case .failure(let error)?:
        #expect(error == expected, "\(what) ended with \(error)", sourceLocation: sourceLocation)
    }
}
