// inproc_lat <message-size> <roundtrip-count>: both ends of the latency test in one process,
// over inproc://; prints remote_lat's lines.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "inproc_lat", countName: "roundtrip-count", hasEndpoint: false)
runTool { () throws(ZMQError) in
    let context = try Context()
    let endpoint = "inproc://lat_test"
    let server = try ReplySocket(context: context)
    try server.bind(to: endpoint)
    // The REQ end runs on its own thread with its own socket, as in libzmq's inproc_lat.
    let thread = startThread {
        runTool { () throws(ZMQError) in
            let client = try RequestSocket(context: context)
            try client.connect(to: endpoint)
            try pingLoop(client, size: arguments.messageSize, count: arguments.count)
        }
    }
    try echoLoop(server, size: arguments.messageSize, count: arguments.count)
    joinThread(thread)
}
