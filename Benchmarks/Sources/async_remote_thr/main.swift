// async_remote_thr <connect-to> <message-size> <message-count>: the PUSH side of the
// throughput test, with the async API.
import PerfSupport
import ZeroMQ

func run(_ arguments: PerfArguments) async throws {
    // Linger for ever: every queued message must reach local_thr.
    let context = try Context(defaultLinger: nil)
    let socket = try PushSocket(context: context)
    let watch = try DisconnectWatch(socket, name: "async_remote_thr")
    try socket.connect(to: arguments.endpoint!)
    try await asyncSendLoop(socket, size: arguments.messageSize, count: arguments.count)
    // As in remote_thr: close only once local_thr has hung up (libzmq issue 4660). This wait
    // is after the measured loop, so its blocking call is kept (it runs once, on a thread of
    // the pool, while nothing else runs in this process).
    if try watch.waitForDisconnect() {
        try socket.setOption(.linger, .zero)
    }
}

let arguments = PerfArguments.parse(tool: "async_remote_thr", countName: "message-count", hasEndpoint: true)
runAsyncMain { try await run(arguments) }
