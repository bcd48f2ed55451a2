// remote_lat <connect-to> <message-size> <roundtrip-count>: the REQ side of the latency test;
// prints the average one-way latency.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "remote_lat", countName: "roundtrip-count", hasEndpoint: true)
runTool { () throws(ZMQError) in
    let context = try Context()
    let socket = try RequestSocket(context: context)
    try socket.connect(to: arguments.endpoint!)
    try pingLoop(socket, size: arguments.messageSize, count: arguments.count)
}
