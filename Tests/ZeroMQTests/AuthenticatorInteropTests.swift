import Foundation
import Synchronization
import Testing
import ZeroMQ

// The authenticator against an independent implementation, pyzmq, in both directions:
//
// - our servers, guarded by `Authenticator`, with pyzmq clients;
// - pyzmq servers, guarded by pyzmq's own `ThreadAuthenticator`, with our clients.
//
// In each, a client with an unknown CURVE key, a plaintext client against a CURVE server, a
// PLAIN client with the wrong password and a client from an address not allowed are refused,
// and no message of theirs reaches the server nor any reply them; an allowed key, the right
// password and an allowed address get through, and the server sees their `User-Id`.
// Every payload names its case, so what crossed can be told apart.

@Suite(
    "Authenticator with pyzmq",
    .enabled(if: ZeroMQLibrary.has(.curve), "libzmq was built without CURVE"),
    PythonPeer.curveCondition
)
struct AuthenticatorInteropTests {
    @Test func ourAuthenticatorRefusesPythonClientsAndAdmitsTheRightOnes() throws {
        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        let log = DecisionLog()
        authenticator.setDecisionHandler(log.record)
        let serverKeys = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        try authenticator.setPolicy(.curve(.keys([allowed.publicKey])))
        try authenticator.setPolicy(.plain(["admin": "secret"]), forDomain: "plain")
        try authenticator.setPolicy(.addresses(allowing: [try IPAddressRange("127.0.0.2")]), forDomain: "ip")

        let curve = try makeSocket(SocketType.Rep.self, context: context)
        try TestSecurity.curveServer(serverKeys).apply(to: curve)
        let curveEndpoint = try curve.bind(to: "tcp://127.0.0.1:*").endpoint
        let plain = try makeSocket(SocketType.Rep.self, context: context)
        try TestSecurity.plainServer.apply(to: plain)
        try plain.setOption(.zapDomain, "plain")
        let plainEndpoint = try plain.bind(to: "tcp://127.0.0.1:*").endpoint
        let addressed = try makeSocket(SocketType.Rep.self, context: context)
        try TestSecurity.nullWithDomain("ip").apply(to: addressed)
        let addressedEndpoint = try addressed.bind(to: "tcp://127.0.0.1:*").endpoint
        let server = try EchoServers(curve: curve, plain: plain, addressed: addressed)

        let peer = try PythonPeer(script: #"""
            import sys, zmq
            from zmq.utils.monitor import recv_monitor_message
            curve_ep, plain_ep, ip_ep, server_public, allowed_public, allowed_secret = sys.argv[1:7]
            ctx = zmq.Context()
            WATCH = (zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                     | zmq.EVENT_HANDSHAKE_SUCCEEDED)

            def curve_keys(public, secret):
                def configure(s):
                    s.curve_serverkey = server_public.encode()
                    s.curve_publickey = public
                    s.curve_secretkey = secret
                return configure

            def plain_user(name, password):
                def configure(s):
                    s.plain_username = name
                    s.plain_password = password
                return configure

            def attempt(name, endpoint, configure, admitted):
                s = ctx.socket(zmq.REQ)
                s.linger = 0
                configure(s)
                monitor = s.get_monitor_socket(WATCH)
                monitor.rcvtimeo = 10000
                s.connect(endpoint)
                payload = name.encode()
                s.send(payload)
                try:
                    event = recv_monitor_message(monitor)
                except zmq.Again:
                    sys.exit(name + ": no handshake event")
                if admitted:
                    assert event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED, (name, event)
                    s.rcvtimeo = 10000
                    reply = s.recv()
                    assert reply == payload, (name, reply)
                    print(name, "replied", flush=True)
                else:
                    if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                        what = "auth %d" % event["value"]
                    elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
                        what = "protocol"
                    else:
                        sys.exit(name + ": the handshake succeeded")
                    s.rcvtimeo = 300
                    try:
                        s.recv()
                        sys.exit(name + ": got a reply")
                    except zmq.Again:
                        pass
                    print(name, "refused", what, flush=True)
                s.disable_monitor()
                monitor.close()
                s.close()

            stranger_public, stranger_secret = zmq.curve_keypair()
            attempt("curve-unknown-key", curve_ep, curve_keys(stranger_public, stranger_secret), False)
            attempt("curve-plaintext", curve_ep, lambda s: None, False)
            attempt("curve-allowed-key", curve_ep, curve_keys(allowed_public.encode(), allowed_secret.encode()), True)
            attempt("plain-wrong-password", plain_ep, plain_user(b"admin", b"wrong"), False)
            attempt("plain-right-password", plain_ep, plain_user(b"admin", b"secret"), True)
            attempt("ip-from-127.0.0.1", ip_ep, lambda s: None, False)
            attempt("ip-from-127.0.0.2", "tcp://127.0.0.2:0;" + ip_ep[len("tcp://"):], lambda s: None, True)
            ctx.destroy(linger=0)
            """#, arguments: [
                curveEndpoint, plainEndpoint, addressedEndpoint, serverKeys.publicKey.z85,
                allowed.publicKey.z85, allowed.secretKey.revealedZ85,
            ])

        let (status, output, errors) = peer.finish()
        let received = server.stop()
        #expect(status == 0, "the Python clients failed: \(errors)")
        for line in [
            "curve-unknown-key refused auth 400", "curve-plaintext refused protocol", "curve-allowed-key replied",
            "plain-wrong-password refused auth 400", "plain-right-password replied",
            "ip-from-127.0.0.1 refused auth 400", "ip-from-127.0.0.2 replied",
        ] {
            #expect(output.contains(line + "\n"), "missing '\(line)' in \(output.debugDescription)")
        }
        // Only the admitted clients' messages reached our servers, with their identities.
        #expect(received == [
            Received(server: "curve", payload: "curve-allowed-key", userID: allowed.publicKey.z85),
            Received(server: "plain", payload: "plain-right-password", userID: "admin"),
            Received(server: "ip", payload: "ip-from-127.0.0.2", userID: nil),
        ])
        let reasons = log.all.compactMap(\.denialReason)
        #expect(reasons.contains(.unknownKey) && reasons.contains(.wrongPassword) && reasons.contains(.addressNotAllowed))
        #expect(!log.all.contains { $0.username == nil && $0.clientKey == nil && $0.mechanism == .curve },
                "the plaintext client never reaches the authenticator")
    }

    @Test func pythonsAuthenticatorRefusesOurClientsAndAdmitsTheRightOnes() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let certificates = "\(TestEnvironment.temporaryFolder)/certificates-\(TestEnvironment.uniqueNumber())"
        try FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: certificates) }

        // Our clients bind, and pyzmq's servers connect to them: a CURVE or PLAIN server may
        // be either end of the TCP connection, and so no endpoint has to travel back.
        let cases: [(name: String, security: TestSecurity, bind: String, admitted: Bool)] = [
            ("curve-unknown-key", .curveClient(server: serverKeys.publicKey, client: stranger), "127.0.0.1", false),
            ("curve-plaintext", .null, "127.0.0.1", false),
            ("curve-allowed-key", .curveClient(server: serverKeys.publicKey, client: allowed), "127.0.0.1", true),
            ("plain-wrong-password", .plainClient(username: "admin", password: "wrong"), "127.0.0.1", false),
            ("plain-right-password", .plainClient(username: "admin", password: "secret"), "127.0.0.1", true),
            ("ip-from-127.0.0.1", .null, "127.0.0.1", false),
            ("ip-from-127.0.0.2", .null, "127.0.0.2", true),
        ]
        var clients: [ClientUnderTest] = []
        for entry in cases {
            clients.append(try ClientUnderTest(entry.name, entry.security, bindingTo: entry.bind, admitted: entry.admitted, context: context))
        }
        let stopper = try makeSocket(SocketType.Push.self, context: context)
        let stopEndpoint = try stopper.bind(to: "tcp://127.0.0.1:*").endpoint
        func endpoints(_ prefix: String) -> String {
            clients.filter { $0.name.hasPrefix(prefix) }.map(\.endpoint).joined(separator: ",")
        }

        let peer = try PythonPeer(script: #"""
            import os, sys, time, zmq
            from zmq.auth.thread import ThreadAuthenticator
            server_secret, allowed_public, certdir, stop_ep, curve_eps, plain_eps, ip_eps = sys.argv[1:8]
            with open(os.path.join(certdir, "allowed.key"), "w") as f:
                f.write('metadata\ncurve\n    public-key = "%s"\n' % allowed_public)
            ctx = zmq.Context()
            auth = ThreadAuthenticator(ctx)
            auth.start()
            auth.configure_curve(domain="*", location=certdir)
            auth.configure_plain(domain="*", passwords={"admin": "secret"})
            # pyzmq's address rules cover a whole authenticator, so they get a context of their own.
            ctx2 = zmq.Context()
            auth2 = ThreadAuthenticator(ctx2)
            auth2.start()
            auth2.allow("127.0.0.2")

            curve = ctx.socket(zmq.REP)
            curve.curve_server = True
            curve.curve_secretkey = server_secret.encode()
            plain = ctx.socket(zmq.REP)
            plain.plain_server = True
            null = ctx2.socket(zmq.REP)
            null.zap_domain = b"global"
            for sock, eps in ((curve, curve_eps), (plain, plain_eps), (null, ip_eps)):
                for ep in eps.split(","):
                    sock.connect(ep)
            stop = ctx.socket(zmq.PULL)
            stop.connect(stop_ep)
            poller = zmq.Poller()
            for sock in (curve, plain, null, stop):
                poller.register(sock, zmq.POLLIN)
            deadline = time.monotonic() + 18
            while True:
                events = dict(poller.poll(100))
                for sock in (curve, plain, null):
                    if sock in events:
                        frame = sock.recv(copy=False)
                        print("got", frame.bytes.decode(), "user", frame.get("User-Id"), flush=True)
                        sock.send(frame.bytes)
                if stop in events:
                    break
                if time.monotonic() > deadline:
                    sys.exit("never told to stop")
            print("served", flush=True)
            auth.stop()
            auth2.stop()
            ctx.destroy(linger=0)
            ctx2.destroy(linger=0)
            """#, arguments: [
                serverKeys.secretKey.revealedZ85, allowed.publicKey.z85, certificates, stopEndpoint,
                endpoints("curve-"), endpoints("plain-"), endpoints("ip-"),
            ])

        for client in clients {
            let outcome: ClientUnderTest.Outcome
            do {
                outcome = try client.outcome(within: InteropTests.peerTimeout)
            } catch {
                outcome = .undecided("\(error)")
            }
            if client.admitted {
                #expect(outcome == .replied, "\(client.name)")
            } else if client.name == "curve-plaintext" {
                // The server's ERROR says why, unless the connection was already closed.
                if case .refused(let failure) = outcome {
                    #expect(isMismatchOrHangUp(.handshakeFailed(failure)), "\(client.name): \(failure)")
                } else {
                    Issue.record("\(client.name): \(outcome)")
                }
            } else {
                #expect(outcome == .refused(.authentication(statusCode: 400)), "\(client.name)")
            }
        }
        try stopper.send("stop")
        let (status, output, errors) = peer.finish()
        #expect(status == 0, "the Python servers failed: \(errors)")
        let served = output.split(separator: "\n").filter { $0.hasPrefix("got ") }.sorted()
        #expect(served == [
            "got curve-allowed-key user \(allowed.publicKey.z85)",
            "got ip-from-127.0.0.2 user anonymous",
            "got plain-right-password user admin",
        ], "the Python servers printed \(output.debugDescription)")
        #expect(output.contains("served\n"))
    }
}

// MARK: - Helpers

/// A message one of our echo servers received.
struct Received: Equatable, Sendable {
    var server: String
    var payload: String
    var userID: String?
}

/// Three REP sockets, each echoing every request, on a thread of their own until stopped.
private final class EchoServers: Sendable {
    private let stopFlag: StopFlag
    private let thread: SocketThread<[Received], ZMQError>

    init(curve: consuming sending ReplySocket, plain: consuming sending ReplySocket, addressed: consuming sending ReplySocket) throws {
        let sockets = ServerSockets(curve: curve, plain: plain, addressed: addressed)
        let stopping = StopFlag()
        self.stopFlag = stopping
        thread = try SocketThread(name: "test-echo") { [sockets = consume sockets] () throws(ZMQError) -> [Received] in
            try sockets.serve(until: stopping)
        }
    }

    /// Stops serving and returns what was received, in order.
    func stop() -> [Received] {
        stopFlag.raise()
        switch thread.join(timeout: testTimeout) {
        case .success(let received)?: return received
        case .failure(let error)?:
            Issue.record("the echo servers failed: \(error)")
            return []
        case nil:
            Issue.record("the echo servers did not stop")
            return []
        }
    }
}

/// A flag one thread raises and another polls.
private final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .releasing) }
    var isRaised: Bool { raised.load(ordering: .acquiring) }
}

private struct ServerSockets: ~Copyable {
    let curve: ReplySocket
    let plain: ReplySocket
    let addressed: ReplySocket

    func serve(until stop: StopFlag) throws(ZMQError) -> [Received] {
        var received: [Received] = []
        var poller = Poller(capacity: 3)
        let items = [poller.add(curve), poller.add(plain), poller.add(addressed)]
        var message = Message()
        while !stop.isRaised {
            guard try poller.poll(timeout: .milliseconds(20)) > 0 else { continue }
            for (index, name) in zip(items, ["curve", "plain", "ip"]) where poller.isReadable(at: index) {
                switch name {
                case "curve": try echo(curve, &message)
                case "plain": try echo(plain, &message)
                default: try echo(addressed, &message)
                }
                received.append(Received(server: name, payload: message.string, userID: message.userID))
            }
        }
        return received
    }

    /// Receives one request into `message` and sends back a copy.
    private func echo(_ socket: borrowing ReplySocket, _ message: inout Message) throws(ZMQError) {
        guard try socket.receive(into: &message, .dontWait) else { return }
        _ = try socket.send(message.bytes)
    }
}

/// One of our clients in a case of the second test: bound, monitored, with its request sent.
private final class ClientUnderTest {
    enum Outcome: Equatable {
        case replied
        case refused(MonitorEvent.HandshakeFailure)
        case undecided(String)
    }

    let name: String
    let endpoint: String
    let admitted: Bool
    private var socket: RequestSocket
    private var monitor: SocketMonitor

    init(_ name: String, _ security: TestSecurity, bindingTo host: String, admitted: Bool, context: Context) throws {
        self.name = name
        self.admitted = admitted
        socket = try makeSocket(SocketType.Req.self, context: context)
        try security.apply(to: socket)
        monitor = try socket.monitor(events: [.handshakeSucceeded, .handshakeFailed])
        endpoint = try socket.bind(to: "tcp://\(host):*").endpoint
    }

    /// What became of the client: after its handshake, its request and the reply, or the
    /// refusal the monitor reported; a refused client then cannot even queue its request
    /// (a bound REQ socket has no peer to send to), and gets no reply.
    func outcome(within timeout: Duration) throws -> Outcome {
        try monitor.socket.setOption(.receiveTimeout, timeout)
        guard let event = try monitor.receiveEvent() else { return .undecided("no handshake event") }
        switch event.kind {
        case .handshakeSucceeded:
            try socket.setOption(.sendTimeout, timeout)
            try socket.setOption(.receiveTimeout, timeout)
            guard try socket.send(name) else { return .undecided("could not send") }
            let reply = try socket.receiveString()
            return reply == name ? .replied : .undecided("reply \(reply ?? "none")")
        case .handshakeFailed(let failure):
            guard try !socket.send(name, .dontWait) else {
                try socket.setOption(.receiveTimeout, .milliseconds(300))
                let reply = try socket.receiveString()
                return .undecided("refused, yet the request was queued" + (reply.map { " and answered: \($0)" } ?? ""))
            }
            return .refused(failure)
        default:
            return .undecided("\(event)")
        }
    }
}
