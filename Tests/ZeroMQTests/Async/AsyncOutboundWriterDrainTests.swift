import Testing
import ZeroMQ

// A regression found by `make leakcheck` (its async-serve path lost a feeder's whole batch):
// `withOutboundWriter` asked whether its body had returned only after draining the queue, so a
// body that queued its last messages and returned in between had them dropped unsent when the
// writer closed. The window is narrow; four feeders of 100 messages into a queue of 100, 300
// times, hit it in each of three runs on the old code (2 cores).

@Suite("Async outbound writer: the last messages")
struct AsyncOutboundWriterDrainTests {
    @Test("withOutboundWriter sends every message its body queued just before returning")
    func lastQueuedMessagesGoOut() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let endpoint = try pull.bind(to: Transport.inproc.bindEndpoint()).endpoint
        try pull.setOption(.receiveTimeout, .seconds(2))
        let push = try PushSocket(context: context)
        try push.connect(to: endpoint)
        let rounds = 300
        let feeders = 4, perFeeder = 100
        var lost = 0
        var parts = Multipart()
        for round in 0..<rounds {
            // Four tasks queue 100 messages each, and the body returns as soon as they have;
            // the last of them often queues its share without waiting, while the owner drains.
            let queued = try await push.withOutboundWriter(capacity: 100) { writer in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for feeder in 0..<feeders {
                        group.addTask {
                            for index in 0..<perFeeder { try await writer.send(multipart: ["\(round)", "\(feeder)", "\(index)"]) }
                        }
                    }
                    try await group.waitForAll()
                }
                return feeders * perFeeder
            }
            // withOutboundWriter has returned: all of them are in the socket already. A lost
            // one never comes: the receive times out after 2 s, once, and the rounds stop.
            for received in 0..<queued {
                guard try await pull.receive(into: &parts) else {
                    lost = queued - received
                    break
                }
                #expect(parts.string(at: 0) == "\(round)", "a message of another round")
            }
            if lost > 0 { break }
        }
        #expect(lost == 0, "messages queued by the body were not sent before withOutboundWriter returned")
    }
}
