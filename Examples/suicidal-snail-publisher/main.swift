// suicidal-snail-publisher: a fast, steady publisher for suicidal-snail-subscriber.
//
// A PUB socket sends "<sequence> <microseconds-since-epoch>" every --interval-ms: sequence
// numbers from 1, stamped with the time of sending. A PUB socket never waits for a slow
// subscriber: once that subscriber's queue is full (its high-water mark), its messages are
// dropped. The subscriber notices, from the timestamps or the missing sequence numbers,
// and kills itself rather than run on stale data. This is the Suicidal Snail of chapter 5
// of the ZeroMQ Guide (suisnail.c), with the publisher in a process of its own.
//
//     suicidal-snail-publisher --bind tcp://*:5556
//     suicidal-snail-subscriber --connect tcp://127.0.0.1:5556 --work-ms 5   # too slow: dies

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct SuicidalSnailPublisher: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suicidal-snail-publisher",
        abstract: "Publish sequence-numbered, timestamped messages at a steady pace (a PUB socket).",
        discussion: """
            Each message is one frame, "<sequence> <microseconds>": the sequence number, \
            from 1, and the time it was sent in microseconds since the Unix epoch. With \
            --interval-ms 0 it publishes as fast as it can. Messages go to the subscribers \
            connected at the time; a subscriber that joins later starts mid-stream.

            Nothing goes to standard output: at a thousand messages a second the messages \
            themselves are the output, and the subscriber prints them. The "bound to" \
            status line, and a "published <n> messages" line at the end, go to standard \
            error. Runs until SIGINT or SIGTERM unless --count is given, and exits with \
            status 0.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5556.", valueName: "endpoint"))
    var bind: String

    @Option(help: "Stop after publishing this many messages (default: run until interrupted).")
    var count: Int?

    @Option(name: .customLong("interval-ms"), help: "The pause between messages, in milliseconds.")
    var intervalMilliseconds = 1

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if intervalMilliseconds < 0 { throw ValidationError("--interval-ms must not be negative.") }
    }

    func run() throws {
        try Demo.run { context in
            let socket = try PublisherSocket(context: context)
            try attempt("bind to '\(bind)'") { () throws(ZMQError) in try socket.bind(to: bind) }
            Console.error("suicidal-snail-publisher: bound to \(bind), publishing every \(intervalMilliseconds) ms")

            let interval = Duration.milliseconds(intervalMilliseconds)
            let last = count.map(UInt64.init) ?? .max
            var sequence: UInt64 = 0
            do {
                while sequence < last {
                    let stamp = SuicidalSnail.Stamp(sequence: sequence + 1, microseconds: SuicidalSnail.now())
                    // A PUB socket never blocks: a subscriber whose queue is full misses this one.
                    try socket.send(stamp.text)
                    sequence += 1
                    if sequence < last && interval > .zero {
                        try Demo.sleep(for: interval, in: context)
                    }
                }
            } catch ZMQError.contextTerminated {
                Console.error("suicidal-snail-publisher: published \(Self.messages(sequence))")
                throw ZMQError.contextTerminated
            }
            Console.error("suicidal-snail-publisher: published \(Self.messages(sequence))")
        }
    }

    /// "1 message" or "<n> messages".
    private static func messages(_ count: UInt64) -> String {
        count == 1 ? "1 message" : "\(count) messages"
    }
}

SuicidalSnailPublisher.main()
