// End-to-end tests of the demos under Examples/: each test launches the built executables
// as child processes and checks what they print and how they exit.
//
// Endpoints are loopback TCP ports the kernel picks and this process keeps reserved (see
// `Endpoints.fresh()`), so tests, and whole test runs, go in parallel without colliding. Every wait on a process is bounded
// (`processTimeout`): a demo that hangs is killed and its test fails.

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Replaces `{1}`, `{2}`, … in demo arguments with fresh endpoints, the same for the same
/// number.
private func substitutingEndpoints(_ arguments: [String]) throws -> [String] {
    var endpoints: [String: String] = [:]
    return try arguments.map { argument in
        guard argument.hasPrefix("{"), argument.hasSuffix("}") else { return argument }
        if let endpoint = endpoints[argument] { return endpoint }
        let endpoint = try Endpoints.fresh()
        endpoints[argument] = endpoint
        return endpoint
    }
}

/// A demo command line, for parameterized tests.
struct DemoCommand: Sendable, CustomTestStringConvertible {
    let name: String
    let arguments: [String]
    /// Text the demo prints once it is ready (signal tests) or the error it reports.
    let expected: String
    /// Where the demo prints `expected`: a status line goes to standard error.
    let stream: StandardStream

    init(_ name: String, _ arguments: [String], expecting expected: String = "",
         on stream: StandardStream = .standardError) {
        self.name = name
        self.arguments = arguments
        self.expected = expected
        self.stream = stream
    }

    var testDescription: String { ([name] + arguments).joined(separator: " ") }
}

@Suite("Demos", .timeLimit(.minutes(1)))
struct DemoTests {
    // MARK: Command lines

    static let helpCases: [DemoCommand] = [
        DemoCommand("echo-server", [], expecting: "--bind --connect --count"),
        DemoCommand("echo-client", [], expecting: "--connect --count --timeout-ms"),
        DemoCommand("soccer-publisher", [], expecting: "--bind --connect --count --interval-ms"),
        DemoCommand("soccer-subscriber", [], expecting: "--connect --topic --count"),
        DemoCommand("pipeline-ventilator", [], expecting: "--bind --connect --sink --tasks --wait-ms"),
        DemoCommand("pipeline-worker", [], expecting: "--connect --push"),
        DemoCommand("pipeline-sink", [], expecting: "--bind --tasks"),
        DemoCommand("zmq-device", [], expecting: "queue forwarder streamer --frontend --backend"),
    ]

    @Test("--help describes every option", arguments: helpCases)
    func help(_ demo: DemoCommand) async throws {
        let result = try await DemoProcess.run(demo.name, ["--help"])
        #expect(result.exitedCleanly)
        #expect(result.standardOutput.contains("OVERVIEW:"))
        #expect(result.standardOutput.contains("USAGE: \(demo.name)"))
        for word in demo.expected.split(separator: " ") {
            #expect(result.standardOutput.contains(word), "\(demo.name) --help does not mention \(word)")
        }
        #expect(result.standardError.isEmpty)
    }

    static let badEndpointCases: [DemoCommand] = [
        DemoCommand("echo-server", ["--bind", "foo"],
                    expecting: "error: cannot bind to 'foo': the endpoint has no transport; write transport://address, such as tcp://127.0.0.1:5555: Invalid argument (EINVAL)"),
        DemoCommand("echo-server", ["--connect", "tcpp://127.0.0.1:1"],
                    expecting: "error: cannot connect to 'tcpp://127.0.0.1:1': unknown transport 'tcpp'; libzmq knows tcp, ipc, inproc, pgm, epgm, tipc, vmci, norm: Protocol not supported (EPROTONOSUPPORT)"),
        DemoCommand("echo-client", ["--connect", "{1}", "--connect", "nowhere"],
                    expecting: "error: cannot connect to 'nowhere': the endpoint has no transport"),
        DemoCommand("soccer-publisher", ["--bind", "tcp://127.0.0.1"],
                    expecting: "error: cannot bind to 'tcp://127.0.0.1': the endpoint has no port; write tcp://host:port, or tcp://host:* for an ephemeral port: Invalid argument (EINVAL)"),
        DemoCommand("soccer-subscriber", ["--connect", "udp://127.0.0.1:1"],
                    expecting: "error: cannot connect to 'udp://127.0.0.1:1':"),
        DemoCommand("pipeline-ventilator", ["--bind", "{1}", "--sink", "sink"],
                    expecting: "error: cannot connect to 'sink': the endpoint has no transport"),
        DemoCommand("pipeline-worker", ["--connect", "{1}", "--push", "bogus://x"],
                    expecting: "error: cannot connect to 'bogus://x': unknown transport 'bogus'"),
        DemoCommand("pipeline-sink", ["--bind", "tcp://127.0.0.1:port"],
                    expecting: "error: cannot bind to 'tcp://127.0.0.1:port': the port 'port' is not a number from 0 to 65535 (or * for an ephemeral port): Invalid argument (EINVAL)"),
        DemoCommand("zmq-device", ["queue", "--frontend", "{1}", "--backend", "nope"],
                    expecting: "error: cannot bind to 'nope': the endpoint has no transport"),
    ]

    @Test("a bad endpoint is reported on stderr, with a non-zero status", arguments: badEndpointCases)
    func badEndpoint(_ demo: DemoCommand) async throws {
        let result = try await DemoProcess.run(demo.name, substitutingEndpoints(demo.arguments))
        #expect(!result.signaled, "\(demo.name) crashed with signal \(result.status)")
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix(demo.expected), "stderr: \(result.standardError)")
        #expect(result.standardError.split(separator: "\n").count == 1)
    }

    @Test("binding a port that is in use is reported")
    func addressInUse() async throws {
        let endpoint = try Endpoints.fresh()
        let first = try DemoProcess("echo-server", ["--bind", endpoint])
        try await first.waitForOutput("echo-server: bound to", on: .standardError)
        let second = try await DemoProcess.run("echo-server", ["--bind", endpoint])
        #expect(!second.signaled)
        #expect(second.status == 1)
        #expect(second.standardError == "error: cannot bind to '\(endpoint)': Address already in use (EADDRINUSE)\n")
        let (result, _) = try await first.stop()
        #expect(result.exitedCleanly)
    }

    static let badArgumentCases: [DemoCommand] = [
        DemoCommand("echo-server", []),
        DemoCommand("echo-server", ["--bind", "tcp://127.0.0.1:1", "--connect", "tcp://127.0.0.1:1"]),
        DemoCommand("echo-server", ["--bind", "tcp://127.0.0.1:1", "--count", "0"]),
        DemoCommand("echo-client", []),
        DemoCommand("echo-client", ["--connect", "tcp://127.0.0.1:1", "--count", "ten"]),
        DemoCommand("echo-client", ["--connect", "tcp://127.0.0.1:1", "--timeout-ms=-5"]),
        DemoCommand("soccer-publisher", ["--bind", "tcp://127.0.0.1:1", "--interval-ms=-1"]),
        DemoCommand("soccer-subscriber", ["--connect", "tcp://127.0.0.1:1", "--count", "0"]),
        DemoCommand("pipeline-ventilator", ["--bind", "tcp://127.0.0.1:1"]),
        DemoCommand("pipeline-worker", ["--connect", "tcp://127.0.0.1:1"]),
        DemoCommand("pipeline-sink", ["--bind", "tcp://127.0.0.1:1", "--tasks", "0"]),
        DemoCommand("zmq-device", ["relay", "--frontend", "tcp://127.0.0.1:1", "--backend", "tcp://127.0.0.1:2"]),
        DemoCommand("zmq-device", ["queue", "--frontend", "tcp://127.0.0.1:1"]),
    ]

    @Test("a bad argument is reported with the usage, with a non-zero status", arguments: badArgumentCases)
    func badArgument(_ demo: DemoCommand) async throws {
        let result = try await DemoProcess.run(demo.name, demo.arguments)
        #expect(!result.signaled, "\(demo.name) crashed with signal \(result.status)")
        #expect(result.status == 64)  // EX_USAGE, ArgumentParser's status for a validation error
        #expect(result.standardError.hasPrefix("Error: "), "stderr: \(result.standardError)")
        #expect(result.standardError.contains("Usage: \(demo.name)"))
    }

    // MARK: Signals

    static let signalCases: [DemoCommand] = [
        DemoCommand("echo-server", ["--bind", "{1}"], expecting: "echo-server: bound to"),
        DemoCommand("echo-server", ["--connect", "{1}"], expecting: "echo-server: connected to"),
        DemoCommand("soccer-subscriber", ["--connect", "{1}"], expecting: "soccer-subscriber: connected to"),
        DemoCommand("soccer-publisher", ["--bind", "{1}", "--interval-ms", "50"], expecting: "-> ",
                    on: .standardOutput),
        DemoCommand("pipeline-sink", ["--bind", "{1}"], expecting: "pipeline-sink: bound to"),
        DemoCommand("pipeline-worker", ["--connect", "{1}", "--push", "{2}"], expecting: "pipeline-worker: pulling"),
        DemoCommand("pipeline-ventilator", ["--bind", "{1}", "--sink", "{2}", "--wait-ms", "60000"],
                    expecting: "waiting 60000 ms"),
        // Blocked sending the start signal to a sink that is not there.
        DemoCommand("pipeline-ventilator", ["--bind", "{1}", "--sink", "{2}", "--wait-ms", "0"],
                    expecting: "waiting for the sink at tcp://"),
        DemoCommand("zmq-device", ["queue", "--frontend", "{1}", "--backend", "{2}"], expecting: "queue: "),
        DemoCommand("zmq-device", ["forwarder", "--frontend", "{1}", "--backend", "{2}"], expecting: "forwarder: "),
        DemoCommand("zmq-device", ["streamer", "--frontend", "{1}", "--backend", "{2}"], expecting: "streamer: "),
    ]

    @Test("SIGINT and SIGTERM stop a waiting demo within a second, with status 0",
          arguments: signalCases, [SIGINT, SIGTERM])
    func stopsOnSignal(_ demo: DemoCommand, signal: Int32) async throws {
        let process = try DemoProcess(demo.name, substitutingEndpoints(demo.arguments))
        try await process.waitForOutput(demo.expected, on: demo.stream)
        // Let the demo settle into its blocking call.
        try await Task.sleep(for: .milliseconds(100))
        let (result, elapsed) = try await process.stop(with: signal)
        #expect(result.exitedCleanly, "status \(result.status), signaled \(result.signaled), stderr: \(result.standardError)")
        #expect(elapsed < .seconds(1))
        // Only the status lines, no error and no "interrupted again".
        #expect(!result.standardError.contains("error"), "stderr: \(result.standardError)")
        #expect(!result.standardError.contains("interrupted"), "stderr: \(result.standardError)")
    }

    // MARK: Request/reply

    @Test("echo: a client numbers 10 requests from 0 and spreads them over two servers in turn")
    func echoWithTwoServers() async throws {
        let endpoints = [try Endpoints.fresh(), try Endpoints.fresh()]
        let servers = try endpoints.map { try DemoProcess("echo-server", ["--bind", $0, "--count", "5"]) }
        for server in servers { try await server.waitForOutput("echo-server: bound to", on: .standardError) }

        let client = try await DemoProcess.run(
            "echo-client", ["--connect", endpoints[0], "--connect", endpoints[1]])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        // The default --count is 10, numbered from 0 as the Guide's client does.
        #expect(client.lines == (0..<10).flatMap { ["Sending msg \($0)", "Received msg \($0)"] })

        // A REQ socket deals its requests out to its connections in turn, in the order they
        // were made: the first server gets the even numbers, the second the odd ones.
        for (index, server) in servers.enumerated() {
            let result = try await server.finish()
            #expect(result.exitedCleanly)
            #expect(result.lines == stride(from: index, to: 10, by: 2).map { "Got msg \($0)" },
                    "server \(index + 1)")
        }
    }

    @Test("echo: the server echoes every frame of a multipart request")
    func echoMultipart() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try DemoProcess("echo-server", ["--bind", endpoint, "--count", "1"])
        try await server.waitForOutput("echo-server: bound to", on: .standardError)

        let context = try Context(defaultLinger: .zero)
        let socket = try RequestSocket(context: context)
        try socket.connect(to: endpoint)
        let frames: [[UInt8]] = [Array("hello".utf8), [], [0, 255, 10]]
        try socket.setOption(.receiveTimeout, processTimeout)
        try await socket.send(multipart: frames)
        var reply = Multipart()
        guard try await socket.receive(into: &reply) else { throw DemoTestError("no reply from echo-server") }
        #expect(reply.allBytes == frames)

        let result = try await server.finish()
        #expect(result.exitedCleanly)
        // Text as text, an empty frame as nothing, binary as its size and hex.
        #expect(result.lines == ["Got hello |  | <3 bytes: 00ff0a>"])
    }

    @Test("echo: the client fails when no reply comes in time")
    func echoClientTimeout() async throws {
        let result = try await DemoProcess.run(
            "echo-client", ["--connect", try Endpoints.fresh(), "--timeout-ms", "200"])
        #expect(!result.signaled)
        #expect(result.status == 1)
        #expect(result.lines == ["Sending msg 0"])
        #expect(result.errorLines.last == "error: no reply to 'msg 0' within 200 ms")
    }

    // MARK: Publish/subscribe

    @Test("soccer: subscribers see only their topics")
    func soccerTopics() async throws {
        let endpoint = try Endpoints.fresh()
        let publisher = try DemoProcess("soccer-publisher", ["--bind", endpoint, "--interval-ms", "5"])
        try await publisher.waitForOutput("-> ")

        async let brazil = DemoProcess.run(
            "soccer-subscriber", ["--connect", endpoint, "--topic", "brazil", "--count", "5"])
        async let iberia = DemoProcess.run(
            "soccer-subscriber", ["--connect", endpoint, "--topic", "portugal", "--topic", "germany", "--count", "5"])
        for (result, topics) in [(try await brazil, ["brazil "]), (try await iberia, ["portugal ", "germany "])] {
            #expect(result.exitedCleanly, "stderr: \(result.standardError)")
            let events = result.lines
            #expect(events.count == 5)
            for event in events {
                #expect(topics.contains { event.hasPrefix($0) }, "unexpected event '\(event)'")
            }
        }

        let (result, _) = try await publisher.stop(with: SIGINT)
        #expect(result.exitedCleanly)
        let published = result.lines.filter { $0.hasPrefix("-> ") }
        #expect(published.contains { !$0.hasPrefix("-> brazil") }, "the publisher only chose brazil")
    }

    @Test("soccer: the publisher stops after --count events")
    func soccerPublisherCount() async throws {
        let result = try await DemoProcess.run(
            "soccer-publisher", ["--bind", try Endpoints.fresh(), "--count", "3", "--interval-ms", "1"])
        #expect(result.exitedCleanly)
        let published = result.lines.filter { $0.hasPrefix("-> ") }
        #expect(published.count == 3)
        let countries = ["netherlands", "brazil", "germany", "portugal"]
        let events = ["yellow card", "red card", "goal", "corner", "foul"]
        for line in published {
            let words = line.dropFirst(3).split(separator: " ", maxSplits: 1).map(String.init)
            #expect(words.count == 2 && countries.contains(words[0]) && events.contains(words[1]), "'\(line)'")
        }
    }

    // MARK: Pipeline

    @Test("pipeline: a ventilator, two workers and a sink")
    func pipelineWithTwoWorkers() async throws {
        let ventilator = try Endpoints.fresh()
        let sinkEndpoint = try Endpoints.fresh()
        let sink = try DemoProcess("pipeline-sink", ["--bind", sinkEndpoint, "--tasks", "20"])
        let workers = try (0..<2).map { _ in
            try DemoProcess("pipeline-worker", ["--connect", ventilator, "--push", sinkEndpoint])
        }
        try await sink.waitForOutput("pipeline-sink: bound to", on: .standardError)
        for worker in workers { try await worker.waitForOutput("pipeline-worker: pulling", on: .standardError) }

        let source = try await DemoProcess.run(
            "pipeline-ventilator",
            ["--bind", ventilator, "--sink", sinkEndpoint, "--tasks", "20", "--wait-ms", "1000"])
        #expect(source.exitedCleanly, "stderr: \(source.standardError)")
        let cost = source.lines.last.flatMap { line in
            line.hasPrefix("total expected cost: ") && line.hasSuffix(" msec")
                ? Int(line.dropFirst(21).dropLast(5)) : nil
        }
        #expect(cost.map { (20...200).contains($0) } == true, "\(source.lines)")

        let collected = try await sink.finish()
        #expect(collected.exitedCleanly)
        #expect(collected.lines.contains("received 20 results"))
        #expect(collected.lines.contains { $0.hasPrefix("total elapsed time: ") && $0.hasSuffix(" msec") })

        var tasksDone = 0
        for worker in workers {
            let (result, _) = try await worker.stop(with: SIGTERM)
            #expect(result.exitedCleanly)
            let done = result.lines.filter { $0.hasPrefix("working ") }.count
            #expect(done > 0, "a worker got no task")
            tasksDone += done
        }
        #expect(tasksDone == 20)
    }

    // MARK: Devices

    @Test("queue device: echo-client -> queue -> echo-server")
    func queueDevice() async throws {
        let (frontend, backend) = (try Endpoints.fresh(), try Endpoints.fresh())
        let device = try DemoProcess("zmq-device", ["queue", "--frontend", frontend, "--backend", backend])
        try await device.waitForOutput("queue: \(frontend) -> \(backend)", on: .standardError)
        let server = try DemoProcess("echo-server", ["--connect", backend, "--count", "5"])

        let client = try await DemoProcess.run("echo-client", ["--connect", frontend, "--count", "5"])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        #expect(client.lines.last == "Received msg 4")

        let served = try await server.finish()
        #expect(served.exitedCleanly)
        #expect(served.lines.filter { $0.hasPrefix("Got msg ") }.count == 5)
        let (stopped, _) = try await device.stop(with: SIGINT)
        #expect(stopped.exitedCleanly)
    }

    @Test("forwarder device: soccer-publisher -> forwarder -> soccer-subscriber")
    func forwarderDevice() async throws {
        let (frontend, backend) = (try Endpoints.fresh(), try Endpoints.fresh())
        let device = try DemoProcess("zmq-device", ["forwarder", "--frontend", frontend, "--backend", backend])
        try await device.waitForOutput("forwarder: \(frontend) -> \(backend)", on: .standardError)
        let publisher = try DemoProcess("soccer-publisher", ["--connect", frontend, "--interval-ms", "5"])

        let subscriber = try await DemoProcess.run(
            "soccer-subscriber", ["--connect", backend, "--topic", "brazil", "--count", "3"])
        #expect(subscriber.exitedCleanly, "stderr: \(subscriber.standardError)")
        let events = subscriber.lines
        #expect(events.count == 3)
        #expect(events.allSatisfy { $0.hasPrefix("brazil ") }, "\(events)")

        for process in [publisher, device] {
            let (result, _) = try await process.stop(with: SIGTERM)
            #expect(result.exitedCleanly)
        }
    }

    @Test("streamer device: pipeline-ventilator -> streamer -> pipeline-worker -> pipeline-sink")
    func streamerDevice() async throws {
        let (frontend, backend, sinkEndpoint) = (try Endpoints.fresh(), try Endpoints.fresh(), try Endpoints.fresh())
        let device = try DemoProcess("zmq-device", ["streamer", "--frontend", frontend, "--backend", backend])
        let sink = try DemoProcess("pipeline-sink", ["--bind", sinkEndpoint, "--tasks", "10"])
        let worker = try DemoProcess("pipeline-worker", ["--connect", backend, "--push", sinkEndpoint])
        try await device.waitForOutput("streamer: \(frontend) -> \(backend)", on: .standardError)
        try await sink.waitForOutput("pipeline-sink: bound to", on: .standardError)
        try await worker.waitForOutput("pipeline-worker: pulling", on: .standardError)

        let source = try await DemoProcess.run(
            "pipeline-ventilator",
            ["--connect", frontend, "--sink", sinkEndpoint, "--tasks", "10", "--wait-ms", "100"])
        #expect(source.exitedCleanly, "stderr: \(source.standardError)")

        let collected = try await sink.finish()
        #expect(collected.exitedCleanly)
        #expect(collected.lines.contains("received 10 results"))
        for process in [worker, device] {
            let (result, _) = try await process.stop(with: SIGINT)
            #expect(result.exitedCleanly)
        }
    }
}
