// zmq-device: the classic ZeroMQ devices, as one program.
//
// A device binds two endpoints and forwards messages between them on a background thread, so
// that both sides can connect to one stable address:
//
//     zmq-device queue --frontend tcp://*:5559 --backend tcp://*:5560       # REQ … REP
//     zmq-device forwarder --frontend tcp://*:5561 --backend tcp://*:5562   # PUB … SUB
//     zmq-device streamer --frontend tcp://*:5563 --backend tcp://*:5564    # PUSH … PULL

import ArgumentParser
import ExampleSupport
import ZeroMQ

/// The device kinds, as the command line spells them.
enum DeviceKind: String, CaseIterable, ExpressibleByArgument {
    case queue, forwarder, streamer

    var kind: Device.Kind {
        switch self {
        case .queue: .queue
        case .forwarder: .forwarder
        case .streamer: .streamer
        }
    }

    var sides: String {
        switch self {
        case .queue: "clients (REQ) connect to the frontend, servers (REP) to the backend"
        case .forwarder: "publishers (PUB) connect to the frontend, subscribers (SUB) to the backend"
        case .streamer: "producers (PUSH) connect to the frontend, consumers (PULL) to the backend"
        }
    }
}

struct ZMQDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmq-device",
        abstract: "Run a queue, forwarder or streamer device between two endpoints.",
        discussion: """
            queue: ROUTER frontend, DEALER backend; \(DeviceKind.queue.sides).
            forwarder: XSUB frontend, XPUB backend; \(DeviceKind.forwarder.sides).
            streamer: PULL frontend, PUSH backend; \(DeviceKind.streamer.sides).

            The device binds both endpoints and forwards until SIGINT or SIGTERM, then exits \
            with status 0. It prints nothing on standard output; its status line, such as \
            "queue: tcp://*:5559 -> tcp://*:5560", goes to standard error.
            """
    )

    @Argument(help: "The device to run.")
    var device: DeviceKind

    @Option(help: ArgumentHelp("The endpoint to bind the frontend to, such as tcp://*:5559.", valueName: "endpoint"))
    var frontend: String

    @Option(help: ArgumentHelp("The endpoint to bind the backend to, such as tcp://*:5560.", valueName: "endpoint"))
    var backend: String

    func run() throws {
        try Demo.run { context in
            let running = try attempt("start a \(device) device on '\(frontend)' and '\(backend)'") {
                () throws(ZMQError) in try Device(device.kind, frontend: frontend, backend: backend, context: context)
            }
            Console.error("\(device): \(running.frontendEndpoint) -> \(running.backendEndpoint)")
            // Returns when the device stops; a signal shuts the context down, which ends it
            // with `contextTerminated`.
            try running.wait()
        }
    }
}

ZMQDevice.main()
