// lazy-pirate-server: an echo server that misbehaves on cue, for lazy-pirate-client.
//
// A REP socket echoes each request after about a millisecond of work. Where the Guide's
// lpserver.c (chapter 4) crashes or stalls at random after a few requests, this one does it
// at the requests you name, so a test, or you, can tell what the client should do:
//
//     lazy-pirate-server --bind tcp://*:5555 --slow-at 3 --crash-at 6
//
// Request 3 takes two seconds (the client gives up on that attempt and resends); request 6
// kills the server without a reply (restart it, and the client carries on).

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct LazyPirateServer: ParsableCommand {
    /// How long a request takes at a --slow-at request, before the usual work.
    static let overload: Duration = .seconds(2)
    /// The work every request takes.
    static let work: Duration = .milliseconds(1)

    static let configuration = CommandConfiguration(
        commandName: "lazy-pirate-server",
        abstract: "Echo each request, stalling or crashing at the requests given (a REP socket).",
        discussion: """
            Standard output carries the Guide's lines: "I: normal request (<request>)" \
            before each reply, "I: simulating CPU overload" at a --slow-at request (which \
            then sleeps 2 s before the usual 1 ms of work), and "I: simulating a crash" at \
            the --crash-at request, after which the server exits with status 0 without \
            replying. Requests are counted as this process receives them, from 1, resent \
            ones included. A request of several frames is echoed \
            whole, its frames shown joined with " | ".

            The "bound to" status line goes to standard error. Runs until --crash-at, or \
            until SIGINT or SIGTERM, and exits with status 0 either way.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5555.", valueName: "endpoint"))
    var bind: String

    @Option(name: .customLong("crash-at"), help: ArgumentHelp(
        "Exit without replying when request <k> arrives.", valueName: "k"))
    var crashAt: Int?

    @Option(name: .customLong("slow-at"), help: ArgumentHelp(
        "Sleep 2 s before answering request <k>; repeat it for more.", valueName: "k"))
    var slowAt: [Int] = []

    func validate() throws {
        if let crashAt, crashAt < 1 { throw ValidationError("--crash-at must be at least 1.") }
        if slowAt.contains(where: { $0 < 1 }) { throw ValidationError("--slow-at must be at least 1.") }
    }

    func run() throws {
        let slowRequests = Set(slowAt)
        try Demo.run { context in
            let socket = try ReplySocket(context: context)
            try attempt("bind to '\(bind)'") { () throws(ZMQError) in try socket.bind(to: bind) }
            Console.error("lazy-pirate-server: bound to \(bind)")

            var request = Multipart()
            var received = 0
            while true {
                guard try socket.receive(into: &request) else { continue }
                received += 1
                if received == crashAt {
                    print("I: simulating a crash")
                    return
                }
                if slowRequests.contains(received) {
                    print("I: simulating CPU overload")
                    try Demo.sleep(for: Self.overload, in: context)
                }
                print("I: normal request (\((0..<request.count).map { request.string(at: $0) }.joined(separator: " | ")))")
                try Demo.sleep(for: Self.work, in: context)
                // Sending empties `request`, ready for the next receive.
                try socket.send(&request)
            }
        }
    }
}

LazyPirateServer.main()
