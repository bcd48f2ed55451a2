// async_remote_lat <connect-to> <message-size> <roundtrip-count>: the REQ side of the latency
// test, with the async API; prints the average one-way latency.
import PerfSupport
import ZeroMQ

func run(_ arguments: PerfArguments) async throws {
    let context = try Context()
    let socket = try RequestSocket(context: context)
    try socket.connect(to: arguments.endpoint!)
    try await asyncPingLoop(socket, size: arguments.messageSize, count: arguments.count)
}

let arguments = PerfArguments.parse(tool: "async_remote_lat", countName: "roundtrip-count", hasEndpoint: true)
runAsyncMain { try await run(arguments) }
