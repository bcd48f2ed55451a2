// inproc_thr <message-size> <message-count>: both ends of the throughput test in one process,
// over inproc://; prints local_thr's lines.
import PerfSupport
import ZeroMQ

let arguments = PerfArguments.parse(tool: "inproc_thr", countName: "message-count", hasEndpoint: false)
runTool { () throws(ZMQError) in
    let context = try Context()
    let endpoint = "inproc://thr_test"
    let receiver = try PullSocket(context: context)
    try receiver.bind(to: endpoint)
    // The PUSH end runs on its own thread with its own socket, as in libzmq's inproc_thr.
    let thread = startThread {
        runTool { () throws(ZMQError) in
            let sender = try PushSocket(context: context)
            try sender.connect(to: endpoint)
            try sendLoop(sender, size: arguments.messageSize, count: arguments.count)
        }
    }
    try receiveLoop(receiver, size: arguments.messageSize, count: arguments.count)
    joinThread(thread)
}
