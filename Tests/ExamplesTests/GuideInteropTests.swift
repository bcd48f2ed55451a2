// The pipeline demos mixed with the ZeroMQ Guide's chapter-1 C programs (taskvent.c,
// taskwork.c, tasksink.c, kept in Examples/GuideC): a ventilator, four workers and a sink,
// each either ours or the Guide's, in all eight combinations.
//
// The C programs are compiled once per test run with `cc -O2 x.c -lzmq`; without a C
// compiler the tests are skipped.

import ChildProcesses
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Guide's C programs in `Examples/GuideC`, compiled on first use: the chapter-1
/// pipeline (tested here), the chapter-2 request-reply broker (see the DemoInterop suites)
/// and the chapter-4 Lazy Pirate server (see `LazyPirateTests`).
enum GuideC {
    /// `Examples/GuideC` in the package.
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/ExamplesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Examples/GuideC", isDirectory: true)

    static let programs = ["taskvent", "taskwork", "tasksink", "lpserver", "rrclient", "rrworker", "rrbroker"]

    private static let build = Mutex<Task<URL, any Error>?>(nil)

    /// The folder holding the compiled programs, each named after its source file.
    ///
    /// - Throws: An error with the compiler's output when a program does not compile.
    static func binaries() async throws -> URL {
        let task = build.withLock { build in
            if let build { return build }
            let task = Task { try await compile() }
            build = task
            return task
        }
        return try await task.value
    }

    private static func compile() async throws -> URL {
        guard let compiler = PeerPrograms.cCompiler else { throw DemoTestError("no C compiler: cc is not on PATH") }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("zmq-guide-c-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for program in programs {
            let source = sources.appendingPathComponent("\(program).c").path
            let output = folder.appendingPathComponent(program).path
            let cc = try DemoProcess(executable: compiler, name: "cc", ["-O2", source, "-lzmq", "-o", output])
            let result = try await cc.finish(within: .seconds(60))
            guard result.exitedCleanly else {
                throw DemoTestError("cc -O2 \(source) -lzmq failed: \(result.standardError)")
            }
        }
        return folder
    }
}

/// Who wrote one part of the pipeline.
enum Implementation: String, Sendable {
    case swift = "Swift"
    case c = "C"
}

/// Which ventilator, workers and sink a pipeline test runs.
struct PipelineMix: Sendable, CustomTestStringConvertible {
    let ventilator: Implementation
    let workers: Implementation
    let sink: Implementation

    var testDescription: String {
        "\(ventilator.rawValue) ventilator, \(workers.rawValue) workers, \(sink.rawValue) sink"
    }

    static let all: [PipelineMix] = [Implementation.swift, .c].flatMap { ventilator in
        [Implementation.swift, .c].flatMap { workers in
            [Implementation.swift, .c].map { sink in
                PipelineMix(ventilator: ventilator, workers: workers, sink: sink)
            }
        }
    }
}

@Suite("The Guide's C pipeline mixed with ours", .timeLimit(.minutes(1)))
struct GuideInteropTests {
    /// The Guide's sink and ventilator are fixed at 100 tasks.
    static let tasks = 100

    @Test("a ventilator, four workers and a sink deliver every result",
          Peers.cCompiler,
          .serialized, arguments: PipelineMix.all)
    func pipeline(_ mix: PipelineMix) async throws {
        let binaries = try await GuideC.binaries()
        func guide(_ program: String, _ arguments: [String], standardInput: Bool = false) throws -> DemoProcess {
            try DemoProcess(executable: binaries.appendingPathComponent(program), name: "\(program).c",
                            arguments, standardInput: standardInput)
        }
        let (tasksEndpoint, sinkEndpoint) = (try Endpoints.fresh(), try Endpoints.fresh())

        let sink = mix.sink == .swift
            ? try DemoProcess("pipeline-sink", ["--bind", sinkEndpoint, "--tasks", String(Self.tasks)])
            : try guide("tasksink", [sinkEndpoint])
        if mix.sink == .swift { try await sink.waitForOutput("pipeline-sink: bound to", on: .standardError) }

        let workers = try (0..<4).map { _ in
            mix.workers == .swift
                ? try DemoProcess("pipeline-worker", ["--connect", tasksEndpoint, "--push", sinkEndpoint])
                : try guide("taskwork", [tasksEndpoint, sinkEndpoint])
        }
        if mix.workers == .swift {
            for worker in workers { try await worker.waitForOutput("pipeline-worker: pulling", on: .standardError) }
        }

        // Either ventilator binds only now, so the workers connect over the next 100 ms
        // (their reconnect interval); both give them half a second. (Tasks go only to the
        // workers connected by then, so a late worker would slow the batch, not break it.)
        let ventilator: DemoProcess
        if mix.ventilator == .swift {
            ventilator = try DemoProcess(
                "pipeline-ventilator",
                ["--bind", tasksEndpoint, "--sink", sinkEndpoint, "--tasks", String(Self.tasks), "--wait-ms", "500"])
        } else {
            ventilator = try guide("taskvent", [tasksEndpoint, sinkEndpoint], standardInput: true)
            try await Task.sleep(for: .milliseconds(500))
            try ventilator.writeToStandardInput("\n")  // "Press Enter when the workers are ready"
        }
        let source = try await ventilator.finish(within: .seconds(15))
        #expect(source.exitedCleanly, "\(ventilator.name) stderr: \(source.standardError)")
        let costPrefix = mix.ventilator == .swift ? "total expected cost: " : "Total expected cost: "
        let cost = source.lines.last.flatMap { line in
            line.hasPrefix(costPrefix) && line.hasSuffix(" msec")
                ? Int(line.dropFirst(costPrefix.count).dropLast(5)) : nil
        }
        #expect(cost != nil, "\(ventilator.name) printed \(source.lines)")

        // If a result had overtaken the start signal, the sink would wait for one result too
        // many, and never finish.
        let collected = try await sink.finish(within: .seconds(15))
        #expect(collected.exitedCleanly, "\(sink.name) stderr: \(collected.standardError)")
        if mix.sink == .swift {
            #expect(collected.lines.first == "received \(Self.tasks) results")
            #expect(collected.lines.count == 2)
            #expect(collected.lines.last.map { $0.hasPrefix("total elapsed time: ") && $0.hasSuffix(" msec") } == true)
        } else {
            // One ":" or "." per result, then the total.
            let progress = String(repeating: ":" + String(repeating: ".", count: 9), count: Self.tasks / 10)
            #expect(collected.standardOutput.hasPrefix(progress + "Total elapsed time: "),
                    "\(collected.standardOutput.debugDescription)")
            #expect(collected.standardOutput.hasSuffix(" msec\n"))
        }

        // Every task was worked on exactly once, with the workload the ventilator sent.
        var workloads: [Int] = []
        for worker in workers {
            let (result, _) = try await worker.stop(with: SIGTERM)
            if mix.workers == .swift {
                #expect(result.exitedCleanly, "stderr: \(result.standardError)")
                workloads += result.lines.compactMap { line in
                    line.hasPrefix("working ") && line.hasSuffix(" msec") ? Int(line.dropFirst(8).dropLast(5)) : nil
                }
            } else {
                // taskwork.c prints "<workload>." for each task, and dies of the signal.
                #expect(result.signaled && result.status == SIGTERM)
                workloads += result.standardOutput.split(separator: ".").compactMap { Int($0) }
            }
        }
        #expect(workloads.count == Self.tasks)
        #expect(workloads.reduce(0, +) == cost)
    }
}
