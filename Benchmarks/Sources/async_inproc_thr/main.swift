// async_inproc_thr <message-size> <message-count>: both ends of the throughput test in one
// process over inproc://, with the async API, each end a task; prints local_thr's lines.
import PerfSupport
import ZeroMQ

let endpoint = "inproc://thr_test"

/// The PUSH end: its own socket, in its own task.
func push(context: Context, _ arguments: PerfArguments) async throws {
    let sender = try PushSocket(context: context)
    try sender.connect(to: endpoint)
    try await asyncSendLoop(sender, size: arguments.messageSize, count: arguments.count)
}

func run(_ arguments: PerfArguments) async throws {
    let context = try Context()
    let receiver = try PullSocket(context: context)
    try receiver.bind(to: endpoint)
    // The PUSH end runs in a child task (where inproc_thr starts a thread).
    async let pushed: Void = push(context: context, arguments)
    try await asyncReceiveLoop(receiver, size: arguments.messageSize, count: arguments.count)
    try await pushed
}

let arguments = PerfArguments.parse(tool: "async_inproc_thr", countName: "message-count", hasEndpoint: false)
runAsyncMain { try await run(arguments) }
