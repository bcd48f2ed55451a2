import Foundation
import Testing
import ZeroMQ

// CURVE and PLAIN across implementations, filling in what `AuthenticatorInteropTests` (keys
// and passwords both ways, address rules) leaves out:
//
// - zmqpeer clients, pyzmq's and C's, with CURVE keys and PLAIN passwords against our
//   servers guarded by our `Authenticator`;
// - certificate directories both ways: our `Authenticator` reading certificates pyzmq wrote
//   (`zmq.auth.create_certificates`), pyzmq's `ThreadAuthenticator` reading the ones we saved.

@Suite("Interop: CURVE and PLAIN with our authenticator and pyzmq's, certificates both ways",
       .enabled(if: ZeroMQLibrary.has(.curve), "libzmq was built without CURVE"))
struct InteropSecurityTests {
    @Test("A peer's CURVE client with an allowed key and PLAIN client with the right password get replies from our servers; the others are refused",
          arguments: InteropPeer.testable)
    func peerClientsWithOurAuthenticator(_ peer: InteropPeer) throws {
        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        let serverKeys = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        try authenticator.setPolicy(.curve(.keys([allowed.publicKey])))
        try authenticator.setPolicy(.plain(["admin": "secret"]), forDomain: "plain")

        let curve = try interopSocket(SocketType.Rep.self, context: context)
        try TestSecurity.curveServer(serverKeys).apply(to: curve)
        let curveEndpoint = try curve.bind(to: "tcp://127.0.0.1:*").endpoint
        let plain = try interopSocket(SocketType.Rep.self, context: context)
        try TestSecurity.plainServer.apply(to: plain)
        try plain.setOption(.zapDomain, "plain")
        let plainEndpoint = try plain.bind(to: "tcp://127.0.0.1:*").endpoint

        func client(_ security: [String], _ endpoint: String, _ payload: String, timeout: String = "10000") throws -> PeerProcess {
            try peer.start(["--timeout", timeout] + security + ["req", "connect", endpoint, "send", peerMessage(payload), "recv", "1"])
        }
        func curveClient(_ keys: CurveKeyPair) -> [String] {
            ["--curve-client", serverKeys.publicKey.z85, keys.publicKey.z85, keys.secretKey.revealedZ85]
        }

        // Admitted: each request reaches our server, with the client's identity, and is answered.
        let admitted = try client(curveClient(allowed), curveEndpoint, "curve-allowed")
        let curveRequest = try receiveWithUser(curve)
        #expect(curveRequest.text == "curve-allowed")
        #expect(curveRequest.user == allowed.publicKey.z85)
        try curve.send("welcome")
        #expect(admitted.expectSuccessLines() == [peerLine("welcome")])

        let rightPassword = try client(["--plain-client", "admin", "secret"], plainEndpoint, "plain-right")
        let plainRequest = try receiveWithUser(plain)
        #expect(plainRequest.text == "plain-right")
        #expect(plainRequest.user == "admin")
        try plain.send("welcome")
        #expect(rightPassword.expectSuccessLines() == [peerLine("welcome")])

        // Refused: the peer's receive times out, and nothing reaches our servers.
        let refused = try [
            client(curveClient(stranger), curveEndpoint, "curve-stranger", timeout: "1500"),
            client([], curveEndpoint, "curve-plaintext", timeout: "1500"),
            client(["--plain-client", "admin", "wrong"], plainEndpoint, "plain-wrong", timeout: "1500"),
        ]
        for process in refused {
            let (status, output, errors) = process.finish()
            #expect(status == 1 && errors.contains("timed out"), "\(process.name): status \(String(describing: status)), \(errors)")
            #expect(output.isEmpty, "a refused client got \(output)")
        }
        try curve.setOption(.receiveTimeout, .milliseconds(100))
        try plain.setOption(.receiveTimeout, .milliseconds(100))
        let leakedCurve = try curve.receiveString()
        let leakedPlain = try plain.receiveString()
        #expect(leakedCurve == nil && leakedPlain == nil)
    }

    @Test("Our authenticator admits the pyzmq client whose certificate pyzmq wrote into the directory, and refuses another",
          PythonPeer.curveCondition)
    func pyzmqCertificatesInOurDirectory() throws {
        let keys = try ScratchFolder()
        let authorized = try ScratchFolder()
        let written = try PythonPeer(script: #"""
            import shutil, sys, zmq.auth
            keys, authorized = sys.argv[1:3]
            for name in ("allowed", "stranger"):
                public_file, secret_file = zmq.auth.create_certificates(keys, name)
                print(name, zmq.auth.load_certificate(secret_file)[0].decode())
            shutil.copy(keys + "/allowed.key", authorized)
            """#, arguments: [keys.path, authorized.path])
        let printed = written.expectSuccessLines()
        try #require(printed.count == 2, "pyzmq printed \(printed)")
        let allowedPublic = String(printed[0].dropFirst("allowed ".count))

        let context = try Context()
        let authenticator = try Authenticator(context: context)
        defer { authenticator.stop() }
        try authenticator.setPolicy(.curve(.certificates(directory: authorized.path)))
        let serverKeys = try CurveKeyPair.generate()
        let server = try interopSocket(SocketType.Rep.self, context: context)
        try TestSecurity.curveServer(serverKeys).apply(to: server)
        let endpoint = try server.bind(to: "tcp://127.0.0.1:*").endpoint

        let clients = try PythonPeer(script: #"""
            import sys, zmq, zmq.auth
            keys, endpoint, server_public = sys.argv[1:4]
            ctx = zmq.Context()
            for name, timeout in (("allowed", 10000), ("stranger", 1500)):
                public, secret = zmq.auth.load_certificate(keys + "/" + name + ".key_secret")
                s = ctx.socket(zmq.REQ)
                s.linger = 0
                s.curve_serverkey = server_public.encode()
                s.curve_publickey = public
                s.curve_secretkey = secret
                s.rcvtimeo = timeout
                s.connect(endpoint)
                s.send(name.encode())
                try:
                    print(name, "got", s.recv().decode(), flush=True)
                except zmq.Again:
                    print(name, "refused", flush=True)
                s.close()
            ctx.term()
            """#, arguments: [keys.path, endpoint, serverKeys.publicKey.z85])
        let request = try receiveWithUser(server)
        #expect(request.text == "allowed")
        #expect(request.user == allowedPublic)
        try server.send("welcome")
        #expect(clients.expectSuccessLines() == ["allowed got welcome", "stranger refused"])
        try server.setOption(.receiveTimeout, .milliseconds(100))
        let leaked = try server.receiveString()
        #expect(leaked == nil, "the stranger's request reached the server")
    }

    @Test("pyzmq's ThreadAuthenticator admits our client whose certificate we saved into its directory, and refuses another",
          PythonPeer.curveCondition)
    func ourCertificatesInPyzmqsDirectory() throws {
        let authorized = try ScratchFolder()
        let allowed = try CurveCertificate.generate(metadata: ["name": "allowed"])
        let stranger = try CurveCertificate.generate()
        _ = try allowed.publicCertificate.save(inDirectory: authorized.path, name: "allowed")
        let serverKeys = try CurveKeyPair.generate()

        let server = try PythonPeer(script: #"""
            import sys, zmq
            from zmq.auth.thread import ThreadAuthenticator
            authorized, server_secret = sys.argv[1:3]
            ctx = zmq.Context()
            auth = ThreadAuthenticator(ctx)
            auth.start()
            auth.configure_curve(domain="*", location=authorized)
            s = ctx.socket(zmq.REP)
            s.curve_server = True
            s.curve_secretkey = server_secret.encode()
            s.bind("tcp://127.0.0.1:*")
            sys.stderr.write("bound %s\n" % s.last_endpoint.decode())
            sys.stderr.flush()
            poller = zmq.Poller()
            poller.register(s, zmq.POLLIN)
            poller.register(sys.stdin, zmq.POLLIN)
            while True:
                events = dict(poller.poll(20000))
                if not events:
                    sys.exit("never told to stop")
                if s in events:
                    frame = s.recv(copy=False)
                    print("got", frame.bytes.decode(), "user", frame.get("User-Id"), flush=True)
                    s.send(b"welcome")
                else:
                    break
            auth.stop()
            ctx.destroy(linger=0)
            """#, arguments: [authorized.path, serverKeys.secretKey.revealedZ85])
        let endpoint = try server.boundEndpoint()
        let context = try Context()

        let client = try interopSocket(SocketType.Req.self, context: context)
        try TestSecurity.curveClient(server: serverKeys.publicKey, client: try #require(allowed.keyPair)).apply(to: client)
        try client.connect(to: endpoint)
        try client.send("allowed")
        let reply = try client.receiveString()
        #expect(reply == "welcome")

        let refused = try interopSocket(SocketType.Req.self, context: context)
        try TestSecurity.curveClient(server: serverKeys.publicKey, client: try #require(stranger.keyPair)).apply(to: refused)
        var monitor = try refused.monitor(events: [.handshakeSucceeded, .handshakeFailed])
        try monitor.socket.setOption(.receiveTimeout, InteropTests.peerTimeout)
        try refused.connect(to: endpoint)
        let event = try monitor.receiveEvent()
        #expect(event?.kind == .handshakeFailed(.authentication(statusCode: 400)), "got \(String(describing: event))")
        // Refused, the connection is gone: a request can't even be queued; or, if one still
        // is, it never reaches the server (which prints what it gets), and no reply comes.
        if try refused.send("stranger", .dontWait) {
            try refused.setOption(.receiveTimeout, .milliseconds(300))
            let strangerReply = try refused.receiveString()
            #expect(strangerReply == nil)
        }

        #expect(server.expectSuccessLines() == ["got allowed user \(allowed.publicKey.z85)"])
    }
}

/// Receives one message and returns its text and `User-Id` (nil, nil on a timeout).
private func receiveWithUser(_ socket: borrowing ReplySocket) throws -> (text: String?, user: String?) {
    guard let message = try socket.receive() else { return (nil, nil) }
    return (message.string, message.userID)
}
