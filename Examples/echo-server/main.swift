// echo-server: the reply side of request/reply.
//
// A REP socket answers each request with exactly the frames it received, reusing one
// `Multipart` for every message. Try it with `echo-client`, or behind a queue device:
//
//     echo-server --bind tcp://*:5555
//     echo-server --connect tcp://127.0.0.1:5560      # a queue device's backend

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct EchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Answer each request with the same frames (a REP socket).",
        discussion: """
            Prints "Got <request>" for each request (frames separated by " | ") and sends the \
            frames back unchanged. Stops after --count requests, or on SIGINT or SIGTERM, and \
            exits with status 0 either way.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5555.", valueName: "endpoint"))
    var bind: String?

    @Option(help: ArgumentHelp(
        "Connect to this endpoint instead of binding, such as a queue device's backend.",
        valueName: "endpoint"))
    var connect: String?

    @Option(help: "Stop after answering this many requests (default: run until interrupted).")
    var count: Int?

    func validate() throws {
        _ = try Attachment(bind: bind, connect: connect)
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
    }

    func run() throws {
        let attachment = try Attachment(bind: bind, connect: connect)
        try Demo.run { context in
            let socket = try ReplySocket(context: context)
            try attachment.attach(socket)
            print("echo-server: \(attachment)")

            var request = Multipart()
            var answered = 0
            while answered < count ?? .max {
                guard try socket.receive(into: &request) else { continue }
                let frames = (0..<request.count).map { request.string(at: $0) }
                print("Got \(frames.joined(separator: " | "))")
                // Sending empties `request`, ready for the next receive.
                try socket.send(&request)
                answered += 1
            }
        }
    }
}

EchoServer.main()
