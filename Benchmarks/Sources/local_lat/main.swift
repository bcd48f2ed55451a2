// local_lat <bind-to> <message-size> <roundtrip-count>: the REP side of the latency test.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "local_lat", countName: "roundtrip-count", hasEndpoint: true)
runTool { () throws(ZMQError) in
    let context = try Context()
    do {
        let socket = try ReplySocket(context: context)
        try socket.bind(to: arguments.endpoint!)
        try echoLoop(socket, size: arguments.messageSize, count: arguments.count)
    }
    // As the C tool's zmq_ctx_term does, wait until the closed socket has sent the last reply:
    // a released context terminates on a background thread, which the process's exit would
    // cut short, losing that reply (remote_lat then waits for ever).
    context.terminate()
}
