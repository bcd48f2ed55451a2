import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Swift Testing's #expect and #require can't take an expression that uses a noncopyable
// value (Socket, SocketMonitor), so each check below reads the value into a local first.

@Suite("Monitor")
struct MonitorTests {
    // MARK: - A monitor that cannot hang

    @Test(arguments: [Transport.ipc, .tcp])
    func bindRightAfterMonitorDoesNotHang(_ transport: Transport) throws {
        let context = try Context()
        // libzmq reports LISTENING from inside bind with a blocking send: with no reader
        // connected yet, bind would wait for ever. Run it on a thread of its own so that a
        // regression fails the test instead of hanging it.
        let work = BackgroundThread { () throws -> [String?] in
            let server = try makeSocket(SocketType.Pull.self, context: context)
            var monitor = try makeMonitor(on: server)
            try server.bind(to: transport.bindEndpoint())
            let listening = try nextEvent(.listening, on: &monitor)
            return [server.lastEndpoint, listening?.endpoint]
        }
        guard let outcome = work.wait() else {
            Issue.record("bind blocked after monitor(events:)")
            context.shutdown()   // wakes the blocked bind
            _ = work.wait()
            return
        }
        let endpoints = try outcome.get()
        #expect(endpoints[0] != nil)
        #expect(endpoints[1] == endpoints[0])
    }

    @Test func aReaderThatFallsBehindNeverBlocksLibzmq() throws {
        let context = try Context()
        // Each bind reports LISTENING and each unbind CLOSED, with nobody reading: 5,000
        // events, more than an inproc pipe with the default high-water marks (2,000 messages)
        // takes before it blocks the reporting thread.
        let cycles = 2_500
        let work = BackgroundThread { () throws -> Int in
            let server = try makeSocket(SocketType.Pull.self, context: context)
            var monitor = try makeMonitor(on: server, events: [.listening])
            for _ in 0..<cycles {
                try server.bind(to: "tcp://127.0.0.1:*")
                let lastEndpoint = server.lastEndpoint
                guard let endpoint = lastEndpoint else { throw TestFailure("no last endpoint") }
                try server.unbind(from: endpoint)
            }
            // Now read them all; each read waits at most the test timeout. (Count LISTENING
            // only: libzmq 4.3 occasionally leaves an unbound listener open until the socket
            // closes, and reports its CLOSED then.)
            var count = 0
            while count < cycles, try monitor.receiveEvent() != nil { count += 1 }
            return count
        }
        guard let outcome = work.wait(timeout: .seconds(30)) else {
            Issue.record("libzmq blocked on a monitor whose reader fell behind")
            context.shutdown()
            _ = work.wait()
            return
        }
        let count = try outcome.get()
        #expect(count == cycles)
    }

    @Test func droppingAMonitorWhileMonitoringGoesOnDoesNotBlockLibzmq() throws {
        let context = try Context()
        // libzmq would block on the first event after its reader is closed; the dropped
        // monitor keeps reading in the background until monitoring stops.
        let work = BackgroundThread { () throws -> Bool in
            let server = try makeSocket(SocketType.Pull.self, context: context)
            do {
                let monitor = try server.monitor()
                _ = consume monitor
            }
            for _ in 0..<20 {
                try server.bind(to: "tcp://127.0.0.1:*")
                let lastEndpoint = server.lastEndpoint
                guard let endpoint = lastEndpoint else { throw TestFailure("no last endpoint") }
                let client = try makeSocket(SocketType.Push.self, context: context)
                try client.connect(to: endpoint)
                try client.send("through")
                let received = try server.receiveString()
                guard received == "through" else { throw TestFailure("received \(String(describing: received))") }
                client.close()
                try server.unbind(from: endpoint)
            }
            return true
        }
        guard let outcome = work.wait() else {
            Issue.record("libzmq blocked after the monitor was dropped")
            context.shutdown()
            _ = work.wait()
            return
        }
        #expect(try outcome.get())
    }

    @Test func aDroppedMonitorLetsGoOnceTheSocketCloses() throws {
        // The background reader of a dropped monitor holds its socket, and so the context,
        // until monitoring stops: the context is released only if the reader ends.
        weak var released: Context?
        do {
            let context = try Context()
            released = context
            let server = try makeSocket(SocketType.Pull.self, context: context)
            try server.bind(to: "tcp://127.0.0.1:*")
            do {
                let monitor = try server.monitor()
                _ = consume monitor
            }
            server.close()
        }
        let contextReleased = waitUntil { released == nil }
        #expect(contextReleased, "the dropped monitor's reader did not end when the socket closed")
    }

    // MARK: - The end of monitoring

    @Test func stopMonitorWakesABlockedReaderWhoseMaskLeavesOutMonitorStopped() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        let endpoint = Transport.inproc.bindEndpoint()
        try server.startMonitor(on: endpoint, events: [.accepted])
        let connected = OneShot<Bool>()
        let reader = BackgroundThread { () throws -> MonitorEvent? in
            // No receive timeout: the reader waits until an event comes.
            let monitor = try PairSocket(context: context)
            try monitor.setOption(.linger, .zero)
            try monitor.connect(to: endpoint)
            connected.send(true)
            return try monitor.receiveMonitorEvent()
        }
        let readerConnected = connected.wait()
        #expect(readerConnected == true)
        blockingSleep(.milliseconds(20))   // most likely blocked in the receive by now
        try server.stopMonitor()
        guard let outcome = reader.wait() else {
            Issue.record("stopMonitor left the reader blocked")
            context.shutdown()   // wakes the blocked reader
            _ = reader.wait()
            return
        }
        let event = try outcome.get()
        #expect(event?.kind == .monitorStopped)
    }

    @Test func stopMonitorEndsAMonitorWhoseMaskLeavesOutMonitorStopped() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: server, events: [.accepted])
        try server.stopMonitor()

        let stopped = try monitor.receiveEvent()
        let isStopped = monitor.isStopped
        #expect(stopped?.kind == .monitorStopped)
        #expect(stopped?.description == "monitor stopped")
        #expect(isStopped)

        // Nothing follows the end, and asking does not wait for the receive timeout.
        let start = ContinuousClock.now
        let afterStop = try monitor.receiveEvent()
        #expect(afterStop == nil)
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func closingTheMonitoredSocketEndsTheMonitor() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: server)
        try server.bind(to: "tcp://127.0.0.1:*")
        let listening = try nextEvent(.listening, on: &monitor)
        let listeningFD = try #require(listening?.kind.fileDescriptor)

        server.close()
        var kinds: [MonitorEvent.Kind] = []
        while let event = try monitor.receiveEvent() { kinds.append(event.kind) }
        #expect(kinds == [.closed(fileDescriptor: listeningFD), .monitorStopped])
    }

    @Test func startingAnotherMonitorStopsTheFirst() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var first = try makeMonitor(on: server)
        var second = try makeMonitor(on: server)

        let firstEnd = try first.receiveEvent()
        #expect(firstEnd?.kind == .monitorStopped)

        try server.bind(to: "tcp://127.0.0.1:*")
        let listening = try second.receiveEvent()
        #expect(listening?.kind.flag == .listening)
    }

    @Test func contextShutdownEndsTheMonitorWithMonitorStopped() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: server)
        context.shutdown()

        let last = try monitor.receiveEvent()
        #expect(last?.kind == .monitorStopped)
        let afterLast = try monitor.receiveEvent()
        #expect(afterLast == nil)
    }

    // MARK: - Typed events

    @Test func tcpEventsCarryDescriptorsAndPeerAddresses() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var serverMonitor = try makeMonitor(on: server)
        try server.bind(to: "tcp://127.0.0.1:*")
        let lastEndpoint = server.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        let serverAddress = String(endpoint.dropFirst("tcp://".count))

        let listening = try #require(try nextEvent(.listening, on: &serverMonitor))
        let listeningFD = try #require(listening.kind.fileDescriptor)
        #expect(listening.endpoint == endpoint)
        #expect(listening.peerAddress == nil)
        #expect(listening.description == "listening \(endpoint) (fd \(listeningFD))")

        let client = try makeSocket(SocketType.Push.self, context: context)
        var clientMonitor = try makeMonitor(on: client)
        try client.connect(to: endpoint)

        // The client's side: connected to the server's address.
        let connected = try #require(try nextEvent(.connected, on: &clientMonitor))
        let connectedFD = try #require(connected.kind.fileDescriptor)
        #expect(connected.endpoint == endpoint)
        #expect(connected.peerAddress == serverAddress)
        #expect(connected.description == "connected \(endpoint) (fd \(connectedFD), peer \(serverAddress))")
        // The connection is open (nothing has closed it), so its local address is the
        // address the server sees.
        let clientAddress = try #require(localAddress(of: connectedFD))

        // The server's side: accepted from the client's address.
        let accepted = try #require(try nextEvent(.accepted, on: &serverMonitor))
        let acceptedFD = try #require(accepted.kind.fileDescriptor)
        #expect(accepted.endpoint == endpoint)
        #expect(accepted.peerAddress == clientAddress)
        #expect(accepted.description == "accepted \(endpoint) (fd \(acceptedFD), peer \(clientAddress))")

        let serverHandshake = try nextEvent(.handshakeSucceeded, on: &serverMonitor)
        #expect(serverHandshake?.kind == .handshakeSucceeded)
        #expect(serverHandshake?.peerAddress == clientAddress)
        let clientHandshake = try nextEvent(.handshakeSucceeded, on: &clientMonitor)
        #expect(clientHandshake?.peerAddress == serverAddress)

        // The client hangs up: libzmq closes the server's descriptor, and the monitor still
        // knows whose it was.
        client.close()
        let disconnected = try #require(try nextEvent(.disconnected, on: &serverMonitor))
        #expect(disconnected.kind == .disconnected(fileDescriptor: acceptedFD))
        #expect(disconnected.endpoint == endpoint)
        #expect(disconnected.peerAddress == clientAddress)
        #expect(disconnected.description
            == "disconnected \(endpoint) (fd \(acceptedFD), peer \(clientAddress))")
    }

    @Test func ipcEventsCarryDescriptorsButNoPeerAddress() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var serverMonitor = try makeMonitor(on: server)
        let client = try makeSocket(SocketType.Push.self, context: context)
        var clientMonitor = try makeMonitor(on: client)
        let endpoint = try connect(client, to: server, over: .ipc)

        let listening = try nextEvent(.listening, on: &serverMonitor)
        #expect(listening?.endpoint == endpoint)
        #expect(listening?.kind.fileDescriptor != nil)
        let accepted = try #require(try nextEvent(.accepted, on: &serverMonitor))
        #expect(accepted.endpoint == endpoint)
        #expect(accepted.peerAddress == nil)
        let handshake = try nextEvent(.handshakeSucceeded, on: &serverMonitor)
        #expect(handshake?.endpoint == endpoint)
        let connected = try nextEvent(.connected, on: &clientMonitor)
        #expect(connected?.endpoint == endpoint)
        #expect(connected?.peerAddress == nil)

        client.close()
        let disconnected = try nextEvent(.disconnected, on: &serverMonitor)
        #expect(disconnected?.kind == .disconnected(fileDescriptor: try #require(accepted.kind.fileDescriptor)))
        #expect(disconnected?.peerAddress == nil)
    }

    @Test func inprocReportsNoConnectionEvents() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: server)
        let client = try makeSocket(SocketType.Push.self, context: context)
        try connect(client, to: server, over: .inproc)
        try client.send("hello")
        let received = try server.receiveString()
        #expect(received == "hello")

        try monitor.socket.setOption(.receiveTimeout, .milliseconds(100))
        let event = try monitor.receiveEvent()
        #expect(event == nil, "got \(String(describing: event))")
        try server.stopMonitor()
        let stopped = try monitor.receiveEvent()
        #expect(stopped?.kind == .monitorStopped)
    }

    @Test func connectRetriedCarriesTheRetryInterval() throws {
        let context = try Context()
        let client = try makeSocket(SocketType.Push.self, context: context)
        try client.setOption(.reconnectInterval, .milliseconds(50))
        var monitor = try makeMonitor(on: client, events: [.connectRetried])
        let endpoint = "tcp://127.0.0.1:\(try unusedLoopbackPort())"
        try client.connect(to: endpoint)

        let retried = try #require(try monitor.receiveEvent())
        #expect(retried.endpoint == endpoint)
        guard case .connectRetried(let interval) = retried.kind else {
            Issue.record("expected connect retried, got \(retried)")
            return
        }
        // libzmq waits the reconnect interval plus a random part smaller than it.
        #expect(interval >= .milliseconds(50) && interval < .milliseconds(100))
        let milliseconds = Int(interval / .milliseconds(1))
        #expect(retried.description == "connect retried \(endpoint) (next attempt in \(milliseconds) ms)")
    }

    @Test func bindFailedCarriesTheError() throws {
        let context = try Context()
        let first = try makeSocket(SocketType.Pull.self, context: context)
        try first.bind(to: "tcp://127.0.0.1:*")
        let lastEndpoint = first.lastEndpoint
        let endpoint = try #require(lastEndpoint)

        let second = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: second, events: [.bindFailed])
        do {
            try second.bind(to: endpoint)
            Issue.record("binding a port in use should fail")
        } catch {
            #expect(error == .addressInUse)
        }
        let failed = try #require(try monitor.receiveEvent())
        #expect(failed.kind == .bindFailed(.addressInUse))
        // libzmq 4.3 reports the address without its transport.
        let address = String(endpoint.dropFirst("tcp://".count))
        #expect(failed.endpoint == address)
        #expect(failed.description == "bind failed \(address): \(ZMQError.addressInUse)")
    }

    @Test func filteredEventsStillLetTheMonitorKnowThePeerOnDisconnect() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        var monitor = try makeMonitor(on: server, events: [.disconnected])
        let client = try makeSocket(SocketType.Push.self, context: context)
        let endpoint = try connect(client, to: server, over: .tcp)
        try client.send("hello")
        let received = try server.receiveString()
        #expect(received == "hello")

        // Reading promptly lets the monitor see the (undelivered) accepted event while the
        // connection is open.
        let early = try monitor.receiveEvent(.dontWait)
        #expect(early == nil, "got \(String(describing: early))")

        client.close()
        let disconnected = try #require(try monitor.receiveEvent())
        #expect(disconnected.kind.flag == .disconnected)
        let peer = try #require(disconnected.peerAddress)
        #expect(peer.hasPrefix("127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":" + peer.split(separator: ":").last!), "the peer is the client, not the server")
    }

    // MARK: - Handshake failures

    @Test func authenticationFailureCarriesTheZAPStatusOnBothSides() throws {
        let context = try Context()
        let zap = ZAPHandler(context: context, statusCode: "400")
        defer { zap.stop() }
        try #require(zap.ready())

        let server = try makeSocket(SocketType.Pull.self, context: context)
        try server.setOption(.plainServer, true)
        var serverMonitor = try makeMonitor(on: server)
        try server.bind(to: "tcp://127.0.0.1:*")
        let lastEndpoint = server.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        let serverAddress = String(endpoint.dropFirst("tcp://".count))

        let client = try makeSocket(SocketType.Push.self, context: context)
        try client.setOption(.plainUsername, "admin")
        try client.setOption(.plainPassword, "wrong")
        var clientMonitor = try makeMonitor(on: client)
        try client.connect(to: endpoint)

        // The server hears it from its ZAP handler...
        let serverEvents = try events(upTo: .handshakeFailedAuthentication, on: &serverMonitor)
        #expect(!serverEvents.contains { $0.kind == .handshakeSucceeded })
        let serverFailure = try #require(serverEvents.last)
        #expect(serverFailure.kind == .handshakeFailed(.authentication(statusCode: 400)))
        #expect(serverFailure.endpoint == endpoint)
        if let peer = serverFailure.peerAddress {
            // Known only if the connection was still open when `accepted` was read.
            #expect(peer.hasPrefix("127.0.0.1:") && peer != serverAddress)
        }

        // ...and the client from the server's ERROR command.
        let clientEvents = try events(upTo: .handshakeFailedAuthentication, on: &clientMonitor)
        #expect(!clientEvents.contains { $0.kind == .handshakeSucceeded })
        let clientFailure = try #require(clientEvents.last)
        #expect(clientFailure.kind == .handshakeFailed(.authentication(statusCode: 400)))
        #expect(clientFailure.peerAddress == serverAddress)
        #expect(clientFailure.description == "handshake failed \(endpoint) (peer \(serverAddress)): "
            + "authentication refused with ZAP status 400")

        let requests = zap.requests
        #expect(requests.first?.mechanism == "PLAIN")
        #expect(requests.first?.credentials == ["admin", "wrong"])
    }

    @Test func mechanismMismatchIsAProtocolErrorOnBothSides() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)   // NULL mechanism
        var serverMonitor = try makeMonitor(on: server, events: .handshakeFailed)
        let client = try makeSocket(SocketType.Push.self, context: context)
        try client.setOption(.plainUsername, "admin")
        try client.setOption(.plainPassword, "secret")
        var clientMonitor = try makeMonitor(on: client, events: .handshakeFailed)
        let endpoint = try connect(client, to: server, over: .tcp)

        let serverFailure = try serverMonitor.receiveEvent()
        #expect(serverFailure?.kind == .handshakeFailed(.protocol(.mechanismMismatch)))
        #expect(serverFailure?.endpoint == endpoint)
        let clientFailure = try #require(try clientMonitor.receiveEvent())
        #expect(clientFailure.kind == .handshakeFailed(.protocol(.mechanismMismatch)))
        let serverAddress = String(endpoint.dropFirst("tcp://".count))
        #expect(clientFailure.description == "handshake failed \(endpoint) (peer \(serverAddress)): "
            + "mechanism mismatch (ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)")
    }

    @Test(.enabled(if: ZeroMQLibrary.has(.curve)))
    func curveClientWithTheWrongServerKey() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let impostor = try CurveKeyPair.generate()

        let server = try makeSocket(SocketType.Pull.self, context: context)
        try server.setOption(.curveServer, true)
        try server.setOption(.curveSecretKey, serverKeys.secretKey)
        var serverMonitor = try makeMonitor(on: server, events: .handshakeFailed)
        let client = try makeSocket(SocketType.Push.self, context: context)
        try client.setOption(.curveServerKey, impostor.publicKey)
        try client.setOption(.curvePublicKey, clientKeys.publicKey)
        try client.setOption(.curveSecretKey, clientKeys.secretKey)
        var clientMonitor = try makeMonitor(on: client, events: .handshakeFailed)
        try connect(client, to: server, over: .tcp)

        // The server can't decrypt the client's HELLO, and hangs up on it.
        let serverFailure = try serverMonitor.receiveEvent()
        #expect(serverFailure?.kind == .handshakeFailed(.protocol(.cryptographic)))
        let clientFailure = try #require(try clientMonitor.receiveEvent())
        guard case .handshakeFailed(.noDetail(let error)) = clientFailure.kind else {
            Issue.record("expected a handshake failure without detail, got \(clientFailure)")
            return
        }
        #expect(error != .wouldBlock)
    }

    // MARK: - startMonitor and receiveMonitorEvent

    @Test func receiveMonitorEventReadsTypedEventsOfStartMonitor() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        let monitorEndpoint = Transport.inproc.bindEndpoint()
        try server.startMonitor(on: monitorEndpoint, events: [.listening, .accepted])
        // Connect the reader before anything happens, so that libzmq never waits for it.
        let monitor = try makeSocket(SocketType.Pair.self, context: context)
        try monitor.connect(to: monitorEndpoint)

        let client = try makeSocket(SocketType.Push.self, context: context)
        let endpoint = try connect(client, to: server, over: .tcp)
        let listening = try monitor.receiveMonitorEvent()
        #expect(listening?.kind.flag == .listening)
        #expect(listening?.endpoint == endpoint)
        let accepted = try monitor.receiveMonitorEvent()
        #expect(accepted?.kind.flag == .accepted)
        // Read while the connection is open, the peer is the client.
        #expect(accepted?.peerAddress?.hasPrefix("127.0.0.1:") == true)

        try server.stopMonitor()
        let stopped = try monitor.receiveMonitorEvent()
        #expect(stopped?.kind == .monitorStopped)
    }

    @Test func monitorEndpointMustBeInproc() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        do {
            try server.startMonitor(on: "tcp://127.0.0.1:*")
            Issue.record("a tcp:// monitor endpoint should be rejected")
        } catch {
            #expect(error == .protocolNotSupported)
            #expect(error.endpoint == "tcp://127.0.0.1:*")
            #expect(error.description.hasPrefix(
                "monitor on 'tcp://127.0.0.1:*': a monitor publishes its events on an inproc:// endpoint only: "),
                "\(error)")
        }
    }

    // MARK: - Descriptions

    @Test func eventsDescribeThemselves() {
        let endpoint = "tcp://127.0.0.1:5555"
        let cases: [(MonitorEvent, String)] = [
            (MonitorEvent(kind: .accepted(fileDescriptor: 12), endpoint: endpoint),
             "accepted tcp://127.0.0.1:5555 (fd 12)"),
            (MonitorEvent(kind: .accepted(fileDescriptor: 12), endpoint: endpoint, peerAddress: "127.0.0.1:50344"),
             "accepted tcp://127.0.0.1:5555 (fd 12, peer 127.0.0.1:50344)"),
            (MonitorEvent(kind: .connected(fileDescriptor: 9), endpoint: "tcp://[::1]:5555", peerAddress: "[::1]:5555"),
             "connected tcp://[::1]:5555 (fd 9, peer [::1]:5555)"),
            (MonitorEvent(kind: .connectDelayed, endpoint: endpoint), "connect delayed tcp://127.0.0.1:5555"),
            (MonitorEvent(kind: .connectRetried(interval: .milliseconds(150)), endpoint: endpoint),
             "connect retried tcp://127.0.0.1:5555 (next attempt in 150 ms)"),
            (MonitorEvent(kind: .listening(fileDescriptor: 7), endpoint: endpoint),
             "listening tcp://127.0.0.1:5555 (fd 7)"),
            (MonitorEvent(kind: .bindFailed(.addressInUse), endpoint: "127.0.0.1:5555"),
             "bind failed 127.0.0.1:5555: \(ZMQError.addressInUse.message) (EADDRINUSE)"),
            (MonitorEvent(kind: .acceptFailed(.tooManyOpenFiles), endpoint: endpoint),
             "accept failed tcp://127.0.0.1:5555: \(ZMQError.tooManyOpenFiles.message) (EMFILE)"),
            (MonitorEvent(kind: .closed(fileDescriptor: 7), endpoint: endpoint), "closed tcp://127.0.0.1:5555 (fd 7)"),
            (MonitorEvent(kind: .closeFailed(.noSuchEndpoint), endpoint: "ipc:///tmp/x.ipc"),
             "close failed ipc:///tmp/x.ipc: \(ZMQError.noSuchEndpoint.message) (ENOENT)"),
            (MonitorEvent(kind: .disconnected(fileDescriptor: 12), endpoint: endpoint, peerAddress: "10.0.0.2:40000"),
             "disconnected tcp://127.0.0.1:5555 (fd 12, peer 10.0.0.2:40000)"),
            (MonitorEvent(kind: .monitorStopped, endpoint: ""), "monitor stopped"),
            (MonitorEvent(kind: .handshakeSucceeded, endpoint: endpoint), "handshake succeeded tcp://127.0.0.1:5555"),
            (MonitorEvent(kind: .handshakeFailed(.noDetail(.invalidArgument)), endpoint: endpoint),
             "handshake failed tcp://127.0.0.1:5555: \(ZMQError.invalidArgument.message) (EINVAL)"),
            (MonitorEvent(kind: .handshakeFailed(.protocol(.zapBadVersion)), endpoint: endpoint),
             "handshake failed tcp://127.0.0.1:5555: ZAP reply with a bad version (ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION)"),
            (MonitorEvent(kind: .handshakeFailed(.authentication(statusCode: 400)), endpoint: endpoint,
                          peerAddress: "127.0.0.1:50344"),
             "handshake failed tcp://127.0.0.1:5555 (peer 127.0.0.1:50344): authentication refused with ZAP status 400"),
            (MonitorEvent(kind: .unknown(event: 0x8000, value: 3), endpoint: endpoint),
             "event 0x8000 tcp://127.0.0.1:5555 (value 3)"),
        ]
        for (event, expected) in cases {
            #expect(event.description == expected)
        }
    }

    @Test func eventKindsBelongToTheirFlags() {
        let cases: [(MonitorEvent.Kind, MonitorEvents)] = [
            (.connected(fileDescriptor: 1), .connected),
            (.connectDelayed, .connectDelayed),
            (.connectRetried(interval: .zero), .connectRetried),
            (.listening(fileDescriptor: 1), .listening),
            (.bindFailed(.addressInUse), .bindFailed),
            (.accepted(fileDescriptor: 1), .accepted),
            (.acceptFailed(.tooManyOpenFiles), .acceptFailed),
            (.closed(fileDescriptor: 1), .closed),
            (.closeFailed(.noSuchEndpoint), .closeFailed),
            (.disconnected(fileDescriptor: 1), .disconnected),
            (.monitorStopped, .monitorStopped),
            (.handshakeSucceeded, .handshakeSucceeded),
            (.handshakeFailed(.noDetail(.invalidArgument)), .handshakeFailedNoDetail),
            (.handshakeFailed(.protocol(.cryptographic)), .handshakeFailedProtocol),
            (.handshakeFailed(.authentication(statusCode: 300)), .handshakeFailedAuthentication),
            (.unknown(event: 0x8000, value: 0), MonitorEvents(rawValue: 0x8000)),
        ]
        for (kind, flag) in cases {
            #expect(kind.flag == flag, "\(kind)")
        }
        let handshakeFailures: MonitorEvents = .handshakeFailed
        #expect(handshakeFailures == [.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuthentication])
    }

    @Test func monitorEventSetsPrintTheirNames() {
        let accepting: MonitorEvents = [.connected, .accepted]
        #expect(accepting.description == "[.connected, .accepted]")
        #expect("\(accepting)" == "[.connected, .accepted]")
        #expect(MonitorEvents().description == "[]")
        #expect(MonitorEvents.all.description == "[.all]")
        #expect(MonitorEvents.handshakeFailed.description
            == "[.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuthentication]")
        #expect(MonitorEvents(rawValue: 0x8008).description == "[.listening, 0x8000]")
    }

    @Test func zmtpErrorsHaveNamesAndDescriptions() {
        #expect(ZMTPError.mechanismMismatch.name == "ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH")
        #expect(ZMTPError.mechanismMismatch.description
            == "mechanism mismatch (ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)")
        #expect(ZMTPError.cryptographic.rawValue == 0x1100_0001)
        #expect(!ZMTPError.cryptographic.isZAPError)
        #expect(ZMTPError.zapMalformedReply.isZAPError)
        #expect(ZMTPError.zapMalformedReply.description
            == "malformed ZAP reply (ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY)")
        let unknown = ZMTPError(rawValue: 0x2000_00FF)
        #expect(unknown.name == nil)
        #expect(unknown.description == "ZAP protocol error (0x200000ff)")
        #expect(ZMTPError(rawValue: 0x1000_00FF).description == "protocol error (0x100000ff)")
    }
}

// MARK: - Helpers

/// Starts monitoring `socket`, with reads bounded by `testTimeout`.
private func makeMonitor<Kind>(
    on socket: borrowing Socket<Kind>,
    events: MonitorEvents = .all
) throws(ZMQError) -> SocketMonitor {
    let monitor = try socket.monitor(events: events)
    try monitor.socket.setOption(.receiveTimeout, testTimeout)
    return monitor
}

/// Reads events until one of the kind `flag` selects arrives, skipping the others.
///
/// - Returns: The event, or `nil` if the monitor went quiet or stopped first.
private func nextEvent(_ flag: MonitorEvents, on monitor: inout SocketMonitor) throws(ZMQError) -> MonitorEvent? {
    let deadline = ContinuousClock.now + testTimeout
    while ContinuousClock.now < deadline, let event = try monitor.receiveEvent() {
        if event.kind.flag == flag { return event }
    }
    return nil
}

/// Reads events up to and including the first of the kind `flag` selects.
///
/// - Returns: The events read; the last is of that kind unless the monitor went quiet first.
private func events(upTo flag: MonitorEvents, on monitor: inout SocketMonitor) throws(ZMQError) -> [MonitorEvent] {
    var events: [MonitorEvent] = []
    let deadline = ContinuousClock.now + testTimeout
    while ContinuousClock.now < deadline, let event = try monitor.receiveEvent() {
        events.append(event)
        if event.kind.flag == flag { break }
    }
    return events
}

/// The local `host:port` of an open TCP socket descriptor.
private func localAddress(of fd: Int32) -> String? {
    var address = sockaddr_in()
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
    }
    guard result == 0, CInt(address.sin_family) == AF_INET else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
    guard inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
    let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "\(host):\(UInt16(bigEndian: address.sin_port))"
}

/// A loopback TCP port nothing listens on: bound by a socket that never listens, then freed.
private func unusedLoopbackPort() throws -> UInt16 {
    #if canImport(Glibc)
    let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    guard let local = localAddress(of: fd), let port = local.split(separator: ":").last.flatMap({ UInt16($0) }) else {
        throw TestFailure("getsockname() failed")
    }
    return port
}

/// A ZAP handler (RFC 27) for the tests: a REP socket bound at `inproc://zeromq.zap.01` in
/// the context, on a thread of its own, that answers every request with one status code.
private final class ZAPHandler: Sendable {
    struct Request: Sendable {
        var mechanism: String
        var credentials: [String]
    }

    /// What the handler's thread shares with the test.
    private final class State: Sendable {
        let running = Atomic<Bool>(true)
        let bound = OneShot<Bool>()
        let log = Mutex<[Request]>([])
    }

    private let state = State()
    private let thread: BackgroundThread<Bool>

    init(context: Context, statusCode: String) {
        let state = self.state
        thread = BackgroundThread {
            let handler = try makeSocket(SocketType.Rep.self, context: context)
            try handler.setOption(.receiveTimeout, .milliseconds(50))
            do {
                try handler.bind(to: "inproc://zeromq.zap.01")
            } catch {
                state.bound.send(false)
                throw error
            }
            state.bound.send(true)
            while state.running.load(ordering: .relaxed) {
                // version, request id, domain, address, routing id, mechanism, credentials…
                guard let request = try handler.receiveMultipart(), request.count >= 6 else { continue }
                let text = request.map { String(decoding: $0, as: UTF8.self) }
                state.log.withLock { $0.append(Request(mechanism: text[5], credentials: Array(text[6...]))) }
                try handler.send(multipart: [Array("1.0".utf8), request[1], Array(statusCode.utf8),
                                             Array("refused by the test".utf8), [], []])
            }
            return true
        }
    }

    /// Whether the handler is bound, waiting for it.
    func ready() -> Bool { state.bound.wait() ?? false }

    /// The requests answered so far.
    var requests: [Request] { state.log.withLock { $0 } }

    /// Stops the handler and waits for its thread.
    func stop() {
        state.running.store(false, ordering: .relaxed)
        _ = thread.wait()
    }
}
