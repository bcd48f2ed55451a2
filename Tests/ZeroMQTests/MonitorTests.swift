import Testing
import ZeroMQ

// Swift Testing's #expect and #require can't take an expression that uses a noncopyable
// value (Socket), so each check below reads the value into a local first.

@Suite("Monitor")
struct MonitorTests {
    @Test(arguments: [Transport.ipc, .tcp])
    func listeningAcceptedAndDisconnectedAreReportedWithTheEndpoint(_ transport: Transport) throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        let monitorEndpoint = Transport.inproc.bindEndpoint()
        try server.startMonitor(on: monitorEndpoint, events: .all)
        // Connect the monitor before anything happens, so no event is missed.
        let monitor = try makeSocket(SocketType.Pair.self, context: context)
        try monitor.connect(to: monitorEndpoint)

        try server.bind(to: transport.bindEndpoint())
        let lastEndpoint = server.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        let listening = try nextEvent(.listening, on: monitor)
        #expect(listening?.endpoint == endpoint)

        do {
            let client = try makeSocket(SocketType.Push.self, context: context)
            try client.connect(to: endpoint)
            let accepted = try nextEvent(.accepted, on: monitor)
            #expect(accepted?.endpoint == endpoint)
            let handshake = try nextEvent(.handshakeSucceeded, on: monitor)
            #expect(handshake?.endpoint == endpoint)
            client.close()
        }

        let disconnected = try nextEvent(.disconnected, on: monitor)
        #expect(disconnected?.endpoint == endpoint)
    }

    @Test(arguments: [Transport.ipc, .tcp])
    func connectingSideReportsConnected(_ transport: Transport) throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        let client = try makeSocket(SocketType.Push.self, context: context)
        let monitorEndpoint = Transport.inproc.bindEndpoint()
        try client.startMonitor(on: monitorEndpoint, events: [.connected, .disconnected])
        let monitor = try makeSocket(SocketType.Pair.self, context: context)
        try monitor.connect(to: monitorEndpoint)

        let endpoint = try connect(client, to: server, over: transport)
        // Only the requested events are reported, so the first one is the connection.
        let connected = try monitor.receiveMonitorEvent()
        #expect(connected?.event == .connected)
        #expect(connected?.endpoint == endpoint)
    }

    @Test func stopMonitorReportsMonitorStoppedAndEndsReporting() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        let monitorEndpoint = Transport.inproc.bindEndpoint()
        try server.startMonitor(on: monitorEndpoint, events: [.accepted, .monitorStopped])
        let monitor = try makeSocket(SocketType.Pair.self, context: context)
        try monitor.connect(to: monitorEndpoint)
        try server.bind(to: Transport.tcp.bindEndpoint())
        let lastEndpoint = server.lastEndpoint
        let endpoint = try #require(lastEndpoint)

        try server.stopMonitor()
        let stopped = try monitor.receiveMonitorEvent()
        #expect(stopped?.event == .monitorStopped)

        // A connection after the monitor stopped is not reported.
        let client = try makeSocket(SocketType.Push.self, context: context)
        try client.connect(to: endpoint)
        try client.send("delivered")
        let delivered = try server.receiveString()
        #expect(delivered == "delivered")
        try monitor.setOption(.receiveTimeout, .milliseconds(100))
        let afterStop = try monitor.receiveMonitorEvent()
        #expect(afterStop == nil, "got \(String(describing: afterStop))")
    }

    @Test func monitorEndpointMustBeInproc() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pull.self, context: context)
        do {
            try server.startMonitor(on: "tcp://127.0.0.1:*")
            Issue.record("a tcp:// monitor endpoint should be rejected")
        } catch {
            #expect(error == .protocolNotSupported)
        }
    }
}

/// Reads monitor events until one of `kind` arrives, skipping the others; each read is
/// bounded by the monitor socket's receive timeout.
///
/// - Returns: The event, or `nil` if the monitor went quiet first.
private func nextEvent(
    _ kind: MonitorEvents,
    on monitor: borrowing PairSocket
) throws(ZMQError) -> MonitorEvent? {
    while let event = try monitor.receiveMonitorEvent() {
        if event.event == kind { return event }
    }
    return nil
}
