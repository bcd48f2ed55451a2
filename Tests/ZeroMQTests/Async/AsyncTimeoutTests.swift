import Synchronization
import Testing
import ZeroMQ

// The socket's own send and receive timeouts keep their blocking meaning in async code: with
// a timeout T, a wait gives up after T and the call returns nil or false; a timeout of zero
// doesn't wait at all. Deadlines left behind by earlier waits never cut a later wait short.

@Suite("Async timeouts")
struct AsyncTimeoutTests {
    @Test("A receive with a timeout returns nil after about that long, in every form", arguments: Transport.allCases)
    func receiveTimesOut(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let timeout = Duration.milliseconds(100)
        try pull.setOption(.receiveTimeout, timeout)

        var start = ContinuousClock.now
        var control = ControlSleep(timeout)
        #expect(try await pull.receiveString() == nil)
        try await expectWaited(since: start, about: timeout, control: control)

        start = .now
        control = ControlSleep(timeout)
        var message = try Message("stale")
        #expect(try await pull.receive(into: &message) == false)
        try await expectWaited(since: start, about: timeout, control: control)
        // As with the blocking call, libzmq empties the message when nothing is received.
        let messageEmpty = message.isEmpty
        #expect(messageEmpty)

        start = .now
        control = ControlSleep(timeout)
        var parts = try Multipart(["stale"])
        #expect(try await pull.receive(into: &parts) == false)
        try await expectWaited(since: start, about: timeout, control: control)
        let partsEmpty = parts.isEmpty
        #expect(partsEmpty, "a multipart receive that times out leaves no frames")

        // The socket still works, and a message that is there comes at once.
        try await push.send("after the time-outs")
        try pull.setOption(.receiveTimeout, testTimeout)
        #expect(try await pull.receiveString() == "after the time-outs")
    }

    @Test("A receive timeout of zero does not wait", arguments: Transport.allCases)
    func zeroReceiveTimeoutDoesNotWait(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        try pull.setOption(.receiveTimeout, .zero)
        let start = ContinuousClock.now
        #expect(try await pull.receiveString() == nil)
        var parts = Multipart()
        #expect(try await pull.receive(into: &parts) == false)
        #expect(ContinuousClock.now - start < Slack.atOnce, "took \(ContinuousClock.now - start)")

        try await push.send("ready")
        var message: String?
        for _ in 0..<1_000 where message == nil {
            message = try await pull.receiveString()
            if message == nil { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(message == "ready", "with a zero timeout, a message that is there is still received")
    }

    @Test("A send with a timeout into a full high-water mark returns false after about that long",
          arguments: Transport.allCases)
    func sendTimesOut(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try makeTiny(pull)
        try makeTiny(push)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        try await fillUntilFull(push)
        let timeout = Duration.milliseconds(100)
        try push.setOption(.sendTimeout, timeout)

        var start = ContinuousClock.now
        var control = ControlSleep(timeout)
        #expect(try await push.send("late") == false)
        try await expectWaited(since: start, about: timeout, control: control)

        start = .now
        control = ControlSleep(timeout)
        var parts = try Multipart(["one", "two"])
        #expect(try await push.send(&parts) == false)
        try await expectWaited(since: start, about: timeout, control: control)
        #expect(parts.count == 2, "a send that times out leaves the frames with the caller")

        try push.setOption(.sendTimeout, .zero)
        start = .now
        #expect(try await push.send("not now") == false)
        #expect(ContinuousClock.now - start < Slack.atOnce, "a zero send timeout does not wait")

        // Draining makes room again.
        try pull.setOption(.receiveTimeout, testTimeout)
        try push.setOption(.sendTimeout, testTimeout)
        while try await pull.receive(.dontWait) != nil {}
        #expect(try await push.send(&parts))
        var received = Multipart()
        var found = false
        while !found, try await pull.receive(into: &received) {
            found = received.count == 2 && received.string(at: 0) == "one"
        }
        #expect(found, "the multipart message sent after the time-outs arrives")
    }

    @Test("A message that arrives before the timeout is returned", arguments: Transport.allCases)
    func messageBeforeTimeoutIsReturned(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let endpoint = try pull.bind(to: transport.bindEndpoint()).endpoint
        try pull.setOption(.receiveTimeout, .seconds(3) * Slack.factor)
        // The sender is a thread of its own, so that it sends on time however busy the
        // cooperative pool is.
        let sender = try SocketThread(name: "test-sender") { () throws(ZMQError) -> Bool in
            let push = try makeSocket(SocketType.Push.self, context: context)
            try push.connect(to: endpoint)
            blockingSleep(.milliseconds(50))
            let sent = try push.send("in time")
            blockingSleep(.milliseconds(500))
            return sent
        }
        let start = ContinuousClock.now
        #expect(try await pull.receiveString() == "in time", "after \(ContinuousClock.now - start)")
        #expect(try await sender.value())
    }

    @Test("A deadline left by an earlier, shorter wait does not end a later, longer one early")
    func staleShortDeadlineIsIgnored() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: Transport.inproc.bindEndpoint()).endpoint)
        let slot = SocketSlot(push)

        // First wait: a deadline far enough away for a busy test run, ended early by a message.
        let firstTimeout = Duration.milliseconds(1_500) * (Slack.threadSanitizer ? 3 : 1)
        try pull.setOption(.receiveTimeout, firstTimeout)
        let firstStart = ContinuousClock.now
        let first = try sendLater("first", after: .milliseconds(10), from: slot)
        #expect(try await pull.receiveString() == "first")
        try await first.value()

        // Second wait: longer. The first wait's deadline comes due while it waits; the message
        // comes after that and must be what the receive returns.
        try pull.setOption(.receiveTimeout, .seconds(10) * Slack.factor)
        let sendAfter = firstStart + firstTimeout + .milliseconds(300) - .now
        let second = try sendLater("second", after: sendAfter, from: slot)
        let start = ContinuousClock.now
        let text = try await pull.receiveString()
        let elapsed = ContinuousClock.now - start
        #expect(text == "second", "the receive returned \(text ?? "nil") after \(elapsed)")
        #expect(ContinuousClock.now > firstStart + firstTimeout, "the first wait's deadline passed during the second")
        try await second.value()
    }

    @Test("A shorter deadline after a longer one still ends its wait on time")
    func laterShorterDeadlineIsHonoured() async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try push.connect(to: pull.bind(to: Transport.inproc.bindEndpoint()).endpoint)
        let slot = SocketSlot(push)

        try pull.setOption(.receiveTimeout, .seconds(3))
        let first = try sendLater("first", after: .milliseconds(10), from: slot)
        #expect(try await pull.receiveString() == "first")
        try await first.value()

        let timeout = Duration.milliseconds(100)
        try pull.setOption(.receiveTimeout, timeout)
        let start = ContinuousClock.now
        let control = ControlSleep(timeout)
        #expect(try await pull.receiveString() == nil)
        try await expectWaited(since: start, about: timeout, control: control)
    }

    @Test("Timed waits on many sockets end in deadline order, each after its own timeout")
    func manyDeadlines() async throws {
        let context = try Context(defaultLinger: .zero)
        let timeouts = (0..<40).map { Duration.milliseconds(50 + ($0 * 37) % 400) }
        let controls = timeouts.map { ControlSleep($0) }
        let results = try await withThrowingTaskGroup(of: (Duration, Duration, Bool).self) { group in
            for timeout in timeouts {
                let pull = try PullSocket(context: context)
                try pull.bind(to: Transport.inproc.bindEndpoint())
                try pull.setOption(.receiveTimeout, timeout)
                group.addTask { [pull = consume pull] in
                    let start = ContinuousClock.now
                    let text = try await pull.receiveString()
                    return (timeout, ContinuousClock.now - start, text == nil)
                }
            }
            var results: [(Duration, Duration, Bool)] = []
            for try await result in group { results.append(result) }
            return results
        }
        var poolLateness = Duration.zero
        for control in controls { poolLateness = max(poolLateness, await control.lateness) }
        #expect(results.count == timeouts.count)
        for (timeout, elapsed, timedOut) in results {
            #expect(timedOut)
            #expect(elapsed >= timeout - .milliseconds(2), "a \(timeout) timeout ended after \(elapsed)")
            #expect(elapsed < timeout + poolLateness + Slack.late,
                    "a \(timeout) timeout ended after \(elapsed) (plain sleeps were up to \(poolLateness) late)")
        }
    }
}

/// Checks that a wait that started at `start` and timed out took about `timeout`: not less
/// (give or take the clock's rounding), and not much later than a plain sleep of the same
/// length started with it (`control`) ran again.
private func expectWaited(
    since start: ContinuousClock.Instant,
    about timeout: Duration,
    control: ControlSleep,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let elapsed = ContinuousClock.now - start
    let poolLateness = await control.lateness
    #expect(elapsed >= timeout - .milliseconds(2), "timed out after \(elapsed), before \(timeout)",
            sourceLocation: sourceLocation)
    #expect(elapsed < timeout + max(poolLateness, .zero) + Slack.late,
            "timed out after \(elapsed), long after \(timeout) (a plain sleep was \(poolLateness) late)",
            sourceLocation: sourceLocation)
}

/// Starts a thread that takes the PUSH socket from `slot`, sends `text` after `delay`, and
/// puts the socket back. A thread of its own sends on time however busy the cooperative pool
/// is.
private func sendLater(
    _ text: String,
    after delay: Duration,
    from slot: SocketSlot<SocketType.Push>
) throws -> SocketThread<Void, any Error> {
    try SocketThread(name: "test-send-later") { () throws -> Void in
        let push = try slot.take()
        blockingSleep(delay)
        let sent = try push.send(text)
        slot.put(push)
        guard sent else { throw TestFailure("could not send \(text)") }
    }
}
