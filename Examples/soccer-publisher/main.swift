// soccer-publisher: the publishing side of publish/subscribe.
//
// A PUB socket sends random match events, "<country> <event>", at a steady pace. Subscribers
// choose the countries they follow by topic. A PUB socket drops messages for subscribers that
// have not connected yet (the "slow joiner"), so the first events may reach nobody.
//
//     soccer-publisher --bind tcp://*:5556 --interval-ms 100
//     soccer-publisher --connect tcp://127.0.0.1:5557     # a forwarder device's frontend

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct SoccerPublisher: ParsableCommand {
    static let countries = ["netherlands", "brazil", "germany", "portugal"]
    static let events = ["yellow card", "red card", "goal", "corner", "foul"]

    static let configuration = CommandConfiguration(
        commandName: "soccer-publisher",
        abstract: "Publish random soccer match events (a PUB socket).",
        discussion: """
            Each event reads "<country> <event>", with a country out of \
            \(countries.joined(separator: ", ")) and an event out of \
            \(events.joined(separator: ", ")); it is printed as "-> <event>". Standard output carries only those lines; the \
            "bound to" status line goes to standard error. Runs until SIGINT or SIGTERM \
            unless --count is given, and exits with status 0.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5556.", valueName: "endpoint"))
    var bind: String?

    @Option(help: ArgumentHelp(
        "Connect to this endpoint instead of binding, such as a forwarder device's frontend.",
        valueName: "endpoint"))
    var connect: String?

    @Option(help: "Stop after publishing this many events (default: run until interrupted).")
    var count: Int?

    @Option(name: .customLong("interval-ms"), help: "The pause between events, in milliseconds.")
    var intervalMilliseconds = 100

    func validate() throws {
        _ = try Attachment(bind: bind, connect: connect)
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        if intervalMilliseconds < 0 { throw ValidationError("--interval-ms must not be negative.") }
    }

    func run() throws {
        let attachment = try Attachment(bind: bind, connect: connect)
        try Demo.run { context in
            let socket = try PublisherSocket(context: context)
            try attachment.attach(socket)
            Console.error("soccer-publisher: \(attachment)")

            var published = 0
            while published < count ?? .max {
                let country = Self.countries[Int.random(in: Self.countries.indices)]
                let event = Self.events[Int.random(in: Self.events.indices)]
                let update = "\(country) \(event)"
                try socket.send(update)
                print("-> \(update)")
                published += 1
                if published < count ?? .max {
                    try Demo.sleep(for: .milliseconds(intervalMilliseconds), in: context)
                }
            }
        }
    }
}

SoccerPublisher.main()
