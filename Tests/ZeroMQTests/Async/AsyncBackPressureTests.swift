import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// Back-pressure: an async send into a full high-water mark suspends until there is room,
// drops nothing, and does not spin; `.dontWait` reports "would block" at once, as the
// blocking API does.

@Suite("Async back-pressure")
struct AsyncBackPressureTests {
    @Test("An async send into a full high-water mark suspends, then resumes as the receiver drains; nothing is dropped",
          arguments: Transport.allCases)
    func sendSuspendsUntilDrained(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try makeTiny(pull)
        try makeTiny(push)
        try pull.setOption(.receiveTimeout, testTimeout)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let count = 300
        let sent = Progress()
        let progress = Progress()

        let drained = TaskFlag()
        let sender = progress.cancelOnStall(Task { [push = consume push] in
            for index in 0..<count {
                // 16 KiB frames fill TCP's buffers after a few messages.
                try await push.send(multipart: [Array(String(index).utf8), patternBytes(count: 16_384, seed: index)])
                sent.tick()
                progress.tick()
            }
            // Closing the socket (linger zero) would drop what is still on its way.
            try await drained.wait()
        })
        try await withWatchdog("back-pressure over \(transport)", context: context, progress: progress) {
            // Wait until the sender stops making progress: it is suspended on a full queue.
            try await waitUntilStuck(sent)
            let stuckAt = sent.count
            #expect(stuckAt < count, "the sender is held back by the high-water mark")
            try await Task.sleep(for: .milliseconds(100))
            #expect(sent.count == stuckAt, "a suspended send stays suspended while nobody drains")

            // Drain slowly at first, then at full speed: everything arrives, in order.
            var parts = Multipart()
            for index in 0..<count {
                #expect(try await pull.receive(into: &parts), "message \(index) arrives")
                progress.tick()
                #expect(parts.count == 2 && parts.string(at: 0) == String(index), "message \(index) in order")
                #expect(parts.count == 2 && parts.bytes(at: 1) == patternBytes(count: 16_384, seed: index))
                if index < 5 { try await Task.sleep(for: .milliseconds(10)) }
            }
            drained.raise()
            try await sender.value
            #expect(sent.count == count)
            #expect(try await pull.receive(.dontWait) == nil, "nothing beyond what was sent")
            report("back-pressure \(transport): the sender was held after \(stuckAt) of \(count) messages")
        }
    }

    @Test("With .dontWait a send into a full high-water mark reports would-block at once and keeps the message",
          arguments: Transport.allCases)
    func dontWaitReportsWouldBlock(_ transport: Transport) async throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try PullSocket(context: context)
        let push = try PushSocket(context: context)
        try makeTiny(pull)
        try makeTiny(push)
        try push.connect(to: pull.bind(to: transport.bindEndpoint()).endpoint)
        let filled = try await fillUntilFull(push)
        #expect(filled > 0)

        let start = ContinuousClock.now
        #expect(try await push.send("string", .dontWait) == false)
        var message = try Message("kept")
        #expect(try await push.send(&message, .dontWait) == false)
        #expect(message.string == "kept", "a refused send leaves the message with the caller")
        var parts = try Multipart(["one", "two", "three"])
        #expect(try await push.send(&parts, .dontWait) == false)
        #expect(parts.count == 3 && parts.string(at: 2) == "three", "a refused multipart send leaves every frame")
        #expect(try await push.send(multipart: ["a", "b"], .dontWait) == false)
        #expect(try await pull.receive(.dontWait) != nil, "the filled messages are there")
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < Slack.atOnce, "would-block is reported at once (took \(elapsed))")

        // An empty receiver reports would-block at once too.
        let empty = try PullSocket(context: context)
        try empty.bind(to: transport.bindEndpoint())
        let receiveStart = ContinuousClock.now
        #expect(try await empty.receiveString(.dontWait) == nil)
        var incoming = Multipart()
        #expect(try await empty.receive(into: &incoming, .dontWait) == false)
        let leftEmpty = incoming.isEmpty
        #expect(leftEmpty)
        #expect(ContinuousClock.now - receiveStart < Slack.atOnce)
    }

    @Test("A send suspended on a full high-water mark uses no CPU while it waits")
    func suspendedSendDoesNotSpin() async throws {
        // Measured in a child process of its own, where no other test burns CPU.
        await #expect(processExitsWith: .success) {
            try await ChildReport.run(name: "no-spin") { checks in
                try await measureCPUOfSuspendedSend(checks: &checks)
            }
        }
        ChildReport.collect(name: "no-spin")
    }
}

/// Fills a tiny high-water mark, lets the async sender suspend, and measures the process's
/// CPU time over 200 ms while it waits (in the child process).
///
/// - Returns: The line to report.
private func measureCPUOfSuspendedSend(checks: inout [String]) async throws -> String {
    let context = try Context(defaultLinger: .zero)
    let pull = try PullSocket(context: context)
    let push = try PushSocket(context: context)
    try makeTiny(pull)
    try makeTiny(push)
    try push.connect(to: pull.bind(to: Transport.inproc.bindEndpoint()).endpoint)
    let count = 50
    let sent = Progress()
    let drained = TaskFlag()
    let sender = Task { [push = consume push] in
        for index in 0..<count {
            try await push.send("message \(index)")
            sent.tick()
        }
        try await drained.wait()
    }
    try await waitUntilStuck(sent)
    let cpuBefore = processCPUNanoseconds()
    let wallBefore = nowNanoseconds()
    try await Task.sleep(for: .milliseconds(200))
    let cpu = Double(processCPUNanoseconds() - cpuBefore) / 1e6
    let wall = Double(nowNanoseconds() - wallBefore) / 1e6
    let stuckAt = sent.count
    for index in 0..<count {
        let text = try await pull.receiveString()
        if text != "message \(index)" {
            checks.append("message \(index) missing, got \(text ?? "nil")")
            break
        }
    }
    drained.raise()
    try await sender.value
    if stuckAt >= count { checks.append("the sender never waited") }
    // A spinning wait would use a whole core: 200 ms.
    if !(cpu < 40) { checks.append("the waiting process used \(milliseconds(cpu)) of CPU") }
    return "no-spin: CPU \(milliseconds(cpu)) over \(milliseconds(wall)) while the sender waited after "
        + "\(stuckAt) of \(count) messages"
}

/// Waits until the sender has sent something and then made no progress for 300 ms (three
/// seconds under ThreadSanitizer, where TCP moves slowly enough to look stuck for a while): it
/// is held back by the high-water mark. Quiet time is counted 50 ms at most per check, so a
/// cooperative pool held up by other tests does not pass for a stuck sender.
private func waitUntilStuck(_ sent: Progress) async throws {
    let quiet = Duration.milliseconds(300) * Slack.factor
    let deadline = ContinuousClock.now + .seconds(60)
    var last = sent.count
    var previous = ContinuousClock.now
    var quietFor = Duration.zero
    while true {
        try await Task.sleep(for: .milliseconds(20))
        let now = ContinuousClock.now
        let count = sent.count
        if count != last || count == 0 {
            last = count
            quietFor = .zero
        } else {
            quietFor += min(now - previous, .milliseconds(50))
            if quietFor >= quiet { return }
        }
        previous = now
        guard now < deadline else { throw TestFailure("the sender never got stuck (sent \(count))") }
    }
}
