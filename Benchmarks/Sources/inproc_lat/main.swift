// inproc_lat <message-size> <roundtrip-count>: both ends of the latency test in one process,
// over inproc://; prints remote_lat's lines.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "inproc_lat", countName: "roundtrip-count", hasEndpoint: false)
runTool { () throws(ZMQError) in
    let context = try Context()
    let endpoint = "inproc://lat_test"
    // As in libzmq's inproc_lat, the main thread binds the REQ end and times the round trips;
    // the REP end echoes on its own thread with its own socket.
    let client = try RequestSocket(context: context)
    try client.bind(to: endpoint)
    let thread = startThread {
        runTool { () throws(ZMQError) in
            let server = try ReplySocket(context: context)
            try server.connect(to: endpoint)
            try echoLoop(server, size: arguments.messageSize, count: arguments.count)
        }
    }
    try pingLoop(client, size: arguments.messageSize, count: arguments.count)
    joinThread(thread)
}
