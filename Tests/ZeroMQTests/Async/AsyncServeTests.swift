import Synchronization
import Testing
import ZeroMQ

@Suite("Concurrent servers: serve and the outbound writer")
struct AsyncServeTests {
    @Test("a ROUTER serves 100 concurrent REQ clients, each answered with its own frames",
          arguments: Transport.allCases)
    func routerServesConcurrentClients(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let clientCount = 100
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Made here, a local of this closure, so it can move into the serving task.
            let server = try RouterSocket(context: context)
            let endpoint = try server.bind(to: transport.bindEndpoint()).endpoint
            group.addTask { [server = consume server] in
                try await server.serve { request, replies in
                    try await Task.sleep(for: .milliseconds(200))
                    try await replies.send(request)
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for index in 0..<clientCount {
                    clients.addTask {
                        let client = try RequestSocket(context: context)
                        try client.setOption(.receiveTimeout, .seconds(10))
                        try client.connect(to: endpoint)
                        try await client.send(multipart: ["request \(index)", "", "tail"])
                        let reply = try await client.receiveMultipart()
                        #expect(reply == [Array("request \(index)".utf8), [], Array("tail".utf8)])
                    }
                }
                try await clients.waitForAll()
            }
            group.cancelAll()
            await #expect(throws: CancellationError.self) { try await group.next() }
        }
        let elapsed = ContinuousClock.now - started
        // 100 requests of 200 ms each, served one after the other, would take 20 s.
        #expect(elapsed < .seconds(5), "served in \(elapsed)")
    }

    @Test("many tasks feed one PUSH socket through the writer; every message arrives whole")
    func manyTasksFeedOnePush() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let endpoint = try pull.bind(to: Transport.tcp.bindEndpoint()).endpoint
        try pull.setOption(.receiveTimeout, .seconds(10))
        let push = try PushSocket(context: context)
        try push.setOption(.sendHighWaterMark, 10)
        try push.connect(to: endpoint)
        let producers = 8, perProducer = 500
        let sending = Task { [push = consume push] in try await push.withOutboundWriter(capacity: 16) { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for producer in 0..<producers {
                    group.addTask {
                        for index in 0..<perProducer {
                            try await writer.send(multipart: ["\(producer)", "\(index)", String(repeating: "x", count: 100)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            return producers * perProducer
        } }
        var next = [Int](repeating: 0, count: producers)
        var parts = Multipart()
        for _ in 0..<(producers * perProducer) {
            #expect(try await pull.receive(into: &parts))
            #expect(parts.count == 3)
            let producer = Int(parts.string(at: 0))!
            #expect(Int(parts.string(at: 1)) == next[producer], "out of order for producer \(producer)")
            next[producer] += 1
        }
        #expect(try await sending.value == producers * perProducer)
    }

    @Test("serve ends when the context is shut down, and the writer closes")
    func serveEndsOnShutdown() async throws {
        let context = try Context(defaultLinger: .zero)
        let server = try DealerSocket(context: context)
        try server.bind(to: Transport.inproc.bindEndpoint())
        let writerBox = Mutex<OutboundWriter?>(nil)
        let serving = Task { [server = consume server] in
            try await server.serve { _, writer in writerBox.withLock { $0 = writer } }
        }
        try await Task.sleep(for: .milliseconds(50))
        context.shutdown()
        try await serving.value
    }

    @Test("cancelling a writer whose queue is full ends it, whenever the cancellation comes")
    func cancellingAFullWriterEnds() async throws {
        let context = try Context(defaultLinger: .zero)
        for round in 0..<100 {
            let endpoint = Transport.inproc.bindEndpoint()
            let feeding = Task {
                // No peer: the PUSH socket takes nothing, so the writer's queue stays full and
                // its senders wait for room.
                let push = try PushSocket(context: context)
                try push.bind(to: endpoint)
                try await push.withOutboundWriter(capacity: 1) { writer in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<4 {
                            group.addTask { while true { try await writer.send("x") } }
                        }
                        try await group.waitForAll()
                    }
                }
            }
            try await Task.sleep(for: .microseconds(round % 7 * 300))
            feeding.cancel()
            let outcome = try await withTimeout(.seconds(10)) { await feeding.result }
            #expect(throws: CancellationError.self, "round \(round)") { try outcome.get() }
        }
    }
}

