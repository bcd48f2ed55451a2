// async_inproc_lat <message-size> <roundtrip-count>: both ends of the latency test in one
// process over inproc://, with the async API, each end a task; prints remote_lat's lines.
import PerfSupport
import ZeroMQ

let endpoint = "inproc://lat_test"

/// The REP end: its own socket, in its own task.
func echo(context: Context, _ arguments: PerfArguments) async throws {
    let server = try ReplySocket(context: context)
    try server.connect(to: endpoint)
    try await asyncEchoLoop(server, size: arguments.messageSize, count: arguments.count)
}

func run(_ arguments: PerfArguments) async throws {
    let context = try Context()
    // As in inproc_lat, this end binds the REQ socket and times the round trips; the REP end
    // echoes in a child task (where inproc_lat starts a thread).
    let client = try RequestSocket(context: context)
    try client.bind(to: endpoint)
    async let echoed: Void = echo(context: context, arguments)
    try await asyncPingLoop(client, size: arguments.messageSize, count: arguments.count)
    try await echoed
}

let arguments = PerfArguments.parse(tool: "async_inproc_lat", countName: "roundtrip-count", hasEndpoint: false)
runAsyncMain { try await run(arguments) }
