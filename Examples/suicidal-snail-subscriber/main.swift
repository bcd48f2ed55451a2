// suicidal-snail-subscriber: a subscriber that kills itself when it falls behind.
//
// A subscriber that cannot keep up with its publisher sees older and older data, and then,
// once its queue overflows, loses messages without being told. The Guide's Suicidal Snail
// (chapter 5, suisnail.c) detects this and stops loudly rather than run on: each message
// carries a sequence number and the time it was sent, so a message that is too late, or a
// sequence number that is missing, means the subscriber is too slow.
//
//     suicidal-snail-publisher --bind tcp://*:5556
//     suicidal-snail-subscriber --connect tcp://127.0.0.1:5556 --count 1000       # keeps up
//     suicidal-snail-subscriber --connect tcp://127.0.0.1:5556 --work-ms 5        # dies

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct SuicidalSnailSubscriber: ParsableCommand {
    /// The receive high-water mark: the most messages queued in the subscriber before its
    /// connection stops reading, so that a slow subscriber pushes back on the publisher (which
    /// then drops its messages) instead of hoarding a long backlog of stale ones.
    static let receiveHighWaterMark = 100

    static let configuration = CommandConfiguration(
        commandName: "suicidal-snail-subscriber",
        abstract: "Follow a suicidal-snail-publisher, and abort when falling behind (a SUB socket).",
        discussion: """
            Subscribes to everything, with a receive high-water mark of \
            \(receiveHighWaterMark) messages, and reads "<sequence> <microseconds>" \
            messages. Each message is printed on standard output as it arrived, then the \
            subscriber "works" for --work-ms.

            It aborts when a message arrives more than --max-delay-ms after it was sent, or \
            when a sequence number is missing (the publisher dropped it at the high-water \
            mark, because this subscriber was slow): it says which on standard error, then \
            prints "E: subscriber cannot keep up, aborting" there and exits with status 3. \
            The first message it sees sets the baseline: joining mid-stream (a PUB socket \
            sends only to subscribers already connected) is not a gap. A sequence that \
            starts over, from a restarted publisher, sets a new baseline. A message in \
            another form is reported on standard error and skipped.

            Status lines (the "connected to" line, and a summary at the end) go to standard \
            error. With --count it exits with status 0 after that many messages on time; \
            without, it runs until SIGINT or SIGTERM, and exits with status 0.
            """
    )

    @Option(help: ArgumentHelp(
        "The publisher to connect to, such as tcp://127.0.0.1:5556.", valueName: "endpoint"))
    var connect: String

    @Option(name: .customLong("max-delay-ms"), help: "The most a message may be late, in milliseconds.")
    var maxDelayMilliseconds = 1000

    @Option(name: .customLong("work-ms"), help: "How long to work on each message, in milliseconds.")
    var workMilliseconds = 0

    @Option(help: "Stop after receiving this many messages (default: run until interrupted).")
    var count: Int?

    func validate() throws {
        if maxDelayMilliseconds < 0 { throw ValidationError("--max-delay-ms must not be negative.") }
        if workMilliseconds < 0 { throw ValidationError("--work-ms must not be negative.") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        try Demo.run { context in
            let socket = try SubscriberSocket(context: context)
            try socket.setOption(.receiveHighWaterMark, Self.receiveHighWaterMark)
            try attempt("connect to '\(connect)'") { () throws(ZMQError) in try socket.connect(to: connect) }
            try attempt("subscribe") { () throws(ZMQError) in try socket.subscribe(to: "") }
            Console.error("suicidal-snail-subscriber: connected to \(connect), following everything")

            // In microseconds; a limit too large to count in them is no limit.
            let (product, overflow) = Int64(maxDelayMilliseconds).multipliedReportingOverflow(by: 1_000)
            let maxDelay = overflow ? Int64.max : product
            let work = Duration.milliseconds(workMilliseconds)
            var message = Message()
            var expected: UInt64?  // the next sequence number, once the first message set it
            var received = 0
            var worstDelay: Int64 = 0  // microseconds
            func summary() {
                let delay = milliseconds(worstDelay)
                let what = switch received {
                case 0: "no message"
                case 1: "1 message, \(delay) ms after it was sent"
                default: "\(received) messages, each at most \(delay) ms after it was sent"
                }
                Console.error("suicidal-snail-subscriber: received \(what)")
            }
            func abort(_ reason: String) throws -> Never {
                Console.error("suicidal-snail-subscriber: \(reason)")
                Console.error("E: subscriber cannot keep up, aborting")
                throw ExitCode(3)
            }

            do {
                while received < count ?? .max {
                    guard try socket.receive(into: &message) else { continue }
                    let arrival = SuicidalSnail.now()
                    guard let stamp = message.withUnsafeBytes({ SuicidalSnail.Stamp(parsing: $0) }),
                          !message.hasMore
                    else {
                        try skipMalformed(&message, from: socket)
                        continue
                    }
                    if let next = expected {
                        if stamp.sequence > next {
                            let missing = stamp.sequence - next == 1
                                ? "message \(next) is missing: the publisher dropped it"
                                : "messages \(next) to \(stamp.sequence - 1) are missing: the publisher dropped them"
                            try abort("\(missing) (received \(stamp.sequence) after \(next - 1))")
                        }
                        if stamp.sequence < next {
                            Console.error("""
                                suicidal-snail-subscriber: the sequence started over at \(stamp.sequence), \
                                after \(next - 1): a new publisher; following it
                                """)
                        }
                    }
                    expected = stamp.sequence &+ 1
                    let delay = arrival - stamp.microseconds
                    if delay > maxDelay {
                        try abort("""
                            message \(stamp.sequence) arrived \(milliseconds(delay)) ms after it was sent, \
                            more than \(maxDelayMilliseconds) ms
                            """)
                    }
                    worstDelay = max(worstDelay, delay)
                    print(message.string)
                    received += 1
                    // Work on it, unless it was the last one wanted.
                    if work > .zero && received < count ?? .max { try Demo.sleep(for: work, in: context) }
                }
            } catch ZMQError.contextTerminated {
                summary()
                throw ZMQError.contextTerminated
            }
            summary()
        }
    }

    /// Reports and drops a message that is not "<sequence> <microseconds>", with the rest of
    /// its frames if it has several.
    private func skipMalformed(_ message: inout Message, from socket: borrowing SubscriberSocket) throws {
        var text = message.string
        while message.hasMore, try socket.receive(into: &message, .dontWait) {
            text += " | " + message.string
        }
        Console.error("suicidal-snail-subscriber: ignoring a malformed message '\(text)'")
    }
}

/// Microseconds as milliseconds with one decimal, such as "12.3".
private func milliseconds(_ microseconds: Int64) -> String {
    let tenths = microseconds / 100
    let sign = tenths < 0 ? "-" : ""
    return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
}

SuicidalSnailSubscriber.main()
