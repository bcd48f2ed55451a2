// The pipeline demos (pipeline-ventilator, pipeline-worker, pipeline-sink) mixed with pyzmq
// programs in each role: a ventilator, four workers and a sink, each either ours or Python,
// in all eight combinations (as GuideInteropTests does with the Guide's C programs).
//
// The Python programs print the same lines as ours, so the checks are the same whichever
// side runs; they are pyzmq scripts with pyzmq's own bundled libzmq.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// pyzmq programs for each role of the pipeline.
enum PythonPipeline {
    /// `ventilator BIND SINK TASKS WAIT_MS`: waits for workers, sends the sink the start
    /// signal "0" (on a completed connection, as ours does), pushes TASKS random workloads
    /// of 1 to 10 ms, and prints "total expected cost: <sum> msec".
    static let ventilator = """
        import random, sys, time, zmq
        bind, sink_endpoint, tasks, wait_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        context = zmq.Context()
        sender = context.socket(zmq.PUSH)
        sender.bind(bind)
        sink = context.socket(zmq.PUSH)
        sink.setsockopt(zmq.IMMEDIATE, 1)
        sink.connect(sink_endpoint)
        print(f"python ventilator: bound to {bind}; waiting {wait_ms} ms for workers", file=sys.stderr)
        time.sleep(wait_ms / 1000)
        sink.send(b"0")
        total = 0
        for _ in range(tasks):
            workload = random.randint(1, 10)
            total += workload
            sender.send_string(str(workload))
        print(f"total expected cost: {total} msec")
        sender.close(linger=10000)
        sink.close(linger=10000)
        context.term()
        """

    /// `worker PULL_CONNECT PUSH_CONNECT`: prints "working <n> msec" for each task, sleeps
    /// that long and pushes the task back as the result; runs until killed.
    static let worker = """
        import sys, time, zmq
        pull_endpoint, push_endpoint = sys.argv[1], sys.argv[2]
        context = zmq.Context()
        receiver = context.socket(zmq.PULL)
        receiver.connect(pull_endpoint)
        sender = context.socket(zmq.PUSH)
        sender.connect(push_endpoint)
        print(f"python worker: pulling from {pull_endpoint}, pushing to {push_endpoint}", file=sys.stderr)
        while True:
            task = receiver.recv_string()
            print(f"working {int(task)} msec")
            time.sleep(int(task) / 1000)
            sender.send_string(task)
        """

    /// `sink BIND TASKS`: takes the first message as the start signal, collects TASKS
    /// results, prints "received <n> results" and "total elapsed time: <ms> msec". Gives up
    /// (with a traceback and status 1) when nothing arrives for 15 s.
    static let sink = """
        import sys, time, zmq
        bind, tasks = sys.argv[1], int(sys.argv[2])
        context = zmq.Context()
        receiver = context.socket(zmq.PULL)
        receiver.rcvtimeo = 15000
        receiver.bind(bind)
        print(f"python sink: bound to {bind}; waiting for {tasks} results", file=sys.stderr)
        receiver.recv()
        start = time.monotonic()
        for _ in range(tasks):
            receiver.recv()
        print(f"received {tasks} results")
        print(f"total elapsed time: {int((time.monotonic() - start) * 1000)} msec")
        """
}

@Suite("Demo interop: the pipeline mixed with pyzmq", .timeLimit(.minutes(1)))
struct DemoInteropPipelineTests {
    static let tasks = 100
    static let workerCount = 4

    @Test("a ventilator, four workers and a sink deliver every result",
          Peers.pyzmq, .serialized,
          arguments: RoleMix.all(["ventilator", "workers", "sink"], with: .python))
    func pipeline(_ mix: RoleMix) async throws {
        let (ventilatorIs, workersAre, sinkIs) = (mix.languages[0], mix.languages[1], mix.languages[2])
        let tasksEndpoint = try mix.transport.fresh("tasks")
        let sinkEndpoint = try mix.transport.fresh("sink")

        let sink = sinkIs == .swift
            ? try DemoProcess("pipeline-sink", ["--bind", sinkEndpoint, "--tasks", String(Self.tasks)])
            : try DemoProcess.python(PythonPipeline.sink, [sinkEndpoint, String(Self.tasks)], name: "python sink")
        try await sink.waitForOutput(sinkIs == .swift ? "pipeline-sink: bound to" : "python sink: bound to",
                                     on: .standardError)

        let workers = try (0..<Self.workerCount).map { index in
            workersAre == .swift
                ? try DemoProcess("pipeline-worker", ["--connect", tasksEndpoint, "--push", sinkEndpoint])
                : try DemoProcess.python(PythonPipeline.worker, [tasksEndpoint, sinkEndpoint],
                                         name: "python worker \(index)")
        }
        for worker in workers {
            try await worker.waitForOutput(workersAre == .swift ? "pipeline-worker: pulling" : "python worker: pulling",
                                           on: .standardError)
        }

        // Either ventilator binds only now and gives the workers half a second to connect
        // (tasks go only to the workers connected by then; a late one would slow the
        // batch, not break it).
        let ventilator = ventilatorIs == .swift
            ? try DemoProcess(
                "pipeline-ventilator",
                ["--bind", tasksEndpoint, "--sink", sinkEndpoint, "--tasks", String(Self.tasks), "--wait-ms", "500"])
            : try DemoProcess.python(PythonPipeline.ventilator, [tasksEndpoint, sinkEndpoint, String(Self.tasks), "500"],
                                     name: "python ventilator")
        let source = try await ventilator.finish(within: .seconds(15))
        PeerChecks.expectCleanExit(
            source, of: ventilator.name,
            statusPrefix: ventilatorIs == .swift ? "pipeline-ventilator: " : "python ventilator: ")
        #expect(source.lines.count == 1, "\(ventilator.name) printed \(source.lines)")
        let costPrefix = "total expected cost: "
        let cost = source.lines.last.flatMap { line in
            line.hasPrefix(costPrefix) && line.hasSuffix(" msec") ? Int(line.dropFirst(costPrefix.count).dropLast(5)) : nil
        }
        #expect(cost != nil, "\(ventilator.name) printed \(source.lines)")

        // If a result had overtaken the start signal, the sink would wait for one result too
        // many, and never finish.
        let collected = try await sink.finish(within: .seconds(15))
        PeerChecks.expectCleanExit(
            collected, of: sink.name, statusPrefix: sinkIs == .swift ? "pipeline-sink: " : "python sink: ")
        #expect(collected.lines.count == 2, "\(sink.name) printed \(collected.lines)")
        #expect(collected.lines.first == "received \(Self.tasks) results")
        #expect(collected.lines.last.map { $0.hasPrefix("total elapsed time: ") && $0.hasSuffix(" msec") } == true)

        // Every task was worked on exactly once, with the workload the ventilator sent.
        var workloads: [Int] = []
        for worker in workers {
            let (result, _) = try await worker.stop(with: SIGTERM)
            if workersAre == .swift {
                PeerChecks.expectCleanExit(result, of: worker.name, statusPrefix: "pipeline-worker: ")
            } else {
                PeerChecks.expectKilledBySIGTERM(result, of: worker.name, statusPrefix: "python worker: ")
            }
            let done = result.lines.compactMap { line in
                line.hasPrefix("working ") && line.hasSuffix(" msec") ? Int(line.dropFirst(8).dropLast(5)) : nil
            }
            #expect(done.count == result.lines.count, "\(worker.name) printed \(result.lines)")
            workloads += done
        }
        #expect(workloads.count == Self.tasks)
        #expect(workloads.allSatisfy { (1...10).contains($0) }, "\(workloads)")
        #expect(workloads.reduce(0, +) == cost)
    }
}
