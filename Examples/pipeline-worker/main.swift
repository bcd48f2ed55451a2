// pipeline-worker: the middle of a parallel pipeline.
//
// A PULL socket takes tasks from the ventilator (fairly shared with the other workers), the
// worker "works" for the task's workload by sleeping, and a PUSH socket sends the result to
// the sink. Start as many as you like.
//
//     pipeline-worker --connect tcp://127.0.0.1:5557 --push tcp://127.0.0.1:5558

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct PipelineWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-worker",
        abstract: "Process pipeline tasks and send results to the sink (PULL and PUSH sockets).",
        discussion: """
            Prints "working <n> msec" for each task, and nothing else on standard output \
            (status lines go to standard error). Works with the Guide's C ventilator and \
            sink (taskvent.c, tasksink.c) as well as with ours. Runs until SIGINT or SIGTERM, \
            and exits with status 0.
            """
    )

    @Option(help: ArgumentHelp(
        "The ventilator (or streamer backend) to pull tasks from, such as tcp://127.0.0.1:5557.",
        valueName: "endpoint"))
    var connect: String

    @Option(help: ArgumentHelp("The sink to push results to, such as tcp://127.0.0.1:5558.", valueName: "endpoint"))
    var push: String

    func run() throws {
        try Demo.run { context in
            let receiver = try PullSocket(context: context)
            try attempt("connect to '\(connect)'") { () throws(ZMQError) in try receiver.connect(to: connect) }
            let sender = try PushSocket(context: context)
            try attempt("connect to '\(push)'") { () throws(ZMQError) in try sender.connect(to: push) }
            Console.error("pipeline-worker: pulling from \(connect), pushing to \(push)")

            var task = Message()
            while true {
                guard try receiver.receive(into: &task) else { continue }
                let text = task.string
                guard let workload = Int(text), (0...60_000).contains(workload) else {
                    Console.error("pipeline-worker: ignoring a malformed task '\(text)'")
                    continue
                }
                print("working \(workload) msec")
                try Demo.sleep(for: .milliseconds(workload), in: context)
                try sender.send(text)
            }
        }
    }
}

PipelineWorker.main()
