// remote_thr <connect-to> <message-size> <message-count>: the PUSH side of the throughput test.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "remote_thr", countName: "message-count", hasEndpoint: true)
runTool { () throws(ZMQError) in
    // Linger for ever: every queued message must reach local_thr.
    let context = try Context(defaultLinger: nil)
    let socket = try PushSocket(context: context)
    let watch = try DisconnectWatch(socket, name: "remote_thr")
    try socket.connect(to: arguments.endpoint!)
    try sendLoop(socket, size: arguments.messageSize, count: arguments.count)
    // Close only once local_thr, having received everything, has hung up (libzmq issue 4660);
    // after that nothing queued can reach it, so drop the infinite linger. If it never hangs
    // up within the cap, keep lingering.
    if try watch.waitForDisconnect() {
        try socket.setOption(.linger, .zero)
    }
}
