import Synchronization
import Testing
import ZeroMQ

@Suite("Async monitor events, proxies and devices")
struct AsyncMonitorAndProxyTests {
    @Test("the monitor sequence yields connect → handshake → disconnect in order, then ends",
          arguments: [Transport.tcp, .ipc])
    func monitorSequenceInOrder(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let server = try RouterSocket(context: context)
        let endpoint = try server.bind(to: transport.bindEndpoint()).endpoint
        let client = try DealerSocket(context: context)
        let events = try client.monitorEvents([.connected, .handshakeSucceeded, .disconnected])
        let reading = Task {
            var kinds: [String] = []
            for try await event in events {
                switch event.kind {
                case .connected: kinds.append("connected")
                case .handshakeSucceeded: kinds.append("handshake")
                case .disconnected: kinds.append("disconnected")
                case .monitorStopped: kinds.append("stopped")
                default: kinds.append("other: \(event)")
                }
            }
            return kinds
        }
        try client.connect(to: endpoint)
        try await client.send("hello")
        try server.setOption(.receiveTimeout, .seconds(5))
        #expect(try await server.receiveMultipart()?.count == 2)
        server.close()
        // The disconnect is seen; then closing the client ends monitoring.
        try await Task.sleep(for: .milliseconds(200))
        client.close()
        let kinds = try await withTimeout(.seconds(5)) { try await reading.value }
        #expect(kinds.first == "connected")
        #expect(kinds.contains("handshake"))
        #expect(kinds.firstIndex(of: "handshake")! < kinds.firstIndex(of: "disconnected") ?? -1)
        #expect(kinds.last == "stopped")
    }

    @Test("cancelling the task awaiting a proxy stops it through its control socket")
    func cancellingAProxy() async throws {
        let context = try Context(defaultLinger: .zero)
        let (front, back) = (Transport.inproc.bindEndpoint(), Transport.inproc.bindEndpoint())
        let (bound, boundSignal) = AsyncStream.makeStream(of: Void.self)
        let proxying = Task {
            // Made in the task that proxies them: a socket moves into a task only from a local.
            let frontend = try PullSocket(context: context)
            try frontend.bind(to: front)
            let backend = try PushSocket(context: context)
            try backend.bind(to: back)
            boundSignal.yield()
            try await proxy(frontend: frontend, backend: backend)
        }
        var signals = bound.makeAsyncIterator()
        #expect(await signals.next() != nil)
        let producer = try PushSocket(context: context)
        try producer.connect(to: front)
        let consumer = try PullSocket(context: context)
        try consumer.setOption(.receiveTimeout, .seconds(5))
        try consumer.connect(to: back)
        try await producer.send("through")
        #expect(try await consumer.receiveString() == "through")
        let cancelled = ContinuousClock.now
        proxying.cancel()
        try await withTimeout(.seconds(5)) { try await proxying.value }
        #expect(ContinuousClock.now - cancelled < .seconds(2))
        // The proxy's sockets are closed: the endpoints are free again.
        let again = try PullSocket(context: context)
        try again.bind(to: front)
    }

    @Test("a device's statistics can be awaited while it runs, also by many tasks at once")
    func deviceStatisticsWhileRunning() async throws {
        let context = try Context(defaultLinger: .zero)
        let device = try Device(.streamer, frontend: Transport.inproc.bindEndpoint(),
                                backend: Transport.inproc.bindEndpoint(), context: context)
        let waiting = Task { try await device.wait() }
        let producer = try PushSocket(context: context)
        try producer.connect(to: device.frontendEndpoint)
        let consumer = try PullSocket(context: context)
        try consumer.setOption(.receiveTimeout, .seconds(5))
        try consumer.connect(to: device.backendEndpoint)
        for index in 0..<10 { try await producer.send("m\(index)") }
        for _ in 0..<10 { _ = try await consumer.receiveString() }
        let all = await withTaskGroup(of: ProxyStatistics?.self) { group in
            for _ in 0..<8 { group.addTask { await device.statistics() } }
            return await group.reduce(into: [ProxyStatistics?]()) { $0.append($1) }
        }
        for statistics in all {
            #expect(statistics?.frontend.messagesReceived == 10)
            #expect(statistics?.backend.messagesSent == 10)
        }
        waiting.cancel()
        try await withTimeout(.seconds(5)) { try await waiting.value }
        #expect(device.isFinished)
        #expect(await device.statistics() == nil)
    }
}

/// Runs `body`, failing the test instead of hanging when it takes longer than `limit`.
func withTimeout<Value: Sendable>(
    _ limit: Duration,
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TimedOut(limit: limit)
        }
        group.cancelAll()
        return value
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "timed out after \(limit)" }
}
