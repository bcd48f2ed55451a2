// pipeline-sink: the end of a parallel pipeline.
//
// A PULL socket collects the workers' results (fairly from every worker) and times the batch,
// from the ventilator's start signal to the last result.
//
//     pipeline-sink --bind tcp://*:5558 --tasks 100

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct PipelineSink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-sink",
        abstract: "Collect a batch of pipeline results and time it (a PULL socket).",
        discussion: """
            Waits for --tasks results, then prints "received <n> results" and "total elapsed \
            time: <ms> msec" and exits with status 0 (also on SIGINT or SIGTERM). The clock \
            starts with the ventilator's start signal, or with the first result if that comes \
            first.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5558.", valueName: "endpoint"))
    var bind: String

    @Option(help: "The number of results to collect.")
    var tasks = 100

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1.") }
    }

    func run() throws {
        try Demo.run { context in
            let receiver = try PullSocket(context: context)
            try attempt("bind to '\(bind)'") { () throws(ZMQError) in try receiver.bind(to: bind) }
            print("pipeline-sink: bound to \(bind); waiting for \(tasks) results")

            let clock = ContinuousClock()
            var start: ContinuousClock.Instant?
            var message = Message()
            var results = 0
            while results < tasks {
                guard try receiver.receive(into: &message) else { continue }
                if start == nil { start = clock.now }
                // The start signal travels on its own connection, so a result may overtake it.
                if message.string != Pipeline.startSignal { results += 1 }
            }
            let elapsed = (start ?? clock.now).duration(to: clock.now)
            let (seconds, attoseconds) = elapsed.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            print("received \(results) results")
            print("total elapsed time: \(milliseconds) msec")
        }
    }
}

PipelineSink.main()
