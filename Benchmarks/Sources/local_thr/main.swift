// local_thr <bind-to> <message-size> <message-count>: the PULL side of the throughput test;
// prints the mean throughput.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "local_thr", countName: "message-count", hasEndpoint: true)
runTool { () throws(ZMQError) in
    let context = try Context()
    let socket = try PullSocket(context: context)
    try socket.bind(to: arguments.endpoint!)
    try receiveLoop(socket, size: arguments.messageSize, count: arguments.count)
}
