import Testing
import ZeroMQ

@Suite("Async smoke")
struct AsyncSmokeTests {
    @Test(arguments: Transport.allCases)
    func pushPullWaits(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let endpoint = try pull.bind(to: transport.bindEndpoint()).endpoint
        let push = try PushSocket(context: context)
        try push.connect(to: endpoint)
        let sender = Task { [context] in
            let push2 = try PushSocket(context: context)
            try push2.connect(to: endpoint)
            for i in 0..<1000 {
                if i % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                try await push2.send("m\(i)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        var message = Message()
        for i in 0..<1000 {
            #expect(try await pull.receive(into: &message))
            #expect(message.string == "m\(i)")
        }
        try await sender.value
    }

    @Test func cancelReceive() async throws {
        let context = try Context(defaultLinger: .zero)
        let task = Task { [context] in
            let pull = try PullSocket(context: context)
            try pull.bind(to: "inproc://cancel")
            return try await pull.receiveString()
        }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        print("cancel took", ContinuousClock.now - start)
    }

    @Test func timeout() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        try pull.bind(to: "inproc://timeout")
        try pull.setOption(.receiveTimeout, .milliseconds(100))
        let start = ContinuousClock.now
        #expect(try await pull.receiveString() == nil)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(3), "\(elapsed)")
    }

    @Test func shutdownWakes() async throws {
        let context = try Context(defaultLinger: .zero)
        let task = Task { [context] in
            let pull = try PullSocket(context: context)
            try pull.bind(to: "inproc://shut")
            return try await pull.receiveString()
        }
        try await Task.sleep(for: .milliseconds(50))
        context.shutdown()
        await #expect(throws: ZMQError.contextTerminated) { try await task.value }
    }
}
