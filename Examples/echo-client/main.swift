// echo-client: the request side of request/reply.
//
// A REQ socket connected to one or more servers sends "msg 0", "msg 1", … and waits for
// each reply, as the Guide's classic client does. Connected to several servers, it spreads
// its requests over them in turn: with two, the first gets msg 0, 2, 4 … and the second
// msg 1, 3, 5 ….
//
//     echo-client --connect tcp://127.0.0.1:5555 --connect tcp://127.0.0.1:5556 --count 10

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct EchoClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Send numbered requests and wait for each reply (a REQ socket).",
        discussion: """
            Prints "Sending msg <i>" before each request and "Received msg <i>" after its \
            reply, for i from 0 to --count - 1; nothing else goes to standard output (the \
            "connected to" status line goes to standard error). With several --connect \
            endpoints the requests go to them in turn. Fails with status 1 if a reply takes \
            longer than --timeout-ms, or differs from its request.
            """
    )

    @Option(
        name: .customLong("connect"),
        help: ArgumentHelp(
            "An endpoint to connect to, such as tcp://127.0.0.1:5555; repeat it to spread requests over several servers.",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(help: "The number of requests to send.")
    var count = 10

    @Option(name: .customLong("timeout-ms"), help: "How long to wait for each reply, in milliseconds.")
    var timeoutMilliseconds = 5000

    func validate() throws {
        if endpoints.isEmpty { throw ValidationError("Give at least one endpoint with --connect.") }
        if count < 1 { throw ValidationError("--count must be at least 1.") }
        if !(1...Int(Int32.max)).contains(timeoutMilliseconds) {
            throw ValidationError("--timeout-ms must be from 1 to \(Int32.max).")
        }
    }

    func run() throws {
        try Demo.run { context in
            let timeout = Duration.milliseconds(timeoutMilliseconds)
            let socket = try RequestSocket(context: context)
            try socket.setOption(.receiveTimeout, timeout)
            try socket.setOption(.sendTimeout, timeout)
            // Every request that matters has been answered by the time the socket closes.
            try socket.setOption(.linger, .zero)
            for endpoint in endpoints {
                try attempt("connect to '\(endpoint)'") { () throws(ZMQError) in try socket.connect(to: endpoint) }
            }
            Console.error("echo-client: connected to \(endpoints.joined(separator: ", "))")

            var reply = Message()
            for number in 0..<count {
                let request = "msg \(number)"
                print("Sending \(request)")
                guard try socket.send(request) else {
                    throw DemoError("could not send '\(request)' within \(timeoutMilliseconds) ms")
                }
                guard try socket.receive(into: &reply) else {
                    throw DemoError("no reply to '\(request)' within \(timeoutMilliseconds) ms")
                }
                let text = reply.string
                print("Received \(text)")
                guard text == request else {
                    throw DemoError("the reply '\(text)' does not match the request '\(request)'")
                }
            }
        }
    }
}

EchoClient.main()
