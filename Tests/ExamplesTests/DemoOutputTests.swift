// What the demos print, and where: data lines on standard output, status on standard error;
// and the pipeline's start signal, which the sink and the ventilator must agree on.

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("Demo output", .timeLimit(.minutes(1)))
struct DemoOutputTests {
    // MARK: stdout carries only data lines

    static let countries = "(netherlands|brazil|germany|portugal)"
    static let events = "(yellow card|red card|goal|corner|foul)"

    /// The pattern every standard-output line of a demo matches (nil: no line at all).
    static func dataLine(of demo: String) -> String? {
        switch demo {
        case "echo-server": #"Got msg \d+"#
        case "echo-client": #"(Sending|Received) msg \d+"#
        case "soccer-publisher": "-> \(countries) \(events)"
        case "soccer-subscriber": "brazil \(events)"
        case "pipeline-ventilator": #"total expected cost: \d+ msec"#
        case "pipeline-worker": #"working \d+ msec"#
        case "pipeline-sink": #"received \d+ results|total elapsed time: \d+ msec"#
        default: nil
        }
    }

    static let demos = [
        "echo-server", "echo-client", "soccer-publisher", "soccer-subscriber",
        "pipeline-ventilator", "pipeline-worker", "pipeline-sink", "zmq-device",
    ]

    @Test("stdout carries only the demo's data lines; its status line goes to stderr", arguments: demos)
    func onlyDataLinesOnStandardOutput(_ demo: String) async throws {
        let (result, status) = try await Self.runScenario(for: demo)
        guard let pattern = Self.dataLine(of: demo) else {
            #expect(result.standardOutput.isEmpty, "stdout: \(result.standardOutput.debugDescription)")
            #expect(result.standardError.contains(status), "stderr: \(result.standardError)")
            return
        }
        let regex = try Regex(pattern)
        #expect(!result.lines.isEmpty, "\(demo) printed no data line")
        for line in result.lines {
            #expect(line.wholeMatch(of: regex) != nil, "\(demo) printed a non-data line on stdout: '\(line)'")
        }
        #expect(result.standardError.contains(status), "stderr: \(result.standardError)")
    }

    @Test("`soccer-subscriber … | wc -l` counts events")
    func subscriberLineCount() async throws {
        let (result, _) = try await Self.runScenario(for: "soccer-subscriber")
        #expect(result.standardOutput.filter { $0 == "\n" }.count == 3)
    }

    /// Runs the demo with the peers it needs, and returns its result with the status line it
    /// must have printed on stderr.
    private static func runScenario(for demo: String) async throws -> (DemoResult, String) {
        switch demo {
        case "echo-server", "echo-client":
            let endpoint = try Endpoints.fresh()
            let server = try DemoProcess("echo-server", ["--bind", endpoint, "--count", "3"])
            try await server.waitForOutput("echo-server: bound to", on: .standardError)
            let client = try await DemoProcess.run("echo-client", ["--connect", endpoint, "--count", "3"])
            let served = try await server.finish()
            return demo == "echo-server"
                ? (served, "echo-server: bound to \(endpoint)")
                : (client, "echo-client: connected to \(endpoint)")

        case "soccer-publisher":
            let endpoint = try Endpoints.fresh()
            let result = try await DemoProcess.run(
                "soccer-publisher", ["--bind", endpoint, "--count", "3", "--interval-ms", "1"])
            return (result, "soccer-publisher: bound to \(endpoint)")

        case "soccer-subscriber":
            let endpoint = try Endpoints.fresh()
            let publisher = try DemoProcess("soccer-publisher", ["--bind", endpoint, "--interval-ms", "5"])
            try await publisher.waitForOutput("-> ")
            let result = try await DemoProcess.run(
                "soccer-subscriber", ["--connect", endpoint, "--topic", "brazil", "--count", "3"])
            _ = try await publisher.stop()
            return (result, "soccer-subscriber: connected to \(endpoint), following brazil")

        case "pipeline-ventilator", "pipeline-worker", "pipeline-sink":
            let (tasks, results) = (try Endpoints.fresh(), try Endpoints.fresh())
            let sink = try DemoProcess("pipeline-sink", ["--bind", results, "--tasks", "5"])
            let worker = try DemoProcess("pipeline-worker", ["--connect", tasks, "--push", results])
            try await sink.waitForOutput("pipeline-sink: bound to", on: .standardError)
            try await worker.waitForOutput("pipeline-worker: pulling", on: .standardError)
            let ventilator = try await DemoProcess.run(
                "pipeline-ventilator", ["--bind", tasks, "--sink", results, "--tasks", "5", "--wait-ms", "300"])
            let collected = try await sink.finish()
            let (worked, _) = try await worker.stop()
            switch demo {
            case "pipeline-ventilator":
                return (ventilator, "pipeline-ventilator: bound to \(tasks); waiting 300 ms for workers")
            case "pipeline-worker":
                return (worked, "pipeline-worker: pulling from \(tasks), pushing to \(results)")
            default:
                return (collected, "pipeline-sink: bound to \(results); waiting for 5 results")
            }

        case "zmq-device":
            let (frontend, backend) = (try Endpoints.fresh(), try Endpoints.fresh())
            let device = try DemoProcess("zmq-device", ["queue", "--frontend", frontend, "--backend", backend])
            try await device.waitForOutput("queue: ", on: .standardError)
            let server = try DemoProcess("echo-server", ["--connect", backend, "--count", "2"])
            let client = try await DemoProcess.run("echo-client", ["--connect", frontend, "--count", "2"])
            #expect(client.exitedCleanly, "the queue passed no request: \(client.standardError)")
            _ = try await server.finish()
            let (result, _) = try await device.stop()
            return (result, "queue: \(frontend) -> \(backend)")

        default:
            throw DemoTestError("no scenario for \(demo)")
        }
    }

    // MARK: echo-server's line

    @Test("echo-server shows text frames as text and other frames as their size and a hex prefix")
    func echoServerFrameDisplay() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try DemoProcess("echo-server", ["--bind", endpoint, "--count", "1"])
        try await server.waitForOutput("echo-server: bound to", on: .standardError)

        // 1 MiB of bytes that are not UTF-8 text, and frames with control characters.
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 0x8F) }
        let frames: [[UInt8]] = [
            Array("héllo wörld ✓".utf8), large, Array("tab\there".utf8), Array("next\u{85}line".utf8),
            [0xC3, 0x28], [],
        ]
        let context = try Context(defaultLinger: .zero)
        let socket = try RequestSocket(context: context)
        try socket.setOption(.receiveTimeout, processTimeout)
        try socket.connect(to: endpoint)
        try await socket.send(multipart: frames)
        let reply = try await socket.receiveMultipart()
        #expect(reply == frames, "the frames did not come back unchanged")

        let result = try await server.finish()
        #expect(result.exitedCleanly)
        #expect(result.lines == [
            "Got héllo wörld ✓ | <1048576 bytes: 8fb4d9fe23486d92...> | <8 bytes: 7461620968657265> | "
                + "<10 bytes: 6e657874c2856c69...> | <2 bytes: c328> | ",
        ])
    }

    // MARK: The pipeline's start signal

    @Test("pipeline-sink takes the first message as the start signal, whatever it holds",
          arguments: ["0", "42", ""])
    func sinkStartSignal(_ first: String) async throws {
        let endpoint = try Endpoints.fresh()
        let sink = try DemoProcess("pipeline-sink", ["--bind", endpoint, "--tasks", "2"])
        try await sink.waitForOutput("pipeline-sink: bound to", on: .standardError)

        let context = try Context(defaultLinger: .seconds(5))
        let socket = try PushSocket(context: context)
        try socket.setOption(.sendTimeout, processTimeout)
        try socket.connect(to: endpoint)
        #expect(try await socket.send(first))
        #expect(try await socket.send("5"))
        // The sink has one result of two: it must still be waiting.
        try await Task.sleep(for: .milliseconds(500))
        #expect(sink.isRunning, "the sink counted the start signal '\(first)' as a result: \(sink.standardOutput)")
        #expect(sink.standardOutput.isEmpty)

        #expect(try await socket.send("7"))
        let result = try await sink.finish()
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.lines.count == 2)
        #expect(result.lines.first == "received 2 results")
        #expect(result.lines.last.map { $0.hasPrefix("total elapsed time: ") && $0.hasSuffix(" msec") } == true)
    }

    @Test("pipeline-ventilator sends the start signal, on a completed connection, before any task")
    func ventilatorWaitsForTheSink() async throws {
        let (tasks, results) = (try Endpoints.fresh(), try Endpoints.fresh())
        let context = try Context(defaultLinger: .zero)
        let worker = try PullSocket(context: context)
        try worker.connect(to: tasks)

        // No sink yet: the ventilator must not hand out a task, since a result could then
        // reach the sink before the start signal does.
        let ventilator = try DemoProcess(
            "pipeline-ventilator", ["--bind", tasks, "--sink", results, "--tasks", "5", "--wait-ms", "100"])
        try await ventilator.waitForOutput("pipeline-ventilator: waiting for the sink at \(results)", on: .standardError)
        try worker.setOption(.receiveTimeout, .milliseconds(300))
        #expect(try await worker.receiveString() == nil, "a task went out before the start signal")

        let sink = try PullSocket(context: context)
        try sink.setOption(.receiveTimeout, processTimeout)
        try sink.bind(to: results)
        #expect(try await sink.receiveString() == "0")

        try worker.setOption(.receiveTimeout, processTimeout)
        var cost = 0
        for _ in 0..<5 {
            let task = try await worker.receiveString()
            let workload = task.flatMap { Int($0) }
            #expect(workload.map { (1...10).contains($0) } == true, "task '\(task ?? "none")'")
            cost += workload ?? 0
        }
        let result = try await ventilator.finish()
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.lines == ["total expected cost: \(cost) msec"])
    }
}
