// soccer-subscriber: the subscribing side of publish/subscribe.
//
// A SUB socket follows the topics given with --topic: a message matches when it starts with
// one of them, so "--topic brazil" receives "brazil goal" and nothing about Germany.
//
//     soccer-subscriber --connect tcp://127.0.0.1:5556 --topic brazil --topic germany

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct SoccerSubscriber: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soccer-subscriber",
        abstract: "Print the soccer events of chosen countries (a SUB socket).",
        discussion: """
            Prints each matching event on its own line, and nothing else on standard \
            output (the "connected to" status line goes to standard error), so that \
            `soccer-subscriber … | wc -l` counts events. Runs until SIGINT or SIGTERM unless \
            --count is given, and exits with status 0.
            """
    )

    @Option(help: ArgumentHelp(
        "The publisher (or forwarder backend) to connect to, such as tcp://127.0.0.1:5556.",
        valueName: "endpoint"))
    var connect: String

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic prefix to subscribe to, such as brazil; repeat it for more (default: everything).",
            valueName: "topic"))
    var topics: [String] = []

    @Option(help: "Stop after receiving this many events (default: run until interrupted).")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        try Demo.run { context in
            let socket = try SubscriberSocket(context: context)
            try attempt("connect to '\(connect)'") { () throws(ZMQError) in try socket.connect(to: connect) }
            for topic in topics.isEmpty ? [""] : topics {
                try attempt("subscribe to '\(topic)'") { () throws(ZMQError) in try socket.subscribe(to: topic) }
            }
            let following = topics.isEmpty ? "everything" : topics.joined(separator: ", ")
            Console.error("soccer-subscriber: connected to \(connect), following \(following)")

            var update = Message()
            var received = 0
            while received < count ?? .max {
                guard try socket.receive(into: &update) else { continue }
                print(update.string)
                received += 1
            }
        }
    }
}

SoccerSubscriber.main()
