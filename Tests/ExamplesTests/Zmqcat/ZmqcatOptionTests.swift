// zmqcat's socket options, each checked by its effect on a peer: --routing-id (a pyzmq
// ROUTER sees it), --hwm (how many messages a PUSH queues for a peer that is not there),
// --linger-ms (how long zmqcat keeps an undelivered message when it exits), --heartbeat-ms
// (ZMTP PING commands seen by a hand-written ZMTP peer, which zmqcat then drops for not
// answering), and --ipv6 (an IPv6 loopback endpoint).

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("zmqcat socket options", .serialized, .timeLimit(.minutes(2)))
struct ZmqcatOptionTests {
    @Test("--routing-id: a pyzmq ROUTER sees a req's id, and the REQ envelope round-trips", Peers.pyzmq)
    func routingID() async throws {
        let endpoint = try Endpoints.fresh()
        let router = try PyPeer.start("""
            s = open_socket("router", "bind", sys.argv[1])
            print("ready", flush=True)
            message = s.recv_multipart()
            show(message)
            s.send_multipart([message[0], b"", b"pong"])
            time.sleep(0.5)
            """, [endpoint])
        try await router.waitForOutput("ready")
        let result = try await Zmqcat.run([
            "req", "--connect", endpoint, "--routing-id", "health-check-1", "--send", "ping", "--timeout-ms", "5000",
        ])
        result.expectSuccess()
        #expect(result.lines == ["pong"])
        #expect(try await router.finish().shownMessages == [[utf8("health-check-1"), [], utf8("ping")]])
    }

    @Test("--hwm: a PUSH with --hwm 1 queues one message for a peer that is not there and sends the rest to the live one",
          Peers.pyzmq, arguments: [true, false])
    func highWaterMark(_ limited: Bool) async throws {
        // PUSH deals round-robin among its pipes, skipping full ones. The pipe to an endpoint
        // nobody listens on exists from the connect on and is never read: with --hwm 1 it
        // takes one message and the live peer gets the other 9; with the default (1000) it
        // takes every other message, and the live peer gets 5.
        let live = try Endpoints.fresh()
        let dead = try Endpoints.fresh()
        let peer = try PyPeer.start("""
            s = open_socket("pull", "bind", sys.argv[1])
            print("ready", flush=True)
            s.recv()
            s.rcvtimeo = 2000
            count = 1
            try:
                while True:
                    s.recv()
                    count += 1
            except zmq.Again:
                pass
            print("received %d" % count, flush=True)
            """, [live])
        try await peer.waitForOutput("ready")
        let result = try await Zmqcat.run([
            "push", "--connect", live, "--connect", dead, "--send", "x", "--count", "10", "--linger-ms", "0",
        ] + (limited ? ["--hwm", "1"] : []))
        result.expectSuccess()
        let counted = try await peer.finish()
        let received = counted.lines.last { $0.hasPrefix("received ") }.flatMap { Int($0.dropFirst(9)) }
        #expect(received == (limited ? 9 : 5), "\(counted.standardOutput) \(counted.standardError)")
    }

    @Test("--hwm takes a count: a PUSH/PULL pair with --hwm 5 works", Peers.pyzmq)
    func highWaterMarkAccepted() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["pull", "--bind", endpoint, "--hwm", "5", "--count", "20"])
        let peer = try PyPeer.send("push", "connect", endpoint, (0..<20).map { [utf8("m\($0)")] })
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == (0..<20).map { "m\($0)" })
        #expect(try await peer.finish().exitedCleanly)
    }

    @Test("--linger-ms: at the end, an undeliverable message is dropped at once with 0, kept for the linger otherwise",
          Peers.pyzmq)
    func linger() async throws {
        // A PUSH connected to a live peer and to an endpoint nobody listens on deals its two
        // messages round-robin: the second waits in the pipe to the absent peer, and with
        // nothing more to do zmqcat exits, keeping it for the linger period.
        for (linger, bounds) in [("0", Duration.zero ..< .seconds(5)), ("2500", .milliseconds(2500) ..< .seconds(12))] {
            let live = try Endpoints.fresh()
            let peer = try PyPeer.start("""
                s = open_socket("pull", "bind", sys.argv[1])
                print("ready", flush=True)
                s.recv()
                """, [live])
            try await peer.waitForOutput("ready")
            let (result, time) = try await Zmqcat.timedRun([
                "push", "--connect", live, "--connect", try Endpoints.fresh(), "--send", "undeliverable",
                "--count", "2", "--linger-ms", linger,
            ])
            result.expectSuccess()
            #expect(bounds.contains(time), "took \(time) with --linger-ms \(linger)")
            #expect(try await peer.finish().exitedCleanly)
        }
    }

    /// A ZMTP 3.1 peer by hand (a PUSH with the NULL mechanism) on a plain TCP socket: it
    /// completes the handshake, then never sends anything, and reports after `window` seconds
    /// when it first saw a PING command and when zmqcat closed the connection.
    static let silentZMTPPeer = """
        import socket, sys, time
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(sys.argv[1])))
        listener.listen(1)
        listener.settimeout(10)
        print("listening", flush=True)
        c, _ = listener.accept()
        c.settimeout(10)
        c.sendall(b"\\xff" + b"\\x00" * 8 + b"\\x7f" + b"\\x03\\x01" + b"NULL".ljust(20, b"\\x00") + b"\\x00" + b"\\x00" * 31)
        greeting = b""
        while len(greeting) < 64:
            chunk = c.recv(64 - len(greeting))
            if not chunk:
                sys.exit("zmqcat closed the connection during the greeting")
            greeting += chunk
        ready = b"\\x05READY" + bytes([11]) + b"Socket-Type" + (4).to_bytes(4, "big") + b"PUSH"
        c.sendall(bytes([0x04, len(ready)]) + ready)
        start = time.monotonic()
        ping = closed = None
        received = b""
        c.settimeout(0.05)
        while time.monotonic() - start < float(sys.argv[2]):
            try:
                chunk = c.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                closed = time.monotonic() - start
                break
            received += chunk
            if ping is None and b"\\x04PING" in received:
                ping = time.monotonic() - start
        print("ping", "none" if ping is None else int(ping * 1000), flush=True)
        print("closed", "none" if closed is None else int(closed * 1000), flush=True)
        """

    @Test("--heartbeat-ms N: zmqcat sends ZMTP PINGs and drops a peer silent for 3 N; without it, neither")
    func heartbeat() async throws {
        let endpoint = try Endpoints.fresh()
        let port = try #require(endpoint.split(separator: ":").last.map(String.init))
        let peer = try DemoProcess.python(Self.silentZMTPPeer, [port, "4"], name: "ZMTP peer")
        try await peer.waitForOutput("listening")
        let zmqcat = try Zmqcat.start(["pull", "--connect", endpoint, "--heartbeat-ms", "200"])
        let report = try await peer.finish()
        #expect(report.exitedCleanly, "\(report.standardError)")
        let ping = report.lines.first { $0.hasPrefix("ping ") }.flatMap { Int($0.dropFirst(5)) }
        let closed = report.lines.first { $0.hasPrefix("closed ") }.flatMap { Int($0.dropFirst(7)) }
        #expect(ping != nil, "no PING within 4 s: \(report.lines)")
        // Heartbeat timeout 3 × 200 ms after the first PING; generous upper bound.
        #expect(closed.map { $0 >= 500 && $0 < 4000 } == true, "\(report.lines)")
        let (result, _) = try await zmqcat.stop(with: SIGTERM)
        result.expectSuccess()

        let quietEndpoint = try Endpoints.fresh()
        let quietPort = try #require(quietEndpoint.split(separator: ":").last.map(String.init))
        let quietPeer = try DemoProcess.python(Self.silentZMTPPeer, [quietPort, "1.5"], name: "ZMTP peer")
        try await quietPeer.waitForOutput("listening")
        let quiet = try Zmqcat.start(["pull", "--connect", quietEndpoint])
        let quietReport = try await quietPeer.finish()
        #expect(quietReport.lines.filter { $0 != "listening" } == ["ping none", "closed none"],
                "\(quietReport.standardError)")
        let (quietResult, _) = try await quiet.stop(with: SIGTERM)
        quietResult.expectSuccess()
    }

    @Test("--ipv6: zmqcat binds tcp://[::1]:port and a pyzmq PUSH reaches it over IPv6",
          .enabled(if: hasIPv6Loopback, "this machine has no IPv6 loopback address (::1)"), Peers.pyzmq)
    func ipv6() async throws {
        let port = try #require(try Endpoints.fresh().split(separator: ":").last.map(String.init))
        let endpoint = "tcp://[::1]:\(port)"
        let zmqcat = try Zmqcat.start(["pull", "--bind", endpoint, "--ipv6", "--count", "1"])
        let peer = try PyPeer.start("""
            s = open_socket("push", "connect", sys.argv[1], ipv6=True)
            s.send(b"over IPv6")
            s.close()
            ctx.term()
            """, [endpoint])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["over IPv6"])
        #expect(try await peer.finish().exitedCleanly)
    }

    @Test("Without --ipv6, an IPv6 endpoint is an endpoint error (status 2)",
          .enabled(if: hasIPv6Loopback, "this machine has no IPv6 loopback address (::1)"))
    func ipv6Needed() async throws {
        let port = try #require(try Endpoints.fresh().split(separator: ":").last.map(String.init))
        let result = try await Zmqcat.run(["pull", "--bind", "tcp://[::1]:\(port)"])
        result.expectZmqcatUsageError(mentioning: "[::1]")
    }
}
