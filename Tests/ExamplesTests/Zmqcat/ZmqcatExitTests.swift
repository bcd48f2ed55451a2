// zmqcat's exit statuses and their one-line reasons: 2 for usage and endpoint errors, 1 for
// timeouts (and the other runtime failures; refused handshakes are in ZmqcatSecurityTests),
// 0 when done, on --help, and on SIGINT/SIGTERM, promptly.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("zmqcat exit statuses, errors, signals and --help", .serialized, .timeLimit(.minutes(2)))
struct ZmqcatExitTests {
    // MARK: Status 2

    /// Command lines that are usage errors, with a word the one-line reason must contain
    /// (nil: any reason). The endpoint is never used: parsing fails first.
    static let usageErrors: [([String], String?)] = [
        (["bogus", "--bind", "tcp://127.0.0.1:5555"], "bogus"),
        (["PULL", "--bind", "tcp://127.0.0.1:5555"], "PULL"),
        (["pull"], nil),
        ([], nil),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--bogus"], "--bogus"),
        (["push", "--connect", "tcp://127.0.0.1:5555", "--stdin", "--send", "x"], "--stdin"),
        (["push", "--connect", "tcp://127.0.0.1:5555", "--stdin", "--send-file", "/etc/hostname"], "--stdin"),
        (["push", "--connect", "tcp://127.0.0.1:5555"], nil),
        (["pub", "--bind", "tcp://127.0.0.1:5555"], nil),
        (["sub", "--connect", "tcp://127.0.0.1:5555", "--send", "x"], "--send"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--send-file", "/etc/hostname"], "--send-file"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--stdin"], "--stdin"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--subscribe", "a"], "--subscribe"),
        (["push", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--subscribe", "a"], "--subscribe"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--format", "yaml"], "yaml"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--count", "0"], "--count"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--count", "many"], "many"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--timeout-ms", "-5"], "--timeout-ms"),
        (["push", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--interval-ms", "-1"], "--interval-ms"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--hwm", "-1"], "--hwm"),
        (["pull", "--connect", "tcp://127.0.0.1:5555", "--heartbeat-ms", "soon"], "soon"),
        (["push", "--connect", "tcp://127.0.0.1:5555", "--stdin", "--delimiter", "ab"], "--delimiter"),
        (["dealer", "--connect", "tcp://127.0.0.1:5555", "--routing-id", ""], "--routing-id"),
        (["dealer", "--connect", "tcp://127.0.0.1:5555", "--routing-id", String(repeating: "r", count: 256)],
         "--routing-id"),
    ]

    @Test("Usage errors exit 2 with one line on stderr", arguments: usageErrors)
    func usageError(_ arguments: [String], _ detail: String?) async throws {
        let result = try await Zmqcat.run(arguments)
        result.expectZmqcatUsageError(mentioning: detail)
    }

    /// Endpoints libzmq refuses.
    static let badEndpoints: [[String]] = [
        ["req", "--connect", "tcp://nohost", "--send", "ping"],
        ["pull", "--bind", "tcp://nohost"],
        ["pull", "--connect", "bogus://somewhere"],
        ["pull", "--bind", "tcp://127.0.0.1:notaport"],
        ["pull", "--connect", "tcp://127.0.0.1:5555", "--bind", "ipc:///nonexistent-dir/for/zmqcat/x"],
    ]

    @Test("A malformed or unusable endpoint exits 2 with one line naming it", arguments: badEndpoints)
    func badEndpoint(_ arguments: [String]) async throws {
        let endpoint = try #require(arguments.last { $0.contains("://") })
        let result = try await Zmqcat.run(arguments)
        result.expectZmqcatUsageError(mentioning: endpoint)
    }

    @Test("Binding a port in use exits 2 with one line naming the endpoint", Peers.pyzmq)
    func portInUse() async throws {
        let endpoint = try Endpoints.fresh()
        let holder = try PyPeer.start("""
            s = open_socket("pull", "bind", sys.argv[1])
            print("bound", flush=True)
            time.sleep(20)
            """, [endpoint])
        try await holder.waitForOutput("bound")
        let result = try await Zmqcat.run(["pull", "--bind", endpoint])
        result.expectZmqcatUsageError(mentioning: endpoint)
        _ = try await holder.stop()
    }

    @Test("A --send-file that cannot be read exits 2 with one line naming the file and sends nothing")
    func unreadableSendFile() async throws {
        let result = try await Zmqcat.run(
            ["push", "--connect", try Endpoints.fresh(), "--send-file", "/nonexistent/zmqcat-frame"])
        result.expectZmqcatUsageError(mentioning: "/nonexistent/zmqcat-frame")
    }

    /// Key and certificate files are command-line input like an inline key: one that can't
    /// be read or parsed is a usage error, with the file named and no key shown.
    static let badKeyFiles: [[String]] = [
        ["rep", "--bind", "tcp://127.0.0.1:*", "--curve-secret-key-file", "/nonexistent/server.key_secret"],
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--curve-server-key-file", "/nonexistent/server.key"],
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--curve-server-key-file", "/etc/passwd"],
    ]

    @Test("A --send-file without end (/dev/zero) exits 2 once past 1 GiB, rather than exhausting memory")
    func endlessSendFile() async throws {
        let result = try await Zmqcat.run(["push", "--connect", try Endpoints.fresh(), "--send-file", "/dev/zero"])
        result.expectZmqcatUsageError(mentioning: "/dev/zero")
        #expect(result.standardError.contains("more than 1 GiB"), "stderr: \(result.standardError)")
    }

    @Test("A key or certificate file that can't be read or parsed exits 2 with one line naming it", arguments: badKeyFiles)
    func unusableKeyFile(_ arguments: [String]) async throws {
        let result = try await Zmqcat.run(arguments)
        result.expectZmqcatUsageError(mentioning: arguments.last!)
    }

    // MARK: Status 1

    /// `--stdin < /dev/zero` is one line that never ends: it is refused once it passes the
    /// cap, instead of filling memory until the process is killed.
    @Test("A line of standard input longer than 64 MiB exits 1 with one line, its memory bounded")
    func endlessStandardInputLine() async throws {
        let result = try await Zmqcat.start(
            ["push", "--connect", try Endpoints.fresh(), "--stdin"], inputFile: "/dev/zero", outputFile: nil
        ).finish()
        result.expectZmqcatFailure("error: a line of standard input is longer than 64 MiB")
        #expect(result.standardOutput.isEmpty)
    }

    @Test("req with no server and --timeout-ms 1000 exits 1: no reply within 1000 ms")
    func reqTimeout() async throws {
        let (result, elapsed) = try await Zmqcat.timedRun(
            ["req", "--connect", try Endpoints.fresh(), "--send", "ping", "--timeout-ms", "1000"])
        result.expectZmqcatFailure("error: no reply within 1000 ms")
        #expect(result.standardOutput.isEmpty)
        #expect(elapsed >= .milliseconds(900), "gave up after \(elapsed)")
    }

    @Test("pull with nothing arriving within --timeout-ms exits 1: nothing received within T ms")
    func receiveTimeout() async throws {
        let folder = try ZmqcatFolder()
        let (result, elapsed) = try await Zmqcat.timedRun(
            ["pull", "--bind", folder.ipcEndpoint(), "--timeout-ms", "500"])
        result.expectZmqcatFailure("error: nothing received within 500 ms")
        #expect(result.standardOutput.isEmpty)
        #expect(elapsed >= .milliseconds(450), "gave up after \(elapsed)")
    }

    @Test("--timeout-ms counts from the last message: what came is printed, then status 1", Peers.pyzmq)
    func timeoutAfterSomeMessages() async throws {
        let endpoint = try Endpoints.fresh()
        // The peer is up first, so that its start-up time does not count against the timeout.
        let peer = try PyPeer.send("push", "bind", endpoint, [[utf8("only one")]])
        try await peer.waitForOutput("ready")
        let zmqcat = try Zmqcat.start(["pull", "--connect", endpoint, "--count", "3", "--timeout-ms", "1500"])
        let result = try await zmqcat.finish()
        result.expectZmqcatFailure("error: nothing received within 1500 ms")
        #expect(result.lines == ["only one"])
        #expect(try await peer.finish().exitedCleanly)
    }

    /// A sender with no peer does not queue its message for an absent peer and exit 0 as if
    /// it had been sent (pair and dealer did, after the 30 s linger): it waits for a peer,
    /// and --timeout-ms bounds the wait.
    @Test("push, pair and dealer with no peer give up after --timeout-ms with status 1",
          arguments: ["push", "pair", "dealer"])
    func senderWithoutPeer(_ type: String) async throws {
        let result = try await Zmqcat.run(
            [type, "--connect", try Endpoints.fresh(), "--send", "x", "--timeout-ms", "500"])
        result.expectZmqcatFailure("error: no peer connected within 500 ms")
        #expect(result.standardOutput.isEmpty)
    }

    // MARK: Status 0

    @Test("The health check: req exits 0 when the reply came, printing it", Peers.pyzmq)
    func healthCheck() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try PyPeer.reply("bind", endpoint, count: 1, reply: [utf8("pong")])
        try await server.waitForOutput("ready")
        let result = try await Zmqcat.run(["req", "--connect", endpoint, "--send", "ping", "--timeout-ms", "1000"])
        result.expectSuccess()
        #expect(result.standardOutput == "pong\n")
        #expect(try await server.finish().shownMessages == [[utf8("ping")]])
    }

    @Test("--help exits 0 on stdout, names every type and shows an example for each pattern")
    func help() async throws {
        let result = try await Zmqcat.run(["--help"])
        result.expectSuccess()
        #expect(result.standardError.isEmpty, "\(result.standardError)")
        let help = result.standardOutput
        for type in ["pair", "pub", "sub", "req", "rep", "dealer", "router", "pull", "push", "xpub", "xsub", "stream"] {
            #expect(help.contains(type), "--help does not name \(type)")
        }
        for option in ["--bind", "--connect", "--send", "--send-file", "--stdin", "--delimiter", "--count",
                       "--interval-ms", "--format", "--subscribe", "--timeout-ms", "--hwm", "--linger-ms",
                       "--routing-id", "--heartbeat-ms", "--ipv6", "--curve-server-key", "--curve-secret-key",
                       "--plain-user", "--allow", "--allow-dir", "--allow-ip", "--deny-ip"] {
            #expect(help.contains(option), "--help does not describe \(option)")
        }
        let examples = help.split(separator: "\n").filter { $0.contains("zmqcat ") && $0.contains("://") }
        // One pattern each: request-reply, publish-subscribe, pipeline, dealer-router, pair, stream.
        let patterns: [(String, [String])] = [
            ("request-reply", ["req", "rep"]), ("publish-subscribe", ["pub", "sub", "xpub", "xsub"]),
            ("pipeline", ["push", "pull"]), ("dealer-router", ["dealer", "router"]), ("pair", ["pair"]),
            ("stream", ["stream"]),
        ]
        for (pattern, types) in patterns {
            #expect(examples.contains { line in types.contains { line.contains("zmqcat \($0) ") } },
                    "--help has no example for \(pattern)")
        }
        #expect(help.contains("--timeout-ms 1000") && examples.contains { $0.contains("zmqcat req ") },
                "--help has no health-check example")
    }

    // MARK: Signals

    @Test("SIGINT and SIGTERM end a receiving zmqcat promptly with status 0, keeping what it printed",
          Peers.pyzmq, arguments: [SIGINT, SIGTERM])
    func signalWhileReceiving(_ signal: Int32) async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["pull", "--bind", endpoint])
        let peer = try PyPeer.send("push", "connect", endpoint, [[utf8("before the signal")]])
        try await zmqcat.waitForOutput("before the signal\n")
        let (result, elapsed) = try await zmqcat.stop(with: signal)
        result.expectSuccess()
        #expect(result.lines == ["before the signal"])
        #expect(elapsed < .seconds(5), "took \(elapsed) to exit")
        #expect(try await peer.finish().exitedCleanly)
    }

    @Test("SIGINT and SIGTERM end a req waiting for its reply promptly with status 0",
          Peers.pyzmq, arguments: [SIGINT, SIGTERM])
    func signalWhileWaitingForReply(_ signal: Int32) async throws {
        let endpoint = try Endpoints.fresh()
        let server = try PyPeer.start("""
            s = open_socket("rep", "bind", sys.argv[1])
            show(s.recv_multipart())
            time.sleep(20)
            """, [endpoint])
        let zmqcat = try Zmqcat.start(["req", "--connect", endpoint, "--send", "ping"])
        try await server.waitForOutput("[")
        let (result, elapsed) = try await zmqcat.stop(with: signal)
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
        #expect(elapsed < .seconds(5), "took \(elapsed) to exit")
        _ = try await server.stop()
    }

    @Test("SIGINT and SIGTERM end a zmqcat blocked writing to an output nobody reads promptly with status 0",
          Peers.pyzmq, arguments: [SIGINT, SIGTERM])
    func signalWhileOutputStalls(_ signal: Int32) async throws {
        let folder = try ZmqcatFolder()
        let fifo = folder.file("output")
        #expect(mkfifo(fifo, 0o600) == 0)
        let endpoint = try Endpoints.fresh()
        // Its standard output is a pipe whose only reader is zmqcat's own descriptor 3, never
        // read: once the pipe is full (64 KiB), every write blocks.
        let script = #"exec "$0" "$@" 3<>'"# + fifo + #"' >'"# + fifo + "'"
        let zmqcat = try DemoProcess(
            executable: URL(fileURLWithPath: "/bin/sh"), name: "zmqcat",
            ["-c", script, Zmqcat.executable.path, "pull", "--bind", endpoint])
        let frame = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let peer = try PyPeer.send("push", "connect", endpoint, Array(repeating: [frame], count: 32), folder: folder)
        #expect(try await peer.finish().exitedCleanly)
        // 2 MiB of output against a 64 KiB pipe: zmqcat is blocked in write(2) by now.
        try await Task.sleep(for: .milliseconds(500))
        let (result, elapsed) = try await zmqcat.stop(with: signal)
        result.expectSuccess()
        #expect(elapsed < .seconds(5), "took \(elapsed) to exit")
        withExtendedLifetime(folder) {}
    }

    @Test("SIGINT and SIGTERM end a push --stdin blocked reading its input promptly with status 0",
          Peers.pyzmq, arguments: [SIGINT, SIGTERM])
    func signalWhileReadingStdin(_ signal: Int32) async throws {
        let endpoint = try Endpoints.fresh()
        let peer = try PyPeer.receive("pull", "bind", endpoint, count: 1)
        let zmqcat = try Zmqcat.start(["push", "--connect", endpoint, "--stdin"], standardInput: true)
        try zmqcat.writeToStandardInput("first line\n")
        let received = try await peer.finish()
        #expect(received.shownMessages == [[utf8("first line")]])
        let (result, elapsed) = try await zmqcat.stop(with: signal)
        result.expectSuccess()
        #expect(elapsed < .seconds(5), "took \(elapsed) to exit")
    }
}
