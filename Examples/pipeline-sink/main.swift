// pipeline-sink: the end of a parallel pipeline.
//
// A PULL socket collects the workers' results (fairly from every worker) and times the batch,
// from the ventilator's start signal to the last result. As the Guide's C sink (tasksink.c)
// does, it takes the first message it receives as the start signal, whatever it holds, so it
// works with the Guide's C ventilator (which sends "0") as well as with ours.
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
            Takes the first message it receives as the ventilator's start signal, whatever \
            it holds (as the Guide's tasksink.c does), and starts the clock. Then waits for \
            --tasks results, prints "received <n> results" and "total elapsed time: <ms> \
            msec", and exits with status 0 (also on SIGINT or SIGTERM). Standard output \
            carries only those two lines; the "bound to" status line goes to standard error.
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
            Console.error("pipeline-sink: bound to \(bind); waiting for \(tasks) results")

            var message = Message()
            // The first message is the start signal, whatever it holds.
            while try !receiver.receive(into: &message) {}
            let clock = ContinuousClock()
            let start = clock.now
            var results = 0
            while results < tasks {
                guard try receiver.receive(into: &message) else { continue }
                results += 1
            }
            let elapsed = start.duration(to: clock.now)
            let (seconds, attoseconds) = elapsed.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            print("received \(results) results")
            print("total elapsed time: \(milliseconds) msec")
        }
    }
}

PipelineSink.main()
