// async_local_lat <bind-to> <message-size> <roundtrip-count>: the REP side of the latency
// test, with the async API.
import PerfSupport
import ZeroMQ

func run(context: Context, _ arguments: PerfArguments) async throws {
    let socket = try ReplySocket(context: context)
    try socket.bind(to: arguments.endpoint!)
    try await asyncEchoLoop(socket, size: arguments.messageSize, count: arguments.count)
}

// The context is terminated once the socket is closed, so that the last reply goes out.
await runAsyncTool(
    PerfArguments.parse(tool: "async_local_lat", countName: "roundtrip-count", hasEndpoint: true),
    terminating: run
)
