// Request-reply through a broker: a client (REQ), a broker (ROUTER frontend, DEALER backend)
// and a worker (REP), each either ours (echo-client, `zmq-device queue`, echo-server) or
// another language's, in every combination:
//
// - with pyzmq: a REQ client, `zmq.proxy(ROUTER, DEALER)` and a REP worker that echo as ours
//   do;
// - with the ZeroMQ Guide's chapter-2 C programs rrclient.c, rrbroker.c and rrworker.c
//   (Examples/GuideC), which say "Hello" and answer "World" after a second of "work".

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// pyzmq programs for each role of request-reply through a broker.
enum PythonRequestReply {
    /// `client CONNECT COUNT`: sends "msg 0", "msg 1", … and prints "Sending <request>" and
    /// "Received <reply>" as echo-client does; fails (status 1) when a reply differs or
    /// takes longer than 5 s.
    static let client = """
        import sys, zmq
        endpoint, count = sys.argv[1], int(sys.argv[2])
        context = zmq.Context()
        requester = context.socket(zmq.REQ)
        requester.rcvtimeo = 5000
        requester.linger = 0
        requester.connect(endpoint)
        print(f"python client: connected to {endpoint}", file=sys.stderr)
        for number in range(count):
            request = f"msg {number}"
            print(f"Sending {request}")
            requester.send_string(request)
            try:
                reply = requester.recv_string()
            except zmq.Again:
                print(f"python client: no reply to '{request}' within 5000 ms", file=sys.stderr)
                sys.exit(1)
            print(f"Received {reply}")
            if reply != request:
                print(f"python client: the reply '{reply}' does not match '{request}'", file=sys.stderr)
                sys.exit(1)
        """

    /// `broker FRONTEND BACKEND`: binds a ROUTER and a DEALER and runs `zmq.proxy` between
    /// them until killed.
    static let broker = """
        import sys, zmq
        context = zmq.Context()
        frontend = context.socket(zmq.ROUTER)
        frontend.bind(sys.argv[1])
        backend = context.socket(zmq.DEALER)
        backend.bind(sys.argv[2])
        print(f"python broker: {sys.argv[1]} -> {sys.argv[2]}", file=sys.stderr)
        zmq.proxy(frontend, backend)
        """

    /// `worker CONNECT [COUNT]`: a REP socket that prints "Got <frames>" and echoes each
    /// request; after COUNT requests it exits 0, without COUNT it runs until killed. Frames
    /// are joined by " | " and shown as echo-server shows them: printable UTF-8 as its text,
    /// anything else as "<size bytes: hex of the first 8 bytes...>".
    static let worker = """
        import sys, zmq
        def describe(frame):
            try:
                text = frame.decode("utf-8")
                if text.isprintable():
                    return text
            except UnicodeDecodeError:
                pass
            return f"<{len(frame)} bytes: {frame[:8].hex()}{'...' if len(frame) > 8 else ''}>"
        endpoint = sys.argv[1]
        count = int(sys.argv[2]) if len(sys.argv) > 2 else None
        context = zmq.Context()
        responder = context.socket(zmq.REP)
        responder.connect(endpoint)
        print(f"python worker: connected to {endpoint}", file=sys.stderr)
        answered = 0
        while count is None or answered < count:
            request = responder.recv_multipart()
            print("Got " + " | ".join(describe(frame) for frame in request))
            responder.send_multipart(request)
            answered += 1
        responder.close()
        context.term()
        """
}

@Suite("Demo interop: client, broker and worker mixed with pyzmq and the Guide's C", .timeLimit(.minutes(1)))
struct DemoInteropRequestReplyTests {
    /// How many requests echo-client and the Python client send; rrclient.c sends 10.
    static let requests = 5

    /// Starts the broker of `language` and waits until it has bound both endpoints (the
    /// Guide's rrbroker.c says nothing: the others connect anyway, and retry until it is up).
    private func startBroker(_ language: PeerLanguage, _ frontend: String, _ backend: String) async throws -> DemoProcess {
        switch language {
        case .swift:
            let device = try DemoProcess("zmq-device", ["queue", "--frontend", frontend, "--backend", backend])
            try await device.waitForOutput("queue: \(frontend) -> \(backend)", on: .standardError)
            return device
        case .python:
            let broker = try DemoProcess.python(PythonRequestReply.broker, [frontend, backend], name: "python broker")
            try await broker.waitForOutput("python broker: \(frontend) -> \(backend)", on: .standardError)
            return broker
        case .c:
            return try await GuideC.start("rrbroker", [frontend, backend])
        }
    }

    /// Stops the broker and checks how it ended: ours exits 0 on SIGTERM with its one status
    /// line; the others die of the signal.
    private func stopBroker(_ broker: DemoProcess, _ language: PeerLanguage) async throws {
        let (result, _) = try await broker.stop(with: SIGTERM)
        #expect(result.standardOutput.isEmpty, "\(broker.name) stdout: \(result.standardOutput)")
        switch language {
        case .swift:
            PeerChecks.expectCleanExit(result, of: broker.name, statusPrefix: "queue: ")
            #expect(result.errorLines.count == 1, "\(broker.name) stderr: \(result.standardError)")
        case .python:
            PeerChecks.expectKilledBySIGTERM(result, of: broker.name, statusPrefix: "python broker: ")
        case .c:
            PeerChecks.expectKilledBySIGTERM(result, of: broker.name, statusPrefix: nil)
        }
    }

    @Test("requests go through the broker to the worker and every reply comes back",
          Peers.pyzmq, .serialized,
          arguments: RoleMix.all(["client", "broker", "worker"], with: .python))
    func python(_ mix: RoleMix) async throws {
        let (clientIs, brokerIs, workerIs) = (mix.languages[0], mix.languages[1], mix.languages[2])
        let (frontend, backend) = (try mix.transport.fresh("frontend"), try mix.transport.fresh("backend"))
        let broker = try await startBroker(brokerIs, frontend, backend)

        // Both workers stop by themselves after answering every request.
        let worker = workerIs == .swift
            ? try DemoProcess("echo-server", ["--connect", backend, "--count", String(Self.requests)])
            : try DemoProcess.python(PythonRequestReply.worker, [backend, String(Self.requests)], name: "python worker")

        let client = clientIs == .swift
            ? try DemoProcess("echo-client", ["--connect", frontend, "--count", String(Self.requests)])
            : try DemoProcess.python(PythonRequestReply.client, [frontend, String(Self.requests)], name: "python client")
        let asked = try await client.finish()
        PeerChecks.expectCleanExit(asked, of: client.name,
                                   statusPrefix: clientIs == .swift ? "echo-client: " : "python client: ")
        #expect(asked.lines == (0..<Self.requests).flatMap { ["Sending msg \($0)", "Received msg \($0)"] })

        let served = try await worker.finish()
        PeerChecks.expectCleanExit(served, of: worker.name,
                                   statusPrefix: workerIs == .swift ? "echo-server: " : "python worker: ")
        #expect(served.lines == (0..<Self.requests).map { "Got msg \($0)" })

        try await stopBroker(broker, brokerIs)
    }

    @Test("echo-server echoes pyzmq clients' multipart requests, with an empty and a binary frame, through a broker",
          Peers.pyzmq,
          arguments: [(PeerLanguage.swift, InteropTransport.ipc), (.python, .tcp)])
    func multipart(broker brokerIs: PeerLanguage, transport: InteropTransport) async throws {
        let (frontend, backend) = (try transport.fresh("frontend"), try transport.fresh("backend"))
        let broker = try await startBroker(brokerIs, frontend, backend)
        let names = ["client-a", "client-b"]
        let worker = try DemoProcess("echo-server", ["--connect", backend, "--count", String(names.count * Self.requests)])
        // Each client checks that every reply is its request, frame for frame.
        let clients = try names.map { name in
            try DemoProcess.python(PythonDevicePeers.client, [frontend, name, String(Self.requests)], name: "python \(name)")
        }
        for (client, name) in zip(clients, names) {
            let result = try await client.finish()
            PeerChecks.expectCleanExit(result, of: client.name, statusPrefix: "python client: ")
            #expect(result.lines == (0..<Self.requests).map { "ok \(name) \($0)" })
        }
        let served = try await worker.finish()
        PeerChecks.expectCleanExit(served, of: worker.name, statusPrefix: "echo-server: ")
        let expected = names.flatMap { name in
            (0..<Self.requests).map { "Got \(name) |  | <3 bytes: \(String(format: "%02x00ff", $0))>" }
        }
        #expect(served.lines.sorted() == expected.sorted())
        try await stopBroker(broker, brokerIs)
    }

    @Test("requests go through the broker to the worker, and rrworker.c answers World",
          Peers.cCompiler,
          arguments: RoleMix.all(["client", "broker", "worker"], with: .c))
    func guideC(_ mix: RoleMix) async throws {
        let (clientIs, brokerIs, workerIs) = (mix.languages[0], mix.languages[1], mix.languages[2])
        // rrclient.c always sends 10 requests.
        let requests = clientIs == .c ? 10 : Self.requests
        let (frontend, backend) = (try mix.transport.fresh("frontend"), try mix.transport.fresh("backend"))
        let broker = try await startBroker(brokerIs, frontend, backend)

        let worker = workerIs == .swift
            ? try DemoProcess("echo-server", ["--connect", backend, "--count", String(requests)])
            : try await GuideC.start("rrworker", [backend], lineBuffered: true)

        let client = clientIs == .swift
            ? try DemoProcess("echo-client", ["--connect", frontend, "--count", String(requests)])
            : try await GuideC.start("rrclient", [frontend])
        // rrworker.c takes a second per request, so rrclient.c's ten take ten.
        let asked = try await client.finish(within: .seconds(20))
        // What the worker answered each request, and what it was asked.
        let answer = workerIs == .swift ? nil as String? : "World"
        var expectedRequests: [String]
        switch (clientIs, answer) {
        case (.swift, nil):
            PeerChecks.expectCleanExit(asked, of: client.name, statusPrefix: "echo-client: ")
            #expect(asked.lines == (0..<requests).flatMap { ["Sending msg \($0)", "Received msg \($0)"] })
            expectedRequests = (0..<requests).map { "msg \($0)" }
        case (.swift, let answer?):
            // echo-client insists on its echo: the Guide's worker's "World" ends it after the
            // first reply, with status 1 and the reason.
            #expect(!asked.signaled && asked.status == 1, "\(PeerChecks.describe(asked))")
            #expect(asked.lines == ["Sending msg 0", "Received \(answer)"])
            #expect(asked.errorLines.last == "error: the reply '\(answer)' does not match the request 'msg 0'",
                    "stderr: \(asked.standardError)")
            expectedRequests = ["msg 0"]
        default:
            // rrclient.c prints each reply, whatever it is.
            #expect(asked.exitedCleanly, "\(PeerChecks.describe(asked))")
            #expect(asked.standardError.isEmpty, "rrclient.c stderr: \(asked.standardError)")
            #expect(asked.lines == (0..<requests).map { "Received reply \($0) [\(answer ?? "Hello")]" })
            expectedRequests = Array(repeating: "Hello", count: requests)
        }

        if workerIs == .swift {
            // echo-server stops by itself after the requests it was told to expect.
            let served = try await worker.finish()
            PeerChecks.expectCleanExit(served, of: worker.name, statusPrefix: "echo-server: ")
            #expect(served.lines == expectedRequests.map { "Got \($0)" })
        } else {
            let (served, _) = try await worker.stop(with: SIGTERM)
            PeerChecks.expectKilledBySIGTERM(served, of: worker.name, statusPrefix: nil)
            #expect(served.lines == expectedRequests.map { "Received request: [\($0)]" })
        }

        try await stopBroker(broker, brokerIs)
    }
}
