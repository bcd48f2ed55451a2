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
        let replier = try makeSocket(SocketType.Rep.self, context: context)
        try replier.connect(to: device.backendEndpoint)
        let worker = try SocketThread { [replier = consume replier] () throws(ZMQError) -> Int in
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
        let served = try worker.join(timeout: testTimeout)?.get()
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

    // MARK: Device on sockets you configured

    @Test("A device runs on sockets configured, bound and connected before the hand-over", arguments: Transport.allCases)
    func deviceOnConfiguredSockets(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        // The service side is a ROUTER, so it sees the routing id the device's backend was
        // given before it moved onto the device's thread.
        let service = try makeSocket(SocketType.Router.self, context: context)
        let serviceEndpoint = try bindResolved(service, on: transport)

        let frontend = try RouterSocket(context: context)
        try frontend.setOption(.receiveHighWaterMark, 50)
        let frontendEndpoint = try bindResolved(frontend, on: transport)
        let backend = try DealerSocket(context: context)
        try backend.setOption(.routingID, Array("device-backend".utf8))
        try backend.connect(to: serviceEndpoint)
        let device = try Device(frontend: frontend, backend: backend)
        defer { device.stop() }

        #expect(device.kind == .queue)
        #expect(device.context === context)
        #expect(device.frontendEndpoint == frontendEndpoint)
        #expect(device.backendEndpoint == serviceEndpoint, "a connected socket reads back the endpoint it connected to")
        #expect(device.captureEndpoint == nil)

        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.connect(to: frontendEndpoint)
        try client.send("ping")
        // [device's routing id, client's routing id, empty delimiter, "ping"]
        let request = try #require(try service.receiveMultipart())
        #expect(request.count == 4)
        #expect(request.first == Array("device-backend".utf8))
        #expect(request.last == Array("ping".utf8))
        try service.send(multipart: request.dropLast() + [Array("pong".utf8)])
        let reply = try client.receiveString()
        #expect(reply == "pong")
        #expect(device.statistics()?.frontend.messagesReceived == 1)
    }

    @Test("A device copies every frame to a capture socket you gave it", arguments: Transport.allCases)
    func deviceWithAGivenCaptureSocket(_ transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let tap = try makeSocket(SocketType.Pull.self, context: context)
        let tapEndpoint = try bindResolved(tap, on: transport)

        let frontend = try PullSocket(context: context)
        let frontendEndpoint = try bindResolved(frontend, on: transport)
        let backend = try PushSocket(context: context)
        let backendEndpoint = try bindResolved(backend, on: transport)
        // A PUSH capture connected to a PULL tap drops nothing, unlike a PUB.
        let capture = try PushSocket(context: context)
        try capture.connect(to: tapEndpoint)
        let device = try Device(frontend: frontend, backend: backend, capture: capture)
        defer { device.stop() }
        #expect(device.kind == .streamer)
        #expect(device.captureEndpoint == tapEndpoint)

        let producer = try makeSocket(SocketType.Push.self, context: context)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try producer.connect(to: frontendEndpoint)
        try consumer.connect(to: backendEndpoint)
        try producer.send("one")
        try producer.send(multipart: ["two-a", "two-b"])
        let expected = [["one"], ["two-a", "two-b"]].map { $0.map { Array($0.utf8) } }
        var forwarded: [[[UInt8]]] = []
        var captured: [[[UInt8]]] = []
        for _ in expected {
            forwarded.append(try consumer.receiveMultipart() ?? [])
            captured.append(try tap.receiveMultipart() ?? [])
        }
        #expect(forwarded == expected)
        #expect(captured == expected)
    }

    @Test("Sockets that make none of the three kinds give a device without a kind")
    func deviceOfAnotherPairOfTypes() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let frontend = try RouterSocket(context: context)
        let frontendEndpoint = try bindResolved(frontend, on: .inproc)
        let backend = try PushSocket(context: context)
        let backendEndpoint = try bindResolved(backend, on: .inproc)
        let device = try Device(frontend: frontend, backend: backend)
        defer { device.stop() }
        #expect(device.kind == nil)

        let client = try makeSocket(SocketType.Dealer.self, context: context)
        try client.setOption(.routingID, Array("client".utf8))
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try client.connect(to: frontendEndpoint)
        try consumer.connect(to: backendEndpoint)
        try client.send("hello")
        let forwarded = try consumer.receiveMultipart()
        #expect(forwarded == [Array("client".utf8), Array("hello".utf8)])
    }

    @Test("A socket that was never bound or connected is refused, and every socket is closed")
    func unattachedSocketIsRefused() throws {
        let context = try Context(defaultLinger: .zero)
        do {
            let frontend = try PullSocket(context: context)
            let backend = try PushSocket(context: context)
            try backend.bind(to: Transport.inproc.bindEndpoint())
            do {
                _ = try Device(frontend: frontend, backend: backend)
                Issue.record("a device started on an unattached frontend")
            } catch {
                #expect(error == .invalidArgument)
            }
        }
        do {
            let frontend = try PullSocket(context: context)
            try frontend.bind(to: Transport.inproc.bindEndpoint())
            let backend = try PushSocket(context: context)
            try backend.bind(to: Transport.inproc.bindEndpoint())
            let capture = try PublisherSocket(context: context)
            do {
                _ = try Device(frontend: frontend, backend: backend, capture: capture)
                Issue.record("a device started with an unattached capture socket")
            } catch {
                #expect(error == .invalidArgument)
            }
        }
        // terminate() returns only once every socket of the context is closed.
        let terminator = try SocketThread { context.terminate() }
        #expect(terminator.join(timeout: testTimeout) != nil, "a socket of a refused device is still open")
    }

    @Test("A failed bind throws the error Socket.bind throws for that endpoint, and leaves nothing bound")
    func bindFailureIsTheSocketsOwnError() throws {
        let context = try Context(defaultLinger: .zero)
        let taken: String
        let expected: ZMQError
        do {
            let occupant = try makeSocket(SocketType.Pair.self, context: context)
            taken = try bindResolved(occupant, on: .tcp)
            // The error a socket's own bind gives for this endpoint, whatever it carries.
            do {
                try makeSocket(SocketType.Router.self, context: context).bind(to: taken)
                Issue.record("a second bind to \(taken) succeeded")
                return
            } catch {
                expected = error
            }
            #expect(expected == .addressInUse)
            let wildcard = "tcp://127.0.0.1:*"
            for (frontend, backend, capture) in [(taken, wildcard, nil), (wildcard, taken, nil), (wildcard, wildcard, taken)] {
                do {
                    _ = try Device(.queue, frontend: frontend, backend: backend, capture: capture, context: context)
                    Issue.record("the device bound \(taken) twice")
                } catch {
                    #expect(error == expected)
                    // And it says which endpoint failed.
                    #expect(error.endpoint == taken)
                    #expect(error.description == "bind to '\(taken)': Address already in use (EADDRINUSE)")
                }
            }
        }
        // Nothing stays bound or open: terminating the context, which waits for every socket
        // to close, returns.
        let terminator = try SocketThread { context.terminate() }
        #expect(terminator.join(timeout: testTimeout) != nil, "a socket of a failed device is still open")
    }

    @Test("statistics() gives up when a blocking capture socket stalls the proxy, and shutdown still ends it")
    func statisticsGivesUpOnAStalledProxy() throws {
        let context = try Context(defaultLinger: .zero)
        let frontend = try makeSocket(SocketType.Pull.self, context: context)
        let frontendEndpoint = try bindResolved(frontend, on: .inproc)
        let backend = try makeSocket(SocketType.Push.self, context: context)
        let backendEndpoint = try bindResolved(backend, on: .inproc)
        // A PUSH capture with no peer (and no send timeout): libzmq's blocking send to it
        // never returns.
        let capture = try PushSocket(context: context)
        _ = try bindResolved(capture, on: .inproc)
        let device = try Device(frontend: frontend, backend: backend, capture: capture)
        let consumer = try makeSocket(SocketType.Pull.self, context: context)
        try consumer.connect(to: backendEndpoint)
        let producer = try makeSocket(SocketType.Push.self, context: context)
        try producer.connect(to: frontendEndpoint)
        try producer.send("stalls the proxy")
        // The proxy copies a frame to the capture socket before forwarding it: nothing comes.
        try consumer.setOption(.receiveTimeout, .milliseconds(200))
        let delivered = try consumer.receiveString()
        #expect(delivered == nil)

        let asking = try SocketThread { device.statistics() }
        let answer = asking.join(timeout: .seconds(5))
        #expect(answer != nil, "statistics() waited for ever on a stalled proxy")
        #expect(answer.map { $0 == .success(nil) } == true)

        context.shutdown()
        let waiting = try SocketThread { () throws(ZMQError) in try device.wait() }
        let ended = waiting.join(timeout: testTimeout)
        #expect(throws: ZMQError.contextTerminated) { try ended?.get() }
    }

    // MARK: Releasing a device

    @Test("Releasing a running device returns at once, even when its context must wait out a linger")
    func releasingADeviceDoesNotBlock() throws {
        let peers = try Context(defaultLinger: .zero)
        defer { peers.shutdown() }
        // Only the device (and its sockets) reference its context, which lingers for 2 s.
        var device: Device? = try Device(
            .streamer, frontend: Transport.ipc.bindEndpoint(), backend: Transport.ipc.bindEndpoint(),
            context: Context(defaultLinger: .seconds(2)))
        let endpoints = try #require(device.map { [$0.frontendEndpoint, $0.backendEndpoint] })

        // A consumer that takes one message and then reads no more, so that most of what the
        // device forwards stays queued in its backend socket.
        let consumer = try makeSocket(SocketType.Pull.self, context: peers)
        try consumer.setOption(.receiveHighWaterMark, 1)
        try consumer.connect(to: endpoints[1])
        let producer = try makeSocket(SocketType.Push.self, context: peers)
        try producer.connect(to: endpoints[0])
        let payload = [UInt8](repeating: 7, count: 10_000)
        for _ in 0..<300 { try producer.send(payload) }
        let forwarded = waitUntil { device?.statistics()?.backend.messagesSent == 300 }
        try #require(forwarded, "the device did not forward the messages")

        // Releasing the device releases its context, whose termination waits while the
        // backend's queued messages can't be delivered: that wait must not happen here.
        let start = ContinuousClock.now
        device = nil
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(500), "releasing the device blocked for \(elapsed)")
    }

    @Test("Releasing a running device stops it, and its endpoints are free again soon after")
    func releasingADeviceReleasesItsEndpoints() throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        var device: Device? = try Device(
            .queue, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", context: context)
        let endpoints = try #require(device.map { [$0.frontendEndpoint, $0.backendEndpoint] })
        device = nil
        let router = try makeSocket(SocketType.Router.self, context: context)
        for endpoint in endpoints { try bindEventually(router, to: endpoint) }
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
