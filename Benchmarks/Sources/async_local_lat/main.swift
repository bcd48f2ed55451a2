// async_local_lat <bind-to> <message-size> <roundtrip-count>: the REP side of the latency
// test, with the async API.
import PerfSupport
import ZeroMQ

func run(context: Context, _ arguments: PerfArguments) async throws {
    let socket = try ReplySocket(context: context)
    try socket.bind(to: arguments.endpoint!)
    try await asyncEchoLoop(socket, size: arguments.messageSize, count: arguments.count)
}

let arguments = PerfArguments.parse(tool: "async_local_lat", countName: "roundtrip-count", hasEndpoint: true)
// The context is terminated once the socket is closed, so that the last reply goes out.
runAsyncMain(terminating: { context in try await run(context: context, arguments) })
