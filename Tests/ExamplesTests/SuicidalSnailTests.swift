// End-to-end tests of suicidal-snail-publisher and suicidal-snail-subscriber (the Guide's
// Suicidal Snail, chapter 5): a subscriber that keeps up, one that falls behind (late
// messages), one whose publisher drops messages at the high-water mark (a missing sequence
// number), and a PUB socket in the test that sends exactly the sequence a case needs.
//
// Delays are compared with generous limits (seconds) where the subscriber must keep up, so
// a busy machine does not fail a healthy run.

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// One line the subscriber printed: a message as it arrived.
private struct SnailMessage: Equatable {
    let sequence: UInt64
    let microseconds: Int64

    /// Reads "<sequence> <microseconds>", or `nil`.
    init?(_ line: String) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, let sequence = UInt64(fields[0]), let microseconds = Int64(fields[1]) else {
            return nil
        }
        self.sequence = sequence
        self.microseconds = microseconds
    }

    init(sequence: UInt64, microseconds: Int64) {
        self.sequence = sequence
        self.microseconds = microseconds
    }

    var text: String { "\(sequence) \(microseconds)" }

    /// A message stamped now.
    static func now(_ sequence: UInt64) -> SnailMessage {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return SnailMessage(sequence: sequence, microseconds: Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000)
    }
}

private let abortLine = "E: subscriber cannot keep up, aborting"

@Suite("Suicidal Snail demos", .timeLimit(.minutes(1)))
struct SuicidalSnailTests {
    /// Starts suicidal-snail-publisher and waits until it has bound its endpoint.
    private func startPublisher(_ endpoint: String, _ options: [String] = []) async throws -> DemoProcess {
        let publisher = try DemoProcess("suicidal-snail-publisher", ["--bind", endpoint] + options)
        try await publisher.waitForOutput("suicidal-snail-publisher: bound to \(endpoint)", on: .standardError)
        return publisher
    }

    // MARK: Command lines

    @Test("--help describes every option", arguments: [
        ("suicidal-snail-publisher", ["--bind", "--count", "--interval-ms", "<sequence> <microseconds>"]),
        ("suicidal-snail-subscriber", ["--connect", "--max-delay-ms", "--work-ms", "--count", "high-water mark of",
                                       "E: subscriber cannot keep up, aborting", "status 3"]),
    ])
    func help(_ name: String, mentions: [String]) async throws {
        let result = try await DemoProcess.run(name, ["--help"])
        #expect(result.exitedCleanly)
        #expect(result.standardOutput.contains("USAGE: \(name)"))
        for text in mentions {
            #expect(result.standardOutput.contains(text), "\(name) --help does not mention \(text)")
        }
        #expect(result.standardError.isEmpty)
    }

    @Test("a bad argument is reported with the usage, with status 64", arguments: [
        ("suicidal-snail-publisher", [String]()),
        ("suicidal-snail-publisher", ["--bind", "tcp://127.0.0.1:1", "--count", "0"]),
        ("suicidal-snail-publisher", ["--bind", "tcp://127.0.0.1:1", "--interval-ms=-1"]),
        ("suicidal-snail-publisher", ["--connect", "tcp://127.0.0.1:1"]),
        ("suicidal-snail-subscriber", []),
        ("suicidal-snail-subscriber", ["--connect", "tcp://127.0.0.1:1", "--max-delay-ms=-1"]),
        ("suicidal-snail-subscriber", ["--connect", "tcp://127.0.0.1:1", "--work-ms", "slow"]),
        ("suicidal-snail-subscriber", ["--connect", "tcp://127.0.0.1:1", "--count", "0"]),
        ("suicidal-snail-subscriber", ["--connect", "tcp://127.0.0.1:1", "--topic", "x"]),
    ])
    func badArgument(_ name: String, arguments: [String]) async throws {
        try await DemoProcess.run(name, arguments).expectUsageError(of: name)
    }

    @Test("a bad endpoint is reported on stderr, with status 1", arguments: [
        ("suicidal-snail-publisher", ["--bind", "tcp://127.0.0.1"], "error: cannot bind to 'tcp://127.0.0.1': the endpoint has no port"),
        ("suicidal-snail-subscriber", ["--connect", "nowhere"], "error: cannot connect to 'nowhere': the endpoint has no transport"),
    ])
    func badEndpoint(_ name: String, arguments: [String], error: String) async throws {
        try await DemoProcess.run(name, arguments).expectEndpointError(error)
    }

    // MARK: Keeping up

    @Test("a fast subscriber with --count receives that many messages, in sequence, and exits 0")
    func fastSubscriber() async throws {
        let endpoint = try Endpoints.fresh()
        let publisher = try await startPublisher(endpoint)
        // A generous delay limit: the test checks that the subscriber keeps up at the
        // publisher's pace, not the machine's scheduling latency.
        let result = try await DemoProcess.run(
            "suicidal-snail-subscriber", ["--connect", endpoint, "--count", "300", "--max-delay-ms", "5000"])
        #expect(result.exitedCleanly, "status \(result.status), stderr: \(result.standardError)")
        let messages = result.lines.compactMap(SnailMessage.init)
        #expect(messages.count == 300)
        #expect(messages.count == result.lines.count, "unexpected lines: \(result.lines.prefix(5))")
        // However far into the stream it joined, nothing is missing after the first.
        if let first = messages.first {
            #expect(messages.map(\.sequence) == (0..<UInt64(messages.count)).map { first.sequence + $0 })
        }
        #expect(result.errorLines.last?.hasPrefix("suicidal-snail-subscriber: received 300 messages, each at most ") == true,
                "stderr: \(result.standardError)")
        #expect(!result.standardError.contains(abortLine))

        let (stopped, _) = try await publisher.stop()
        #expect(stopped.exitedCleanly)
        #expect(stopped.standardOutput.isEmpty)
        #expect(stopped.errorLines.last?.hasPrefix("suicidal-snail-publisher: published ") == true)
    }

    @Test("the publisher numbers its messages from 1, and stops after --count (ipc)")
    func publisherNumbering() async throws {
        let endpoint = IPCEndpoints.fresh("snail")
        // The subscriber connects first, and waits for a publisher to bind. It may still miss
        // the first messages (the slow joiner), but not the last.
        let subscriber = try DemoProcess("suicidal-snail-subscriber", ["--connect", endpoint])
        try await subscriber.waitForOutput("suicidal-snail-subscriber: connected to", on: .standardError)
        let published = try await DemoProcess.run(
            "suicidal-snail-publisher", ["--bind", endpoint, "--count", "30", "--interval-ms", "20"])
        #expect(published.exitedCleanly, "stderr: \(published.standardError)")
        #expect(published.standardOutput.isEmpty)
        #expect(published.errorLines.last == "suicidal-snail-publisher: published 30 messages")

        // The publisher delivered its queue before exiting; give the subscriber a moment.
        let deadline = ContinuousClock.now + .seconds(5)
        while SnailMessage(subscriber.standardOutput.split(separator: "\n").last.map(String.init) ?? "")?.sequence != 30,
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let (received, _) = try await subscriber.stop()
        #expect(received.exitedCleanly, "stderr: \(received.standardError)")
        // Consecutive, and the 30th message is number 30: the first was number 1.
        let sequences = received.lines.compactMap(SnailMessage.init).map(\.sequence)
        #expect(sequences.count == received.lines.count)
        #expect(sequences.last == 30, "\(sequences)")
        if let first = sequences.first {
            #expect(sequences == Array(stride(from: first, through: 30, by: 1)))
        }
    }

    @Test("with --count the subscriber exits on the last message, without working on it")
    func noWorkAfterTheLastMessage() async throws {
        let endpoint = try Endpoints.fresh()
        let publisher = try await startPublisher(endpoint)
        let subscriber = try DemoProcess(
            "suicidal-snail-subscriber", ["--connect", endpoint, "--count", "1", "--work-ms", "60000"])
        // Working for a minute would outlast this wait, and fail the test.
        let result = try await subscriber.finish(within: .seconds(10))
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.lines.count == 1)
        #expect(result.errorLines.last?.hasPrefix("suicidal-snail-subscriber: received 1 message, ") == true,
                "stderr: \(result.standardError)")
        _ = try await publisher.stop()
    }

    @Test("a publisher with --count publishes that many and exits 0")
    func publisherStops() async throws {
        let result = try await DemoProcess.run(
            "suicidal-snail-publisher", ["--bind", try Endpoints.fresh(), "--count", "50", "--interval-ms", "0"])
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(result.errorLines.last == "suicidal-snail-publisher: published 50 messages")
    }

    @Test("without --count the subscriber runs until SIGINT or SIGTERM, and exits 0", arguments: [SIGINT, SIGTERM])
    func subscriberStopsOnSignal(_ signal: Int32) async throws {
        let endpoint = try Endpoints.fresh()
        let publisher = try await startPublisher(endpoint)
        let subscriber = try DemoProcess("suicidal-snail-subscriber", ["--connect", endpoint, "--max-delay-ms", "5000"])
        try await subscriber.waitForOutput(" ")  // a message arrived
        let (result, elapsed) = try await subscriber.stop(with: signal)
        #expect(result.exitedCleanly, "status \(result.status), stderr: \(result.standardError)")
        #expect(elapsed < .seconds(5))
        #expect(result.errorLines.last?.hasPrefix("suicidal-snail-subscriber: received ") == true,
                "stderr: \(result.standardError)")
        #expect(!result.standardError.contains(abortLine))
        let (stopped, _) = try await publisher.stop(with: signal)
        #expect(stopped.exitedCleanly)
    }

    // MARK: Falling behind

    @Test("a slow subscriber gets messages too late, and aborts with status 3 (ipc)")
    func lateMessages() async throws {
        let endpoint = IPCEndpoints.fresh("snail")
        let publisher = try await startPublisher(endpoint)
        // 50 ms of work per message at one message a millisecond: each message waits about
        // 49 ms longer than the one before, so the fifth or so is over 200 ms late.
        let result = try await DemoProcess.run(
            "suicidal-snail-subscriber", ["--connect", endpoint, "--work-ms", "50", "--max-delay-ms", "200"])
        #expect(!result.signaled)
        #expect(result.status == 3, "stderr: \(result.standardError)")
        #expect(result.errorLines.last == abortLine)
        let reason = result.errorLines.dropLast().last ?? ""
        #expect(reason.hasPrefix("suicidal-snail-subscriber: message ") && reason.hasSuffix(" ms after it was sent, more than 200 ms"),
                "stderr: \(result.standardError)")
        // Only messages on time were printed.
        #expect(!result.lines.isEmpty)
        #expect(result.lines.allSatisfy { SnailMessage($0) != nil })
        _ = try await publisher.stop()
    }

    @Test("messages dropped at the high-water mark leave a gap in the sequence, and the subscriber aborts with status 3")
    func droppedMessages() async throws {
        let endpoint = try Endpoints.fresh()
        let context = try Context(defaultLinger: .zero)
        let publisher = try PublisherSocket(context: context)
        try publisher.bind(to: endpoint)
        // The delay limit is out of reach: only a gap can stop it.
        let subscriber = try DemoProcess("suicidal-snail-subscriber", ["--connect", endpoint, "--max-delay-ms", "600000"])
        var next: UInt64 = 1
        let deadline = ContinuousClock.now + processTimeout
        while subscriber.standardOutput.isEmpty {
            guard ContinuousClock.now < deadline, subscriber.isRunning else {
                throw DemoTestError("the subscriber printed no message; stderr: \(subscriber.standardError)")
            }
            _ = try await publisher.send(SnailMessage.now(next).text)
            next += 1
            try await Task.sleep(for: .milliseconds(5))
        }
        // A subscriber that stops reading: its queue (a receive high-water mark of 100), the
        // kernel's socket buffers and the publisher's queue for it (a send high-water mark of
        // 1,000) fill up, and the PUB socket drops the rest of the burst. Without spinning a
        // publisher flat out, which would starve the other tests.
        subscriber.send(SIGSTOP)
        let burst: UInt64 = 100_000
        for _ in 0..<burst {
            _ = try await publisher.send(SnailMessage.now(next).text)
            next += 1
        }
        subscriber.send(SIGCONT)

        let result = try await subscriber.finish()
        #expect(!result.signaled)
        #expect(result.status == 3, "stderr: \(result.standardError)")
        #expect(result.errorLines.last == abortLine)
        let reason = result.errorLines.dropLast().last ?? ""
        #expect(reason.hasPrefix("suicidal-snail-subscriber: messages ")
                && reason.contains(" are missing: the publisher dropped them (received "),
                "stderr: \(result.standardError)")
        // Everything before the gap arrived, in order.
        let sequences = result.lines.compactMap(SnailMessage.init).map(\.sequence)
        #expect(sequences.count == result.lines.count)
        if let first = sequences.first {
            #expect(sequences == Array(first..<first + UInt64(sequences.count)))
        }
        #expect(sequences.count < Int(burst))
    }

    @Test("the first message is the baseline, a new sequence restarts it, a malformed message is skipped, and a gap aborts")
    func sequenceRules() async throws {
        let endpoint = IPCEndpoints.fresh("snail")
        let context = try Context(defaultLinger: .zero)
        let publisher = try PublisherSocket(context: context)
        try publisher.bind(to: endpoint)
        let subscriber = try DemoProcess("suicidal-snail-subscriber", ["--connect", endpoint])

        // The subscriber joins mid-stream, at 100 or later: until its subscription arrives
        // the PUB socket drops what it sends.
        var next: UInt64 = 100
        let deadline = ContinuousClock.now + processTimeout
        while subscriber.standardOutput.isEmpty {
            guard ContinuousClock.now < deadline, subscriber.isRunning else {
                throw DemoTestError("the subscriber printed no message; stderr: \(subscriber.standardError)")
            }
            _ = try await publisher.send(SnailMessage.now(next).text)
            next += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        let lastOfFirstRun = next - 1
        _ = try await publisher.send("not a snail message")
        let restarted = [SnailMessage.now(1), SnailMessage.now(2)]
        for message in restarted { _ = try await publisher.send(message.text) }
        _ = try await publisher.send(SnailMessage.now(4).text)  // 3 is missing

        let result = try await subscriber.finish()
        #expect(!result.signaled)
        #expect(result.status == 3, "stderr: \(result.standardError)")
        let messages = result.lines.compactMap(SnailMessage.init)
        #expect(messages.count == result.lines.count)
        // A consecutive run that ends with the last one sent, then the new sequence; not 4.
        #expect(Array(messages.suffix(2)) == restarted)
        let firstRun = messages.dropLast(2).map(\.sequence)
        if let first = firstRun.first {
            #expect(first >= 100)
            #expect(firstRun == Array(stride(from: first, through: lastOfFirstRun, by: 1)))
        }
        #expect(result.errorLines.suffix(4) == [
            "suicidal-snail-subscriber: ignoring a malformed message 'not a snail message'",
            "suicidal-snail-subscriber: the sequence started over at 1, after \(lastOfFirstRun): a new publisher; following it",
            "suicidal-snail-subscriber: message 3 is missing: the publisher dropped it (received 4 after 2)",
            abortLine,
        ])
    }
}
