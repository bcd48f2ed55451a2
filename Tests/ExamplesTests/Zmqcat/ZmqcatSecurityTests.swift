// zmqcat with CURVE and PLAIN, on both sides: as the server (binding, with our authenticator)
// against pyzmq clients, and as the client (connecting) against pyzmq servers guarded by
// pyzmq's ThreadAuthenticator and against our echo-server. A refused client exits 1 with the
// ZAP status; a refused pyzmq client sees the handshake fail with status 400 on its monitor.
// No secret key or password ever appears in zmqcat's output, and misplaced security options
// are usage errors (status 2).

import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("zmqcat security: CURVE and PLAIN against pyzmq and echo-server", .serialized, .timeLimit(.minutes(2)))
struct ZmqcatSecurityTests {
    static let serverKeys = try! CurveKeyPair.generate()
    static let clientKeys = try! CurveKeyPair.generate()
    static let strangerKeys = try! CurveKeyPair.generate()
    static let password = "open-sesame-4711"
    static let wrongPassword = "wrong-guess-9999"

    /// Every secret the tests use.
    static let secrets = [
        serverKeys.secretKey.revealedZ85, clientKeys.secretKey.revealedZ85, strangerKeys.secretKey.revealedZ85,
        password, wrongPassword, String(password.dropFirst(5)),
    ]

    static let refusal = "error: authentication refused by the server (ZAP status 400)"

    /// A pyzmq REQ client with socket options `options` (such as `curve_serverkey`), which
    /// sends "hi" and prints `reply [frames in hex]` or, when the server refuses it,
    /// `refused <ZAP status>`.
    static func pyzmqClient(_ endpoint: String, _ options: [String: String]) throws -> DemoProcess {
        let json = try String(decoding: JSONSerialization.data(withJSONObject: options), as: UTF8.self)
        return try PyPeer.start("""
            import os
            import zmq.utils.monitor as monitor
            s = ctx.socket(zmq.REQ)
            s.linger = 0
            for name, value in json.loads(sys.argv[2]).items():
                setattr(s, name, value.encode())
            m = s.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                     | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            s.connect(sys.argv[1])
            s.send(b"hi")
            poller = zmq.Poller()
            poller.register(s, zmq.POLLIN)
            poller.register(m, zmq.POLLIN)
            deadline = time.time() + 10
            outcome = "timeout"
            while time.time() < deadline and outcome == "timeout":
                events = dict(poller.poll(100))
                if m in events:
                    event = monitor.recv_monitor_message(m)
                    if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                        outcome = "refused %d" % event["value"]
                    elif event["event"] != zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        outcome = "handshake failed (event %d)" % event["event"]
                if s in events:
                    outcome = "reply " + json.dumps([f.hex() for f in s.recv_multipart()])
            print(outcome, flush=True)
            os._exit(0)
            """, [endpoint, json], name: "pyzmq client")
    }

    /// A pyzmq REP server guarded by pyzmq's ThreadAuthenticator: `mode` is `curve-any`
    /// (any valid key), `curve-key` (only `allowedKey`) or `plain` (user alice with
    /// ``password``). It shows each request and answers "secure pong".
    static func pyzmqServer(_ endpoint: String, mode: String, allowedKey: String = "") async throws -> DemoProcess {
        let server = try PyPeer.start("""
            from zmq.auth.thread import ThreadAuthenticator
            endpoint, mode, secret, allowed = sys.argv[1:5]
            auth = ThreadAuthenticator(ctx)
            auth.start()
            class AllowOne:
                def callback(self, domain, key):
                    return key == allowed.encode()
            if mode == "curve-any":
                auth.configure_curve(domain="*", location=zmq.auth.CURVE_ALLOW_ANY)
            elif mode == "curve-key":
                auth.configure_curve_callback(domain="*", credentials_provider=AllowOne())
            else:
                auth.configure_plain(domain="*", passwords={"alice": sys.argv[5]})
            s = ctx.socket(zmq.REP)
            s.linger = 0
            if mode.startswith("curve"):
                s.curve_server = True
                s.curve_secretkey = secret.encode()
            else:
                s.plain_server = True
            s.bind(endpoint)
            print("ready", flush=True)
            while True:
                show(s.recv_multipart())
                s.send(b"secure pong")
            """, [endpoint, mode, serverKeys.secretKey.revealedZ85, allowedKey, password], name: "pyzmq server")
        try await server.waitForOutput("ready")
        return server
    }

    /// Checks that no secret appears in any output.
    static func expectNoSecrets(in results: [DemoResult], sourceLocation: SourceLocation = #_sourceLocation) {
        for result in results {
            let text = result.standardOutput + result.standardError
            for secret in secrets {
                #expect(!text.contains(secret), "a secret was printed: \(text)", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: zmqcat as the server

    @Test("CURVE server: a pyzmq client with the server's public key gets the reply", Peers.pyzmqCurve)
    func curveServer() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start([
            "rep", "--bind", endpoint, "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85,
            "--send", "ok", "--count", "1",
        ])
        let client = try Self.pyzmqClient(endpoint, [
            "curve_serverkey": Self.serverKeys.publicKey.z85, "curve_publickey": Self.clientKeys.publicKey.z85,
            "curve_secretkey": Self.clientKeys.secretKey.revealedZ85,
        ])
        let outcome = try await client.finish()
        #expect(outcome.lines == ["reply [\"6f6b\"]"], "\(outcome.standardOutput) \(outcome.standardError)")
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["hi"])
        Self.expectNoSecrets(in: [result])
    }

    @Test("CURVE server with --allow and key files: the allowed key gets in, another is refused with 400",
          Peers.pyzmqCurve)
    func curveServerAllow() async throws {
        let folder = try ZmqcatFolder()
        let files = try CurveCertificate(keyPair: Self.serverKeys).save(inDirectory: folder.path, name: "server")
        let secretFile = try #require(files.secretFile)
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start([
            "rep", "--bind", endpoint, "--curve-secret-key-file", secretFile,
            "--allow", Self.clientKeys.publicKey.z85, "--count", "1",
        ])
        let stranger = try Self.pyzmqClient(endpoint, [
            "curve_serverkey": Self.serverKeys.publicKey.z85, "curve_publickey": Self.strangerKeys.publicKey.z85,
            "curve_secretkey": Self.strangerKeys.secretKey.revealedZ85,
        ])
        #expect(try await stranger.finish().lines == ["refused 400"])
        let allowed = try Self.pyzmqClient(endpoint, [
            "curve_serverkey": Self.serverKeys.publicKey.z85, "curve_publickey": Self.clientKeys.publicKey.z85,
            "curve_secretkey": Self.clientKeys.secretKey.revealedZ85,
        ])
        #expect(try await allowed.finish().lines == ["reply [\"6869\"]"])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["hi"])
        Self.expectNoSecrets(in: [result])
    }

    @Test("CURVE server with --allow-dir admits the clients whose certificates are there", Peers.pyzmqCurve)
    func curveServerAllowDirectory() async throws {
        let folder = try ZmqcatFolder()
        let clients = folder.file("clients")
        try FileManager.default.createDirectory(atPath: clients, withIntermediateDirectories: false)
        _ = try CurveCertificate(publicKey: Self.clientKeys.publicKey).save(inDirectory: clients, name: "client")
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start([
            "rep", "--bind", endpoint, "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85,
            "--allow-dir", clients, "--count", "1",
        ])
        let stranger = try Self.pyzmqClient(endpoint, [
            "curve_serverkey": Self.serverKeys.publicKey.z85, "curve_publickey": Self.strangerKeys.publicKey.z85,
            "curve_secretkey": Self.strangerKeys.secretKey.revealedZ85,
        ])
        #expect(try await stranger.finish().lines == ["refused 400"])
        let allowed = try Self.pyzmqClient(endpoint, [
            "curve_serverkey": Self.serverKeys.publicKey.z85, "curve_publickey": Self.clientKeys.publicKey.z85,
            "curve_secretkey": Self.clientKeys.secretKey.revealedZ85,
        ])
        #expect(try await allowed.finish().lines == ["reply [\"6869\"]"])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        Self.expectNoSecrets(in: [result])
    }

    @Test("PLAIN server: the right password gets in, a wrong one is refused with 400", Peers.pyzmq)
    func plainServer() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["rep", "--bind", endpoint, "--plain-user", "alice:\(Self.password)", "--count", "1"])
        let wrong = try Self.pyzmqClient(endpoint, ["plain_username": "alice", "plain_password": Self.wrongPassword])
        #expect(try await wrong.finish().lines == ["refused 400"])
        let right = try Self.pyzmqClient(endpoint, ["plain_username": "alice", "plain_password": Self.password])
        #expect(try await right.finish().lines == ["reply [\"6869\"]"])
        let result = try await zmqcat.finish()
        result.expectSuccess()
        #expect(result.lines == ["hi"])
        Self.expectNoSecrets(in: [result])
    }

    @Test("--deny-ip refuses a pyzmq client by its address", Peers.pyzmq)
    func denyAddress() async throws {
        let endpoint = try Endpoints.fresh()
        let zmqcat = try Zmqcat.start(["rep", "--bind", endpoint, "--deny-ip", "127.0.0.1"])
        let client = try Self.pyzmqClient(endpoint, [:])
        #expect(try await client.finish().lines == ["refused 400"])
        let (result, _) = try await zmqcat.stop(with: SIGTERM)
        result.expectSuccess()
        #expect(result.standardOutput.isEmpty)
    }

    // MARK: zmqcat as the client

    @Test("CURVE client with an ephemeral key pair gets the reply of a pyzmq server that allows any key",
          Peers.pyzmqCurve)
    func curveClient() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await Self.pyzmqServer(endpoint, mode: "curve-any")
        let result = try await Zmqcat.run([
            "req", "--connect", endpoint, "--curve-server-key", Self.serverKeys.publicKey.z85, "--send", "ping",
            "--timeout-ms", "5000",
        ])
        result.expectSuccess()
        #expect(result.lines == ["secure pong"])
        let (served, _) = try await server.stop()
        #expect(served.shownMessages == [[utf8("ping")]])
        Self.expectNoSecrets(in: [result])
    }

    @Test("CURVE client with key files is admitted by a pyzmq ThreadAuthenticator; a stranger key exits 1",
          Peers.pyzmqCurve)
    func curveClientAllowedOrRefused() async throws {
        let folder = try ZmqcatFolder()
        let server = try CurveCertificate(publicKey: Self.serverKeys.publicKey).save(inDirectory: folder.path, name: "server")
        let client = try CurveCertificate(keyPair: Self.clientKeys).save(inDirectory: folder.path, name: "client")
        let endpoint = try Endpoints.fresh()
        let pyzmq = try await Self.pyzmqServer(endpoint, mode: "curve-key", allowedKey: Self.clientKeys.publicKey.z85)

        let refused = try await Zmqcat.run([
            "req", "--connect", endpoint, "--curve-server-key", Self.serverKeys.publicKey.z85,
            "--curve-secret-key", Self.strangerKeys.secretKey.revealedZ85, "--send", "ping", "--timeout-ms", "10000",
        ])
        refused.expectZmqcatFailure(Self.refusal)
        #expect(refused.standardOutput.isEmpty)

        let admitted = try await Zmqcat.run([
            "req", "--connect", endpoint, "--curve-server-key-file", server.publicFile,
            "--curve-secret-key-file", try #require(client.secretFile), "--send", "ping", "--timeout-ms", "5000",
        ])
        admitted.expectSuccess()
        #expect(admitted.lines == ["secure pong"])
        _ = try await pyzmq.stop()
        Self.expectNoSecrets(in: [refused, admitted])
    }

    @Test("PLAIN client: pyzmq's authenticator admits the right password and refuses a wrong one (status 1)",
          Peers.pyzmq)
    func plainClient() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await Self.pyzmqServer(endpoint, mode: "plain")
        let refused = try await Zmqcat.run([
            "req", "--connect", endpoint, "--plain-user", "alice:\(Self.wrongPassword)", "--send", "ping",
            "--timeout-ms", "10000",
        ])
        refused.expectZmqcatFailure(Self.refusal)
        let admitted = try await Zmqcat.run([
            "req", "--connect", endpoint, "--plain-user", "alice:\(Self.password)", "--send", "ping",
            "--timeout-ms", "5000",
        ])
        admitted.expectSuccess()
        #expect(admitted.lines == ["secure pong"])
        _ = try await server.stop()
        Self.expectNoSecrets(in: [refused, admitted])
    }

    @Test("CURVE client against our echo-server with --allow: refused (1) with another key, echoed (0) with the allowed one")
    func curveClientAgainstEchoServer() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try DemoProcess("echo-server", [
            "--bind", endpoint, "--curve-secret-key", Self.serverKeys.secretKey.revealedZ85,
            "--allow", Self.clientKeys.publicKey.z85, "--count", "1",
        ])
        try await server.waitForOutput("echo-server: bound to", on: .standardError)
        let refused = try await Zmqcat.run([
            "req", "--connect", endpoint, "--curve-server-key", Self.serverKeys.publicKey.z85, "--send", "ping",
            "--timeout-ms", "10000",
        ])
        refused.expectZmqcatFailure(Self.refusal)
        let admitted = try await Zmqcat.run([
            "req", "--connect", endpoint, "--curve-server-key", Self.serverKeys.publicKey.z85,
            "--curve-secret-key", Self.clientKeys.secretKey.revealedZ85, "--send", "ping", "--send", "",
            "--timeout-ms", "5000", "--format", "quoted",
        ])
        admitted.expectSuccess()
        #expect(admitted.lines == [#""ping" """#])
        let served = try await server.finish()
        #expect(served.exitedCleanly)
        Self.expectNoSecrets(in: [refused, admitted])
    }

    @Test("A plaintext req against a CURVE server fails with status 1", Peers.pyzmqCurve)
    func plaintextAgainstCurve() async throws {
        let endpoint = try Endpoints.fresh()
        let server = try await Self.pyzmqServer(endpoint, mode: "curve-any")
        let result = try await Zmqcat.run(["req", "--connect", endpoint, "--send", "ping", "--timeout-ms", "2000"])
        result.expectZmqcatFailure()
        #expect(result.standardOutput.isEmpty)
        _ = try await server.stop()
    }

    // MARK: Bad security options

    static let badSecurityOptions: [[String]] = [
        // Both binding and connecting: neither server nor client.
        ["rep", "--bind", "tcp://127.0.0.1:5555", "--connect", "tcp://127.0.0.1:5556",
         "--curve-secret-key", serverKeys.secretKey.revealedZ85],
        // Server-only options on a client.
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--curve-server-key", serverKeys.publicKey.z85,
         "--allow", clientKeys.publicKey.z85],
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--deny-ip", "127.0.0.1"],
        // Client-only options on a server.
        ["rep", "--bind", "tcp://127.0.0.1:5555", "--curve-server-key", serverKeys.publicKey.z85],
        // A client secret key without the server's public key.
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--curve-secret-key", clientKeys.secretKey.revealedZ85],
        // Two mechanisms at once.
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--curve-server-key", serverKeys.publicKey.z85,
         "--plain-user", "alice:\(password)"],
        // A malformed PLAIN user or key.
        ["rep", "--bind", "tcp://127.0.0.1:5555", "--plain-user", "nocolon-\(password)"],
        ["rep", "--bind", "tcp://127.0.0.1:5555", "--curve-secret-key", "short-\(password)"],
        // A password with a space given without quotes, and an unknown option given a secret.
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--plain-user", "alice:open", String(password.dropFirst(5))],
        ["req", "--connect", "tcp://127.0.0.1:5555", "--send", "x", "--bogus=\(password)"],
        // An unknown option next to a secret.
        ["rep", "--bind", "tcp://127.0.0.1:5555", "--curve-secret-key", serverKeys.secretKey.revealedZ85, "--bogus"],
    ]

    @Test("Misplaced or malformed security options are usage errors that never echo a secret",
          arguments: badSecurityOptions)
    func badSecurityOption(_ arguments: [String]) async throws {
        let result = try await Zmqcat.run(arguments)
        result.expectZmqcatUsageError()
        Self.expectNoSecrets(in: [result])
    }
}
