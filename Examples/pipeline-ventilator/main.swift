// pipeline-ventilator: the source of a parallel pipeline.
//
// A PUSH socket hands out tasks (a workload in milliseconds) to the workers connected to it,
// spreading them evenly; a second PUSH socket tells the sink that a batch has started.
//
// The sink takes the first message it receives as the start signal, so that signal must
// reach it before any result. It travels on its own connection, and connecting is
// asynchronous: queued on a connection still being made, it could be overtaken by a result
// of the first task. So the start-signal socket is `immediate` (it queues only on completed
// connections, and a send waits for one), and the signal is sent before any task.
//
//     pipeline-sink --bind tcp://*:5558
//     pipeline-worker --connect tcp://127.0.0.1:5557 --push tcp://127.0.0.1:5558   # several
//     pipeline-ventilator --bind tcp://*:5557 --sink tcp://127.0.0.1:5558

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct PipelineVentilator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-ventilator",
        abstract: "Hand out a batch of tasks to pipeline workers (PUSH sockets).",
        discussion: """
            Waits --wait-ms for workers to connect, tells the sink that the batch starts (its \
            start signal is "0", as the Guide's taskvent.c sends), and pushes --tasks tasks, \
            each a random workload of 1 to 10 ms, then prints "total expected cost: <sum> \
            msec". The start signal goes out first, on a completed connection to the sink: \
            if the sink is not up yet, the ventilator waits for it before sending any task. \
            Tasks go only to the workers connected by then. Before exiting it waits (up to \
            10 s) until every queued task has been delivered.

            Standard output carries only the "total expected cost" line; status lines go to \
            standard error.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind for workers, such as tcp://*:5557.", valueName: "endpoint"))
    var bind: String?

    @Option(help: ArgumentHelp(
        "Connect to this endpoint instead of binding, such as a streamer device's frontend.",
        valueName: "endpoint"))
    var connect: String?

    @Option(help: ArgumentHelp("The sink's endpoint, such as tcp://127.0.0.1:5558.", valueName: "endpoint"))
    var sink: String

    @Option(help: "The number of tasks to send.")
    var tasks = 100

    @Option(name: .customLong("wait-ms"), help: "How long to wait for workers to connect, in milliseconds.")
    var waitMilliseconds = 1000

    func validate() throws {
        _ = try Attachment(bind: bind, connect: connect)
        if tasks < 1 { throw ValidationError("--tasks must be at least 1.") }
        if waitMilliseconds < 0 { throw ValidationError("--wait-ms must not be negative.") }
    }

    func run() throws {
        let attachment = try Attachment(bind: bind, connect: connect)
        try Demo.run { context in
            let sender = try PushSocket(context: context)
            try attachment.attach(sender)
            let sinkSignal = try PushSocket(context: context)
            // Queue the start signal only on a completed connection (see the top of the file).
            try sinkSignal.setOption(.immediate, true)
            try attempt("connect to '\(sink)'") { () throws(ZMQError) in try sinkSignal.connect(to: sink) }

            Console.error("pipeline-ventilator: \(attachment); waiting \(waitMilliseconds) ms for workers")
            try Demo.sleep(for: .milliseconds(waitMilliseconds), in: context)

            // The start signal goes out before any task, and only once the sink is connected.
            if try !sinkSignal.send(Pipeline.startSignal, .dontWait) {
                Console.error("pipeline-ventilator: waiting for the sink at \(sink)")
                try sinkSignal.send(Pipeline.startSignal)
            }
            Console.error("pipeline-ventilator: sending \(tasks) tasks")
            var totalCost = 0
            for _ in 0..<tasks {
                let workload = Int.random(in: 1...10)
                totalCost += workload
                try sender.send(String(workload))
            }
            print("total expected cost: \(totalCost) msec")

            // The tasks are only queued so far. A longer linger than the context's one second
            // lets them all reach the workers before the process exits: `Demo.run` terminates
            // the context, which waits for it.
            try sender.close(linger: .seconds(10))
            try sinkSignal.close(linger: .seconds(10))
        }
    }
}

PipelineVentilator.main()
