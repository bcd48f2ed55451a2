// End-to-end tests of async-echo-server: the demo runs as a child process, and its clients
// are REQ and DEALER sockets in this process, each made in its own child task and used with
// the async API. Endpoints are loopback TCP ports from `Endpoints.fresh()`; every wait is
// bounded (a receive timeout on each client, `processTimeout` on the process).

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The frames client `index` sends: text, an empty frame, and binary bytes (a zero byte, a
/// byte that is not UTF-8, a newline, and the index).
private func requestFrames(_ label: String, _ index: Int) -> [[UInt8]] {
    [Array("\(label) \(index)".utf8), [], [0, 0xFF, 0x0A, UInt8(truncatingIfNeeded: index)]]
}

/// Starts async-echo-server and waits for its "bound to" line, which it prints once it
/// serves and a signal would stop it gracefully.
private func startServer(_ arguments: [String]) async throws -> (DemoProcess, endpoint: String) {
    let endpoint = try Endpoints.fresh()
    let server = try DemoProcess("async-echo-server", ["--bind", endpoint] + arguments)
    try await server.waitForOutput("async-echo-server: bound to \(endpoint)", on: .standardError)
    return (server, endpoint)
}

/// Sends one request from a new REQ socket and returns the reply's frames, or `nil` when
/// none came within `timeout`.
private func requestOnce(
    _ frames: [[UInt8]], to endpoint: String, in context: Context, timeout: Duration = .seconds(10)
) async throws -> [[UInt8]]? {
    let client = try RequestSocket(context: context)
    try client.setOption(.receiveTimeout, timeout)
    try client.connect(to: endpoint)
    try await client.send(multipart: frames)
    return try await client.receiveMultipart()
}

// Serialized: a test that holds 200 client sockets open must not overlap another test's start of
// the server process (Foundation's Process.run can crash while many descriptors are open).
@Suite("async-echo-server", .serialized, .timeLimit(.minutes(1)))
struct AsyncEchoServerTests {
    @Test("--help describes every option")
    func help() async throws {
        let result = try await DemoProcess.run("async-echo-server", ["--help"])
        #expect(result.exitedCleanly)
        #expect(result.standardOutput.contains("OVERVIEW:"))
        #expect(result.standardOutput.contains("USAGE: async-echo-server --bind <endpoint>"))
        for option in ["--bind", "--count", "--delay-ms", "served <k> requests", "SIGTERM"] {
            #expect(result.standardOutput.contains(option), "--help does not mention \(option)")
        }
        #expect(result.standardError.isEmpty)
    }

    @Test("200 REQ clients waiting 200 ms each are answered concurrently, each with its own frames")
    func twoHundredConcurrentClients() async throws {
        let clientCount = 200
        let (server, endpoint) = try await startServer(["--delay-ms", "200", "--count", "\(clientCount)"])
        let context = try Context(defaultLinger: .zero)
        let started = ContinuousClock.now
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<clientCount {
                group.addTask {
                    let frames = requestFrames("request", index)
                    let reply = try await requestOnce(frames, to: endpoint, in: context)
                    #expect(reply == frames, "client \(index)")
                    return reply == frames
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let elapsed = ContinuousClock.now - started
        print("async-echo-server: \(clientCount) REQ clients x 200 ms answered in \(elapsed)")
        #expect(answered == clientCount)
        // One after the other, 200 requests of 200 ms would take 40 s.
        #expect(elapsed < .seconds(5), "answered in \(elapsed)")

        let result = try await server.finish()
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardOutput == "served \(clientCount) requests\n")
    }

    @Test("DEALER clients are answered too, several requests each, with their exact frames")
    func dealerClients() async throws {
        let (server, endpoint) = try await startServer(["--delay-ms", "100"])
        let context = try Context(defaultLinger: .zero)
        let dealerCount = 50, requestsEach = 3
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for dealer in 0..<dealerCount {
                group.addTask {
                    let client = try DealerSocket(context: context)
                    try client.setOption(.receiveTimeout, .seconds(10))
                    try client.connect(to: endpoint)
                    // A DEALER sends without waiting for replies: all of them are in flight
                    // at once, and come back in whatever order their handlers finish.
                    var expected: Set<[[UInt8]]> = []
                    for request in 0..<requestsEach {
                        let frames = requestFrames("dealer \(dealer) request", request)
                        expected.insert(frames)
                        try await client.send(multipart: frames)
                    }
                    var received: Set<[[UInt8]]> = []
                    for _ in 0..<requestsEach {
                        guard let reply = try await client.receiveMultipart() else { break }
                        received.insert(reply)
                    }
                    #expect(received == expected, "dealer \(dealer)")
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(5), "150 requests of 100 ms answered in \(elapsed)")

        let (result, _) = try await server.stop(with: SIGTERM)
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardOutput == "served \(dealerCount * requestsEach) requests\n")
    }

    @Test("--count N: the N-th reply reaches its client before the server exits with status 0",
          arguments: [1, 3])
    func countDeliversTheLastReply(_ count: Int) async throws {
        // Requests one at a time, so the last one is answered just before the server stops;
        // its reply must still go out (the socket lingers) rather than die with the process.
        for round in 0..<3 {
            let (server, endpoint) = try await startServer(["--count", "\(count)"])
            let context = try Context(defaultLinger: .zero)
            for index in 0..<count {
                let frames = requestFrames("round \(round) request", index)
                let reply = try await requestOnce(frames, to: endpoint, in: context)
                #expect(reply == frames, "round \(round), request \(index + 1) of \(count)")
            }
            let result = try await server.finish()
            #expect(result.exitedCleanly, "stderr: \(result.standardError)")
            #expect(result.standardOutput == "served \(count) requests\n")
        }
    }

    @Test("--count N with more clients than N answers exactly N, then exits with status 0")
    func countStopsAfterExactlyN() async throws {
        let (server, endpoint) = try await startServer(["--count", "5", "--delay-ms", "300"])
        let context = try Context(defaultLinger: .zero)
        // Eight requests arrive within the 300 ms the first ones wait: all are in flight
        // together, and only five may be answered.
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let frames = requestFrames("request", index)
                    guard let reply = try await requestOnce(frames, to: endpoint, in: context, timeout: .seconds(3))
                    else { return false }
                    #expect(reply == frames, "client \(index)")
                    return true
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 5)
        let result = try await server.finish()
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardOutput == "served 5 requests\n")
    }

    @Test("SIGINT and SIGTERM stop an idle server within a second: 'served 0 requests', status 0",
          arguments: [SIGINT, SIGTERM])
    func stopsWhileIdle(_ signal: Int32) async throws {
        let (server, endpoint) = try await startServer([])
        // Let it settle into waiting for requests.
        try await Task.sleep(for: .milliseconds(100))
        let (result, elapsed) = try await server.stop(with: signal)
        #expect(result.exitedCleanly, "status \(result.status), signaled \(result.signaled), stderr: \(result.standardError)")
        #expect(elapsed < .seconds(1))
        #expect(result.standardOutput == "served 0 requests\n")
        // The status line only: no error, no log line from the service group.
        #expect(result.errorLines == ["async-echo-server: bound to \(endpoint)"])
    }

    @Test("a signal after some requests counts the requests answered")
    func countsAnsweredRequestsOnSignal() async throws {
        let (server, endpoint) = try await startServer([])
        let context = try Context(defaultLinger: .zero)
        for index in 0..<3 {
            let frames = requestFrames("request", index)
            #expect(try await requestOnce(frames, to: endpoint, in: context) == frames)
        }
        let (result, _) = try await server.stop(with: SIGINT)
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(result.standardOutput == "served 3 requests\n")
    }

    @Test("a signal stops the server within a second while requests wait, leaving them unanswered")
    func stopsWhileRequestsWait() async throws {
        let (server, endpoint) = try await startServer(["--delay-ms", "60000"])
        let context = try Context(defaultLinger: .zero)
        // Three requests whose handlers wait a minute: the signal cancels them, and the
        // server stops without waiting them out, or answering them.
        async let replies = withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<3 {
                group.addTask {
                    let frames = requestFrames("slow", index)
                    return try await requestOnce(frames, to: endpoint, in: context, timeout: .seconds(3)) != nil
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        try await Task.sleep(for: .milliseconds(300))
        let (result, elapsed) = try await server.stop(with: SIGTERM)
        #expect(result.exitedCleanly, "stderr: \(result.standardError)")
        #expect(elapsed < .seconds(1))
        #expect(result.standardOutput == "served 0 requests\n")
        #expect(try await replies == 0)
    }

    static let badEndpoints: [(endpoint: String, reason: String)] = [
        ("foo", "error: cannot bind to 'foo': the endpoint has no transport"),
        ("tcp://127.0.0.1", "error: cannot bind to 'tcp://127.0.0.1': the endpoint has no port"),
        ("udp://127.0.0.1:1", "error: cannot bind to 'udp://127.0.0.1:1':"),
        ("tcp://127.0.0.1:port", "error: cannot bind to 'tcp://127.0.0.1:port': the port 'port' is not a number"),
    ]

    @Test("a bad endpoint is one line on stderr and status 1, never a trap", arguments: badEndpoints)
    func badEndpoint(_ endpoint: String, _ reason: String) async throws {
        let result = try await DemoProcess.run("async-echo-server", ["--bind", endpoint])
        #expect(!result.signaled, "crashed with signal \(result.status)")
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix(reason), "stderr: \(result.standardError)")
        #expect(result.errorLines.count == 1, "stderr: \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test("binding a port another server holds is one line on stderr and status 1")
    func addressInUse() async throws {
        let (first, endpoint) = try await startServer([])
        let second = try await DemoProcess.run("async-echo-server", ["--bind", endpoint])
        #expect(!second.signaled)
        #expect(second.status == 1)
        #expect(second.standardError == "error: cannot bind to '\(endpoint)': Address already in use (EADDRINUSE)\n")
        #expect(second.standardOutput.isEmpty)
        let (result, _) = try await first.stop()
        #expect(result.exitedCleanly)
    }

    static let badArguments: [[String]] = [
        [],
        ["--bind", "tcp://127.0.0.1:1", "--count", "0"],
        ["--bind", "tcp://127.0.0.1:1", "--count", "ten"],
        ["--bind", "tcp://127.0.0.1:1", "--delay-ms=-1"],
        ["--bind", "tcp://127.0.0.1:1", "--delay-ms", "soon"],
        ["--bind", "tcp://127.0.0.1:1", "--verbose"],
    ]

    @Test("a bad argument is reported with its reason first, then the usage; status 64", arguments: badArguments)
    func badArgument(_ arguments: [String]) async throws {
        let result = try await DemoProcess.run("async-echo-server", arguments)
        #expect(!result.signaled, "crashed with signal \(result.status)")
        #expect(result.status == 64)  // EX_USAGE, ArgumentParser's status for a bad argument
        #expect(result.errorLines.first?.hasPrefix("Error: ") == true, "stderr: \(result.standardError)")
        // "Usage: …" after a bad value, the whole help (with "USAGE: …") after a missing one.
        #expect(result.standardError.lowercased().contains("usage: async-echo-server --bind <endpoint>"))
        #expect(result.standardOutput.isEmpty)
    }
}
