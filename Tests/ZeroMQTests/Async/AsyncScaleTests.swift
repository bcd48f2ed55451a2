import Synchronization
import Testing
import ZeroMQ

// Many sockets waiting at once on the one event thread, and a context shutdown that wakes
// them all. The thread count is read from /proc while they wait: one thread per socket would
// show up as a thousand more.

@Suite("Async sockets at scale")
struct AsyncScaleTests {
    static let socketCount = 1_000

    @Test("1,000 PULL sockets wait at once on one event thread, then each receives its message",
          arguments: Transport.allCases)
    func thousandSocketsWaitOnOneThread(_ transport: Transport) async throws {
        let context = try Context(maxSockets: Self.socketCount + 64, defaultLinger: .zero)
        try await startEventThread(context: context)
        let threadsBefore = processThreadCount()

        let push = try PushSocket(context: context)
        let waiting = Progress()
        let completed = Progress()
        let progress = Progress()
        var threadsWhileWaiting = 0
        var eventThreads = 0
        let received = try await withWatchdog("1,000 waiting sockets over \(transport)", context: context,
                                              progress: progress, limit: .seconds(60)) {
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<Self.socketCount {
                    progress.tick()
                    let pull = try PullSocket(context: context)
                    try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
                    group.addTask { [pull = consume pull] in
                        waiting.tick()
                        let text = try await pull.receiveString()
                        completed.tick()
                        progress.tick()
                        return text
                    }
                }
                // Let every task reach its receive and park.
                while waiting.count < Self.socketCount {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(100))
                threadsWhileWaiting = processThreadCount()
                eventThreads = threadCount(named: "zmq-async")
                #expect(completed.count == 0, "no receive completes before its message is sent")

                // PUSH deals round-robin over its 1,000 peers: one message each.
                for index in 0..<Self.socketCount {
                    try await push.send("message \(index)")
                }
                var received: [String] = []
                for try await text in group {
                    received.append(text ?? "nil")
                }
                return received
            }
        }

        #expect(received.count == Self.socketCount)
        #expect(Set(received) == Set((0..<Self.socketCount).map { "message \($0)" }),
                "each socket received exactly one of the messages")
        #expect(eventThreads == 1, "one event thread serves every socket")
        // Other suites run in parallel and start threads of their own; a thread per socket
        // would add a thousand.
        #expect(threadsWhileWaiting - threadsBefore < 100,
                "threads: \(threadsBefore) before, \(threadsWhileWaiting) with 1,000 sockets waiting")
        report("1000-waiting \(transport): threads \(threadsBefore) before, \(threadsWhileWaiting) while "
            + "1,000 receives wait; \(eventThreads) zmq-async thread")
    }

    @Test("Context shutdown wakes 1,000 suspended receives and 100 suspended sends with contextTerminated")
    func shutdownWakesEverySuspendedOperation() async throws {
        let receivers = Self.socketCount
        let senders = 100
        let context = try Context(maxSockets: receivers + senders + 64, defaultLinger: .zero)
        try await startEventThread(context: context)
        let waiting = Progress()
        let shutdownAt = Stamp()
        let threadsBefore = processThreadCount()
        var threadsWhileWaiting = 0

        let endings: [Ending] = try await withWatchdog("shutdown of 1,100 waiting operations", context: context,
                                             progress: waiting, stallLimit: .seconds(30), limit: .seconds(60)) {
            try await withThrowingTaskGroup(of: Ending.self) { group in
                for index in 0..<receivers {
                    let pull = try PullSocket(context: context)
                    try pull.bind(to: Transport.inproc.bindEndpoint())
                    // Some waits have a deadline, so the timer path is woken too.
                    if index % 10 == 0 { try pull.setOption(.receiveTimeout, .seconds(60)) }
                    group.addTask { [pull = consume pull] in
                        waiting.tick()
                        return await ending(of: { try await pull.receiveString() },
                                            then: { try await pull.receiveString(.dontWait) })
                    }
                }
                for index in 0..<senders {
                    // A PUSH socket with no peer has no room: its send waits.
                    let push = try PushSocket(context: context)
                    if index % 10 == 0 { try push.setOption(.sendTimeout, .seconds(60)) }
                    group.addTask { [push = consume push] in
                        waiting.tick()
                        return await ending(of: { try await push.send(multipart: ["a", "b"]) ? "sent" : nil },
                                            then: { try await push.send("c") ? "sent" : nil })
                    }
                }
                while waiting.count < receivers + senders {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(200))
                threadsWhileWaiting = processThreadCount()
                shutdownAt.record()
                context.shutdown()
                var endings: [Ending] = []
                for try await ending in group { endings.append(ending) }
                return endings
            }
        }

        #expect(endings.count == receivers + senders)
        let wrong = endings.filter { !$0.terminated }
        #expect(wrong.isEmpty, "operations that did not end with contextTerminated: \(wrong.prefix(5).map(\.error))")
        #expect(endings.allSatisfy { $0.laterOperationTerminated }, "later operations fail with contextTerminated")
        let start = shutdownAt.nanoseconds
        var wakeUps = Latencies()
        for ending in endings { wakeUps.append(ending.endedAt &- start) }
        let slowest = wakeUps.quantile(1)
        report("shutdown-wake: \(receivers) receives + \(senders) sends woken by Context.shutdown(): "
            + "\(wakeUps.summary) (the max is the time until all were woken); "
            + "threads \(threadsBefore) before, \(threadsWhileWaiting) while waiting")
        // The issue's target is 100 ms; the bound allows for a loaded machine.
        #expect(slowest < 2_000, "all operations woken within \(milliseconds(slowest))")
    }
}

/// Makes sure the process's event thread runs, with one wait that times out, so that thread
/// counts taken afterwards compare like with like.
func startEventThread(context: Context) async throws {
    let pull = try PullSocket(context: context)
    try pull.setOption(.receiveTimeout, .milliseconds(1))
    _ = try await pull.receiveString()
}

/// How a waiting operation ended after the context was shut down.
private struct Ending: Sendable {
    /// The error the first operation ended with, described.
    var error: String
    /// Whether it was `.contextTerminated`.
    var terminated: Bool
    /// Whether an operation after it also failed with `.contextTerminated`, at once.
    var laterOperationTerminated: Bool
    /// When the first operation ended.
    var endedAt: UInt64
}

/// Runs `operation`, then `later`, and records how they ended.
private func ending(of operation: () async throws -> String?,
                    then later: () async throws -> String?) async -> Ending {
    var ending = Ending(error: "none", terminated: false, laterOperationTerminated: false, endedAt: 0)
    do {
        let result = try await operation()
        ending.error = "returned \(result ?? "nil")"
    } catch ZMQError.contextTerminated {
        ending.error = "contextTerminated"
        ending.terminated = true
    } catch {
        ending.error = "\(error)"
    }
    ending.endedAt = nowNanoseconds()
    do {
        _ = try await later()
    } catch ZMQError.contextTerminated {
        ending.laterOperationTerminated = true
    } catch {}
    return ending
}
