// End-to-end tests of lazy-pirate-client and lazy-pirate-server (the Guide's Lazy Pirate,
// chapter 4): a normal run, a server that stalls, one that crashes and is restarted, one
// that never comes back, a malformed reply from a REP socket in the test, and the client
// against the Guide's own lpserver.c, which stalls and crashes at random.
//
// Timeouts are short (a few hundred milliseconds) where nothing but the timeout is measured,
// and a second or more where the server must answer in time, so a busy machine does not
// turn a reply into a retry.

import Foundation
import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The client's lines on standard output, as the issue and the Guide spell them.
enum PirateLine {
    static func ok(_ sequence: Int) -> String { "I: server replied OK (\(sequence))" }
    static let retrying = "W: no response from server, retrying..."
    static let abandoning = "E: server seems to be offline, abandoning"
    static func malformed(_ reply: String) -> String { "E: malformed reply from server: \(reply)" }
    static func request(_ request: String) -> String { "I: normal request (\(request))" }
    static let overload = "I: simulating CPU overload"
    static let crash = "I: simulating a crash"

    /// The sequence number of an OK line, or `nil` for any other line.
    static func okSequence(_ line: String) -> Int? {
        let prefix = "I: server replied OK (", suffix = ")"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix) else { return nil }
        return Int(line.dropFirst(prefix.count).dropLast(suffix.count))
    }
}

/// `ipc://` endpoints in a temporary folder of this test process, removed when the process
/// ends. libzmq removes each socket file when the socket bound to it closes.
enum IPCEndpoints {
    private static let folder: URL = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("zmq-demo-ipc-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: IPCEndpoints.folder) }
        return folder
    }()

    private static let counter = Atomic<Int>(0)

    /// A fresh `ipc://` endpoint that nothing is bound to.
    static func fresh(_ name: String) -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return "ipc://" + folder.appendingPathComponent("\(name)-\(number).ipc").path
    }
}

@Suite("Lazy Pirate demos", .timeLimit(.minutes(1)))
struct LazyPirateTests {
    /// Starts lazy-pirate-server and waits until it has bound its endpoint.
    private func startServer(_ endpoint: String, _ options: [String] = []) async throws -> DemoProcess {
        let server = try DemoProcess("lazy-pirate-server", ["--bind", endpoint] + options)
        try await server.waitForOutput("lazy-pirate-server: bound to \(endpoint)", on: .standardError)
        return server
    }

    // MARK: Command lines

    @Test("--help describes every option", arguments: [
        ("lazy-pirate-client", ["--connect", "--retries", "--timeout-ms", "--count", "I: server replied OK",
                                "W: no response from server, retrying...", "abandoning"]),
        ("lazy-pirate-server", ["--bind", "--crash-at", "--slow-at", "I: normal request",
                                "I: simulating CPU overload", "I: simulating a crash"]),
    ])
    func help(_ name: String, mentions: [String]) async throws {
        let result = try await DemoProcess.run(name, ["--help"])
        #expect(result.exitedCleanly)
        #expect(result.standardOutput.contains("USAGE: \(name)"))
        for text in mentions {
            #expect(result.standardOutput.contains(text), "\(name) --help does not mention \(text)")
        }
        #expect(result.standardError.isEmpty)
    }

    @Test("a bad argument is reported with the usage, with status 64", arguments: [
        ("lazy-pirate-client", [String]()),
        ("lazy-pirate-client", ["--connect", "tcp://127.0.0.1:1", "--retries", "0"]),
        ("lazy-pirate-client", ["--connect", "tcp://127.0.0.1:1", "--timeout-ms", "0"]),
        ("lazy-pirate-client", ["--connect", "tcp://127.0.0.1:1", "--count", "0"]),
        ("lazy-pirate-client", ["--connect", "tcp://127.0.0.1:1", "--count", "ten"]),
        ("lazy-pirate-client", ["--connect", "tcp://127.0.0.1:1", "--bogus"]),
        ("lazy-pirate-server", []),
        ("lazy-pirate-server", ["--bind", "tcp://127.0.0.1:1", "--crash-at", "0"]),
        ("lazy-pirate-server", ["--bind", "tcp://127.0.0.1:1", "--slow-at", "2", "--slow-at", "-1"]),
        ("lazy-pirate-server", ["--bind", "tcp://127.0.0.1:1", "--slow-at", "x"]),
        ("lazy-pirate-server", ["--bind", "tcp://127.0.0.1:1", "--count", "3"]),
    ])
    func badArgument(_ name: String, arguments: [String]) async throws {
        try await DemoProcess.run(name, arguments).expectUsageError(of: name)
    }

    @Test("a bad endpoint is reported on stderr, with status 1", arguments: [
        ("lazy-pirate-client", ["--connect", "nowhere"], "error: cannot connect to 'nowhere': the endpoint has no transport"),
        ("lazy-pirate-server", ["--bind", "tcpp://127.0.0.1:1"], "error: cannot bind to 'tcpp://127.0.0.1:1': unknown transport 'tcpp'"),
    ])
    func badEndpoint(_ name: String, arguments: [String], error: String) async throws {
        try await DemoProcess.run(name, arguments).expectEndpointError(error)
    }

    @Test("SIGINT and SIGTERM stop a waiting client or server with status 0", arguments: [SIGINT, SIGTERM])
    func stopsOnSignal(_ signal: Int32) async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(endpoint)
        // Nothing listens on the client's endpoint: it waits out its first attempt.
        let client = try DemoProcess(
            "lazy-pirate-client", ["--connect", try Endpoints.fresh(), "--timeout-ms", "60000"])
        try await client.waitForOutput("lazy-pirate-client: connecting to", on: .standardError)
        try await Task.sleep(for: .milliseconds(100))
        for process in [client, server] {
            let (result, elapsed) = try await process.stop(with: signal)
            #expect(result.exitedCleanly, "\(process.name): status \(result.status), stderr: \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
            #expect(!result.standardError.contains("error"), "\(process.name) stderr: \(result.standardError)")
            #expect(elapsed < .seconds(5))
        }
    }

    // MARK: Request/reply

    @Test("a normal run: every request is answered OK, in order, and the server logs each")
    func normalRun() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(endpoint)
        let client = try await DemoProcess.run(
            "lazy-pirate-client", ["--connect", endpoint, "--count", "5", "--timeout-ms", "5000"])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        #expect(client.lines == (1...5).map(PirateLine.ok))
        #expect(client.errorLines == ["lazy-pirate-client: connecting to \(endpoint)"])

        let (result, _) = try await server.stop()
        #expect(result.exitedCleanly)
        #expect(result.lines == (1...5).map { PirateLine.request(String($0)) })
    }

    @Test("the default count is 10")
    func defaultCount() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(endpoint)
        let client = try await DemoProcess.run("lazy-pirate-client", ["--connect", endpoint])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        #expect(client.lines == (1...10).map(PirateLine.ok))
        _ = try await server.stop()
    }

    @Test("a stalled request is retried on a new socket, and the run completes")
    func slowServer() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(endpoint, ["--slow-at", "2"])
        // Request 2 takes 2 s: attempts at 0 s and 1 s time out, the one at 2 s (or 3 s)
        // is answered.
        let client = try await DemoProcess.run(
            "lazy-pirate-client", ["--connect", endpoint, "--count", "3", "--timeout-ms", "1000", "--retries", "5"])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        let lines = client.lines
        #expect(lines.compactMap(PirateLine.okSequence) == [1, 2, 3])
        // Retries only while request 2 was stalled.
        #expect(lines.first == PirateLine.ok(1))
        #expect(Array(lines.suffix(2)) == [PirateLine.ok(2), PirateLine.ok(3)])
        let retries = lines.dropFirst().dropLast(2)
        #expect(!retries.isEmpty && retries.allSatisfy { $0 == PirateLine.retrying }, "\(lines)")
        // One "reconnecting" status line per retry.
        #expect(client.errorLines.filter { $0.hasPrefix("lazy-pirate-client: reconnecting to") }.count == retries.count)

        let (result, _) = try await server.stop()
        #expect(result.exitedCleanly)
        #expect(Array(result.lines.prefix(3))
                == [PirateLine.request("1"), PirateLine.overload, PirateLine.request("2")])
        #expect(result.lines.contains(PirateLine.request("3")))
    }

    @Test("the client survives a server that crashes and is restarted on the same endpoint (ipc)")
    func crashAndRestart() async throws {
        let endpoint = IPCEndpoints.fresh("lazy-pirate")
        let first = try await startServer(endpoint, ["--crash-at", "3"])
        // Ten attempts of a second: time enough for the test to notice the crash and restart
        // the server, even on a busy machine.
        let client = try DemoProcess(
            "lazy-pirate-client", ["--connect", endpoint, "--count", "5", "--timeout-ms", "1000", "--retries", "10"])

        // The first server takes two requests and dies on the third, without replying.
        let crashed = try await first.finish()
        #expect(crashed.exitedCleanly, "stderr: \(crashed.standardError)")
        #expect(crashed.lines == [PirateLine.request("1"), PirateLine.request("2"), PirateLine.crash])

        let second = try await startServer(endpoint)
        let result = try await client.finish()
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        let lines = result.lines
        #expect(lines.compactMap(PirateLine.okSequence) == [1, 2, 3, 4, 5])
        #expect(Array(lines.prefix(2)) == [PirateLine.ok(1), PirateLine.ok(2)])
        #expect(lines.contains(PirateLine.retrying))
        #expect(lines.allSatisfy { PirateLine.okSequence($0) != nil || $0 == PirateLine.retrying }, "\(lines)")

        let (restarted, _) = try await second.stop()
        #expect(restarted.exitedCleanly)
        // Request 3 may have come twice, if an attempt timed out just as it was answered.
        #expect(Set(restarted.lines) == Set(["3", "4", "5"].map(PirateLine.request)), "\(restarted.lines)")
    }

    @Test("the client gives up on a server that never comes back, after --retries attempts")
    func serverNeverComesBack() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await startServer(endpoint, ["--crash-at", "2"])
        let start = ContinuousClock.now
        let client = try DemoProcess(
            "lazy-pirate-client", ["--connect", endpoint, "--count", "5", "--timeout-ms", "300", "--retries", "3"])
        let result = try await client.finish()
        let elapsed = ContinuousClock.now - start
        #expect(!result.signaled)
        #expect(result.status == 1)
        #expect(result.lines == [PirateLine.ok(1), PirateLine.retrying, PirateLine.retrying, PirateLine.abandoning])
        #expect(result.errorLines.last
                == "error: no reply to request 2 from \(endpoint) after 3 attempts of 300 ms")
        // Three attempts of 300 ms each: not sooner, and not much later.
        #expect(elapsed >= .milliseconds(900))
        #expect(elapsed < .seconds(10))

        let crashed = try await server.finish()
        #expect(crashed.exitedCleanly)
        #expect(crashed.lines == [PirateLine.request("1"), PirateLine.crash])
    }

    @Test("a malformed reply is reported, and the client waits, retries and carries on")
    func malformedReply() async throws {
        let endpoint = try Endpoints.fresh()
        let context = try Context(defaultLinger: .zero)
        // A REP socket that answers its first request wrongly and echoes the others. It is
        // bound before the client starts, so the client's first attempt reaches it, and it
        // runs on a thread of its own, so that a busy test pool cannot delay a reply.
        let socket = try ReplySocket(context: context)
        try socket.setOption(.receiveTimeout, processTimeout)
        try socket.bind(to: endpoint)
        let server = try SocketThread(name: "wrong-reply") { [socket = consume socket] () throws -> [String] in
            var requests: [String] = []
            var request = Message()
            while requests.count < 3 {
                guard try socket.receive(into: &request) else {
                    throw DemoTestError("no request within \(processTimeout); received \(requests)")
                }
                let text = request.string
                requests.append(text)
                _ = try socket.send(requests.count == 1 ? "not \(text)" : text)
            }
            return requests
        }
        // Each attempt waits 2 s: the malformed reply's attempt times out, the next is answered.
        let client = try await DemoProcess.run(
            "lazy-pirate-client", ["--connect", endpoint, "--count", "2", "--timeout-ms", "2000", "--retries", "3"])
        #expect(client.exitedCleanly, "stderr: \(client.standardError)")
        #expect(client.lines == [
            PirateLine.malformed("not 1"),
            PirateLine.retrying,
            PirateLine.ok(1),
            PirateLine.ok(2),
        ])
        // Request 1 was sent again, on the new socket.
        #expect(try await server.value() == ["1", "1", "2"])
    }

    // MARK: The Guide's server

    @Test("the client against the Guide's lpserver.c, restarted whenever it crashes",
          Peers.cCompiler)
    func guideServer() async throws {
        let binaries = try await GuideC.binaries()
        let endpoint = try Endpoints.fresh()
        func startGuideServer() throws -> DemoProcess {
            try DemoProcess(executable: binaries.appendingPathComponent("lpserver"), name: "lpserver.c", [endpoint])
        }
        let count = 5
        var server = try startGuideServer()
        // lpserver.c works a second per request and stalls 2 s more at random: the client's
        // default 2.5 s timeout, with a couple of extra attempts.
        let client = try DemoProcess("lazy-pirate-client", ["--connect", endpoint, "--count", String(count), "--retries", "5"])
        var crashes: [DemoResult] = []
        let deadline = ContinuousClock.now + .seconds(45)
        while client.isRunning && ContinuousClock.now < deadline {
            if !server.isRunning {
                crashes.append(try await server.finish())
                server = try startGuideServer()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = try await client.finish(within: .seconds(5))
        server.send(SIGKILL)
        _ = try await server.finish()

        #expect(!result.signaled)
        let lines = result.lines
        // Every OK line answered its own request, each once and in order; nothing else but
        // retries (the Guide's server echoes exactly, so no reply is malformed).
        let answered = lines.compactMap(PirateLine.okSequence)
        #expect(answered.enumerated().allSatisfy { $0.element == $0.offset + 1 }, "\(lines)")
        #expect(lines.allSatisfy { PirateLine.okSequence($0) != nil || $0 == PirateLine.retrying || $0 == PirateLine.abandoning },
                "\(lines)")
        if result.status == 0 {
            #expect(answered.count == count)
        } else {
            // Given up cleanly on a server that stalled on too many attempts in a row.
            #expect(result.status == 1)
            #expect(lines.last == PirateLine.abandoning)
        }
        // Each time it went away, the Guide's server had crashed on purpose.
        for crash in crashes {
            #expect(crash.exitedCleanly)
            #expect(crash.lines.last == PirateLine.crash, "\(crash.standardOutput)")
        }
    }
}
