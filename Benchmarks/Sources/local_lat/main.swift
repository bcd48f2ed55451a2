// local_lat <bind-to> <message-size> <roundtrip-count>: the REP side of the latency test.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "local_lat", countName: "roundtrip-count", hasEndpoint: true)
runTool { () throws(ZMQError) in
    let context = try Context()
    let socket = try ReplySocket(context: context)
    try socket.bind(to: arguments.endpoint!)
    try echoLoop(socket, size: arguments.messageSize, count: arguments.count)
}
