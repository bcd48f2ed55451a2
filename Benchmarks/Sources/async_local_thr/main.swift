// async_local_thr <bind-to> <message-size> <message-count>: the PULL side of the throughput
// test, with the async API; prints the mean throughput.
import PerfSupport
import ZeroMQ

func run(_ arguments: PerfArguments) async throws {
    let context = try Context()
    let socket = try PullSocket(context: context)
    try socket.bind(to: arguments.endpoint!)
    try await asyncReceiveLoop(socket, size: arguments.messageSize, count: arguments.count)
}

let arguments = PerfArguments.parse(tool: "async_local_thr", countName: "message-count", hasEndpoint: true)
runAsyncMain { try await run(arguments) }
