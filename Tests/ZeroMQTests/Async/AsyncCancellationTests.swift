import Synchronization
import Testing
import ZeroMQ

// Cancellation that loses nothing: a task cancelled while it waits in a receive or a send
// ends with CancellationError, promptly; a message is then either returned to the cancelled
// caller or still in the socket for the next receive; a cancelled send queued the whole
// message or none of it. Each test races cancellation against the operation at three
// moments (parked, racing an arriving message or a freed slot, and before the operation
// even starts), a thousand times per transport, and accounts for every message.

/// When, relative to the operation, a round cancels it.
private enum Moment: CaseIterable {
    /// The task is parked (nothing can complete the operation), then cancelled.
    case parked
    /// The task is cancelled while the peer makes the operation possible.
    case racing
    /// The task is cancelled as soon as it is created, before or as it starts.
    case beforeStart

    static func of(round: Int) -> Moment { allCases[round % allCases.count] }
}

@Suite("Async cancellation")
struct AsyncCancellationTests {
    static let rounds = 1_000

    @Test("Cancelled receives lose no message and leave the socket usable", arguments: Transport.allCases)
    func cancelledReceivesLoseNothing(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let slot = SocketSlot(pull)
        let progress = Progress()
        var latencies = Latencies()
        var receivedByCancelledCall = 0
        var receivedAfterwards = 0
        var outcomes: [Moment: (completed: Int, cancelled: Int)] = [:]

        try await withWatchdog("cancelled receives over \(transport)", context: context, progress: progress) {
            for round in 0..<Self.rounds {
                progress.tick()
                let moment = Moment.of(round: round)
                let payload = "message \(round)"
                let started = TaskFlag()
                let cancelledAt = Stamp()
                let task = progress.cancelOnStall(Task { () async throws -> (Outcome, UInt64) in
                    let socket = try slot.take()
                    started.raise()
                    let outcome = await Outcome { try await socket.receiveString() }
                    let ended = nowNanoseconds()
                    slot.put(socket)
                    return (outcome, ended)
                })
                let sent: Bool
                switch moment {
                case .parked:
                    try await started.wait()
                    try await Task.sleep(for: .milliseconds(2))
                    cancelledAt.record()
                    task.cancel()
                    sent = false
                case .racing:
                    try await started.wait()
                    spin(nanoseconds: UInt64(round % 7) * 10_000)
                    if round % 2 == 0 {
                        try await push.send(payload)
                        task.cancel()
                    } else {
                        task.cancel()
                        try await push.send(payload)
                    }
                    sent = true
                case .beforeStart:
                    if round % 2 == 0 { try await push.send(payload) }
                    task.cancel()
                    if round % 2 == 1 { try await push.send(payload) }
                    sent = true
                }
                let (outcome, ended) = try await task.value
                var tally = outcomes[moment] ?? (0, 0)
                switch outcome {
                case .completed(let text):
                    #expect(text == payload, "round \(round) (\(moment)): the receive returned \(text ?? "nil")")
                    #expect(sent, "round \(round): a receive completed with no message sent")
                    receivedByCancelledCall += 1
                    tally.completed += 1
                case .cancelled:
                    tally.cancelled += 1
                    if moment == .parked {
                        latencies.append(ended - cancelledAt.nanoseconds)
                    }
                    if !sent { try await push.send(payload) }
                    // The message was not returned, so it must still be in the socket.
                    let socket = try slot.take()
                    try socket.setOption(.receiveTimeout, testTimeout)
                    let next = try await socket.receiveString()
                    try socket.setOption(.receiveTimeout, nil)
                    slot.put(socket)
                    #expect(next == payload, "round \(round) (\(moment)): after the cancelled receive, got \(next ?? "nothing")")
                    receivedAfterwards += 1
                case .failed(let error):
                    Issue.record("round \(round) (\(moment)): the receive threw \(error)")
                }
                outcomes[moment] = tally
            }
        }

        // Nothing extra is left, and the socket still works.
        let socket = try slot.take()
        #expect(try await socket.receiveString(.dontWait) == nil)
        try await push.send("after the races")
        try socket.setOption(.receiveTimeout, testTimeout)
        #expect(try await socket.receiveString() == "after the races")

        #expect(receivedByCancelledCall + receivedAfterwards == Self.rounds)
        let parkedRounds = (0..<Self.rounds).filter { Moment.of(round: $0) == .parked }.count
        #expect(outcomes[.parked]?.cancelled == parkedRounds, "every parked receive ends cancelled")
        report("cancel-receive \(transport): parked-receive cancel latency \(latencies.summary); "
            + "outcomes \(describe(outcomes))")
        #expect(latencies.median < 100 * Double(Slack.factor), "median cancellation latency \(milliseconds(latencies.median))")
    }

    @Test("Cancelled multipart sends into a full high-water mark queue all of a message or none of it",
          arguments: Transport.allCases)
    func cancelledSendsQueueAllOrNothing(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try makeTiny(pull)
        try makeTiny(push)
        try pull.setOption(.receiveTimeout, testTimeout)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let slot = SocketSlot(push)
        let progress = Progress()
        var latencies = Latencies()
        // Sequence numbers of the messages queued, in order; what the receiver must see.
        var queued: [Int] = []
        var received: [Int] = []
        var nextSequence = 0
        var outcomes: [Moment: (completed: Int, cancelled: Int)] = [:]
        var incoming = Multipart()

        /// Receives one message and checks it is whole.
        func receiveOne(_ flags: ReceiveFlags = []) async throws -> Bool {
            guard try await pull.receive(into: &incoming, flags) else { return false }
            progress.tick()
            guard let sequence = checkedSequence(of: incoming) else {
                Issue.record("a partial or corrupt multipart message: \(incoming.count) frames")
                return true
            }
            received.append(sequence)
            return true
        }

        /// Fills the socket with whole messages until there has been no room for a couple of
        /// milliseconds (a send with `.dontWait` may see no room while libzmq still has
        /// commands to process that make some, and TCP moves messages on for a while).
        func fill(limit: Int = 256) async throws {
            let socket = try slot.take()
            try socket.setOption(.sendTimeout, .milliseconds(2))
            var parts = try Multipart(copying: framesFor(sequence: nextSequence))
            for _ in 0..<limit {
                guard try await socket.send(&parts) else { break }
                queued.append(nextSequence)
                nextSequence += 1
                parts = try Multipart(copying: framesFor(sequence: nextSequence))
            }
            try socket.setOption(.sendTimeout, nil)
            slot.put(socket)
        }

        try await withWatchdog("cancelled sends over \(transport)", context: context, progress: progress) {
            try await fill(limit: 10_000)
            for round in 0..<Self.rounds {
                progress.tick()
                let moment = Moment.of(round: round)
                let sequence = nextSequence
                nextSequence += 1
                let frames = framesFor(sequence: sequence)
                let started = TaskFlag()
                let cancelledAt = Stamp()
                let task = progress.cancelOnStall(Task { () async throws -> (Outcome, UInt64) in
                    let socket = try slot.take()
                    var parts = try Multipart(copying: frames)
                    started.raise()
                    let outcome = await Outcome {
                        try await socket.send(&parts) ? "queued" : nil
                    }
                    let ended = nowNanoseconds()
                    if outcome == .cancelled && parts.count != frames.count {
                        Issue.record("round \(round): a cancelled send left \(parts.count) of \(frames.count) frames")
                    }
                    slot.put(socket)
                    return (outcome, ended)
                })
                switch moment {
                case .parked:
                    try await started.wait()
                    try await Task.sleep(for: .milliseconds(2))
                    cancelledAt.record()
                    task.cancel()
                case .racing:
                    try await started.wait()
                    spin(nanoseconds: UInt64(round % 7) * 10_000)
                    if round % 2 == 0 {
                        _ = try await receiveOne()
                        task.cancel()
                    } else {
                        task.cancel()
                        _ = try await receiveOne()
                    }
                case .beforeStart:
                    task.cancel()
                    if round % 2 == 0 { _ = try await receiveOne() }
                }
                let (outcome, ended) = try await task.value
                var tally = outcomes[moment] ?? (0, 0)
                switch outcome {
                case .completed("queued"):
                    queued.append(sequence)
                    tally.completed += 1
                case .completed(let other):
                    Issue.record("round \(round): the send returned \(other ?? "false") with no timeout set")
                case .cancelled:
                    tally.cancelled += 1
                    if moment == .parked {
                        latencies.append(ended - cancelledAt.nanoseconds)
                    }
                case .failed(let error):
                    Issue.record("round \(round) (\(moment)): the send threw \(error)")
                }
                outcomes[moment] = tally
                // Keep the socket full, so that the next round's send has to wait.
                try await fill()
            }
            // Drain: everything queued arrives, nothing else.
            while received.count < queued.count {
                guard try await receiveOne() else {
                    Issue.record("only \(received.count) of \(queued.count) queued messages arrived")
                    break
                }
            }
        }

        #expect(received == queued, "every queued message arrives once, in order; no cancelled one arrives")
        try pull.setOption(.receiveTimeout, .milliseconds(50))
        #expect(try await pull.receive(into: &incoming) == false, "no cancelled message arrives late")

        // The sending socket still works.
        let socket = try slot.take()
        #expect(try await socket.send(multipart: ["after", "the races"]))
        try pull.setOption(.receiveTimeout, testTimeout)
        #expect(try await pull.receiveMultipart() == [Array("after".utf8), Array("the races".utf8)])

        let cancelledCount = outcomes.values.reduce(0) { $0 + $1.cancelled }
        #expect(cancelledCount > 0, "some sends were cancelled")
        report("cancel-send \(transport): parked-send cancel latency \(latencies.summary); "
            + "outcomes \(describe(outcomes)); \(queued.count) messages queued")
        if latencies.count > 0 {
            #expect(latencies.median < 100 * Double(Slack.factor), "median cancellation latency \(milliseconds(latencies.median))")
        }
    }

    @Test("A cancelled parked receive of a multipart message leaves the whole message for the next one",
          arguments: Transport.allCases)
    func cancelledMultipartReceiveKeepsMessage(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let slot = SocketSlot(pull)
        let progress = Progress()
        try await withWatchdog("multipart receive cancellation over \(transport)", context: context, progress: progress) {
            for round in 0..<200 {
                progress.tick()
                let started = TaskFlag()
                let task = progress.cancelOnStall(Task { () async throws -> Outcome in
                    let socket = try slot.take()
                    started.raise()
                    var parts = Multipart()
                    let outcome = await Outcome {
                        try await socket.receive(into: &parts) ? parts.allBytes.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "|") : nil
                    }
                    if outcome == .cancelled && !parts.isEmpty {
                        Issue.record("round \(round): a cancelled multipart receive left \(parts.count) frames behind")
                    }
                    slot.put(socket)
                    return outcome
                })
                try await started.wait()
                if round % 2 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                task.cancel()
                try await push.send(multipart: ["a\(round)", "b\(round)", "c\(round)"])
                let outcome = try await task.value
                let expected = "a\(round)|b\(round)|c\(round)"
                if outcome != .completed(expected) {
                    #expect(outcome == .cancelled)
                    let socket = try slot.take()
                    try socket.setOption(.receiveTimeout, testTimeout)
                    var parts = Multipart()
                    #expect(try await socket.receive(into: &parts))
                    #expect(parts.allBytes.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "|") == expected)
                    try socket.setOption(.receiveTimeout, nil)
                    slot.put(socket)
                }
            }
        }
    }

    @Test("Cancelling a task suspended in a receive of each kind ends it promptly with CancellationError")
    func everyReceiveFormIsCancellable() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())
        let slot = SocketSlot(pull)
        for form in 0..<5 {
            let started = TaskFlag()
            let task = Task { () async throws -> Outcome in
                let socket = try slot.take()
                started.raise()
                let outcome = await Outcome { () async throws -> String? in
                    switch form {
                    case 0:
                        var message = Message()
                        return try await socket.receive(into: &message) ? message.string : nil
                    case 1: return try await socket.receive()?.string
                    case 2: return try await socket.receiveBytes().map { String(decoding: $0, as: UTF8.self) }
                    case 3: return try await socket.receiveString()
                    default: return try await socket.receiveMultipart()?.description
                    }
                }
                slot.put(socket)
                return outcome
            }
            try await started.wait()
            try await Task.sleep(for: .milliseconds(5))
            let start = ContinuousClock.now
            let control = ControlSleep(.milliseconds(1))
            task.cancel()
            #expect(try await task.value == .cancelled, "receive form \(form)")
            let elapsed = ContinuousClock.now - start
            let poolLateness = await control.lateness
            #expect(elapsed < poolLateness + Slack.late, "receive form \(form): \(elapsed) (a plain sleep was \(poolLateness) late)")
        }
    }

    @Test("A cancelled receive into a message empties it (libzmq clears it on every failed receive) and leaves the frame in the socket")
    func cancelledReceiveIntoMessage() async throws {
        // libzmq's zmq_msg_recv releases the message's old payload before it finds nothing to
        // receive, in the first, non-blocking try, so a receive that ends without a frame
        // (cancelled, timed out, would block) leaves the message empty, async or not.
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: Transport.inproc.bindEndpoint()).endpoint)
        let slot = SocketSlot(pull)
        let started = TaskFlag()
        let task = Task { () async throws -> (Outcome, String) in
            let socket = try slot.take()
            var message = try Message("previous payload")
            started.raise()
            let outcome = await Outcome { try await socket.receive(into: &message) ? message.string : nil }
            slot.put(socket)
            return (outcome, message.string)
        }
        try await started.wait()
        try await Task.sleep(for: .milliseconds(5))
        task.cancel()
        let (outcome, left) = try await task.value
        #expect(outcome == .cancelled)
        #expect(left == "", "the message the cancelled receive was given is left empty")
        try await push.send("the frame")
        let socket = try slot.take()
        try socket.setOption(.receiveTimeout, testTimeout)
        #expect(try await socket.receiveString() == "the frame")
    }

    @Test("A task cancelled before it receives still gets a message that is already there")
    func cancelledTaskTakesReadyMessage() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try connect(push, to: pull, over: .inproc)
        try await push.send("ready")
        let task = Task { [pull = consume pull] () async -> (Outcome, Outcome) in
            // Wait, without suspending on the socket, until cancelled.
            while !Task.isCancelled { await Task.yield() }
            let first = await Outcome { try await pull.receiveString() }
            let second = await Outcome { try await pull.receiveString() }
            return (first, second)
        }
        task.cancel()
        let (first, second) = await task.value
        #expect(first == .completed("ready"), "an operation that can complete at once does, cancelled or not")
        #expect(second == .cancelled, "one that would wait throws CancellationError at once")
    }
}

/// The frames of the multipart message with sequence number `sequence`: the number, a 1 KiB
/// body that depends on it, and a trailer that repeats it.
private func framesFor(sequence: Int) -> [[UInt8]] {
    [Array(String(sequence).utf8), patternBytes(count: 1024, seed: sequence), Array("end \(sequence)".utf8)]
}

/// The sequence number of a received message, if it is whole and intact.
private func checkedSequence(of parts: borrowing Multipart) -> Int? {
    guard parts.count == 3, let sequence = Int(parts.string(at: 0)) else { return nil }
    guard parts.bytes(at: 1) == patternBytes(count: 1024, seed: sequence),
          parts.string(at: 2) == "end \(sequence)" else { return nil }
    return sequence
}

private func describe(_ outcomes: [Moment: (completed: Int, cancelled: Int)]) -> String {
    Moment.allCases.map { moment in
        let tally = outcomes[moment] ?? (0, 0)
        return "\(moment): \(tally.completed) completed / \(tally.cancelled) cancelled"
    }.joined(separator: ", ")
}
