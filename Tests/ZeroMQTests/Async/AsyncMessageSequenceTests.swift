import Testing
import ZeroMQ

@Suite("Message sequences")
struct AsyncMessageSequenceTests {
    @Test("for try await over messages receives in order, and ends on context shutdown",
          arguments: Transport.allCases)
    func messagesInOrderThenEnd(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let endpoint = try pull.bind(to: transport.bindEndpoint()).endpoint
        let feeder = Task {
            let push = try PushSocket(context: context)
            try push.connect(to: endpoint)
            for index in 0..<100 { try await push.send("m\(index)") }
            try await Task.sleep(for: .milliseconds(100))
            context.shutdown()
        }
        var received: [String] = []
        for try await frame in pull.messages {
            received.append(String(decoding: frame, as: UTF8.self))
        }
        try await feeder.value
        #expect(received == (0..<100).map { "m\($0)" })
    }

    @Test("cancelling the loop's task stops it promptly with CancellationError")
    func cancellationStopsTheLoop() async throws {
        let context = try Context(defaultLinger: .zero)
        let peer = try PairSocket(context: context)
        try await withThrowingTaskGroup(of: Int.self) { group in
            let pair = try PairSocket(context: context)
            let endpoint = try pair.bind(to: Transport.inproc.bindEndpoint()).endpoint
            try peer.connect(to: endpoint)
            group.addTask { [pair = consume pair] in
                var count = 0
                for try await _ in pair.multipartMessages { count += 1 }
                return count
            }
            try await peer.send(multipart: ["a", "b"])
            try await Task.sleep(for: .milliseconds(50))
            let cancelled = ContinuousClock.now
            group.cancelAll()
            await #expect(throws: CancellationError.self) { _ = try await group.next() }
            // Generous: other tests may keep the cooperative pool busy; the latency itself is measured
            // in Benchmarks (about 0.1 ms).
            #expect(ContinuousClock.now - cancelled < .seconds(2))
        }
    }
}
