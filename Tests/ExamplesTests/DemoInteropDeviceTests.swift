// zmq-device with pyzmq peers on both of its sides, in each of its modes, over tcp and ipc:
//
// - queue: pyzmq REQ clients -> ROUTER | DEALER -> pyzmq REP workers;
// - forwarder: a pyzmq PUB -> XSUB | XPUB -> pyzmq SUBs, each with its own topic;
// - streamer: a pyzmq PUSH -> PULL | PUSH -> pyzmq PULLs.
//
// Every message is multipart, with a binary and an empty frame, and arrives whole.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// pyzmq peers for each side of the devices.
enum PythonDevicePeers {
    /// `client CONNECT NAME COUNT`: sends COUNT requests [NAME, "", <number, 0, 255>] and
    /// prints "ok NAME <number>" when the reply is the request, frame for frame; otherwise
    /// (or after 5 s without a reply) says so on stderr and exits 1.
    static let client = """
        import sys, zmq
        endpoint, name, count = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
        context = zmq.Context()
        requester = context.socket(zmq.REQ)
        requester.rcvtimeo = 5000
        requester.linger = 0
        requester.connect(endpoint)
        print(f"python client: connected to {endpoint}", file=sys.stderr)
        for number in range(count):
            request = [name, b"", bytes([number, 0, 255])]
            requester.send_multipart(request)
            try:
                reply = requester.recv_multipart()
            except zmq.Again:
                print(f"python client failed: no reply to request {number} within 5000 ms", file=sys.stderr)
                sys.exit(1)
            if reply != request:
                print(f"python client failed: the reply {reply!r} does not match {request!r}", file=sys.stderr)
                sys.exit(1)
            print(f"ok {name.decode()} {number}")
        """

    /// `publisher CONNECT COUNT`: publishes probes ["A probe", ""] and ["B probe", ""] every
    /// 20 ms until a line arrives on stdin (so every subscriber has joined, and nothing is
    /// lost to the slow joiner), then COUNT messages ["A <n>", <n, 0, 255>, ""] and as many
    /// for B, and exits 0. Without a line within 15 s it exits 1.
    static let publisher = """
        import select, sys, time, zmq
        endpoint, count = sys.argv[1], int(sys.argv[2])
        context = zmq.Context()
        publisher = context.socket(zmq.PUB)
        publisher.connect(endpoint)
        print(f"python publisher: connected to {endpoint}; probing", file=sys.stderr)
        deadline = time.monotonic() + 15
        while not select.select([sys.stdin], [], [], 0.02)[0]:
            if time.monotonic() > deadline:
                print("python publisher failed: no go within 15 s", file=sys.stderr)
                sys.exit(1)
            for topic in (b"A", b"B"):
                publisher.send_multipart([topic + b" probe", b""])
        sys.stdin.readline()
        for number in range(count):
            for topic in (b"A", b"B"):
                publisher.send_multipart([topic + b" %d" % number, bytes([number, 0, 255]), b""])
        print(f"python publisher: sent {count} messages on each of A and B", file=sys.stderr)
        publisher.close()
        context.term()
        """

    /// `subscriber CONNECT TOPIC COUNT`: subscribes to TOPIC, says "joined" on stderr at the
    /// first probe, prints the first frame of each of COUNT other messages after checking
    /// the rest, and exits 0. A malformed message, or 15 s without one, exits 1.
    static let subscriber = """
        import sys, zmq
        endpoint, topic, count = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
        context = zmq.Context()
        subscriber = context.socket(zmq.SUB)
        subscriber.rcvtimeo = 15000
        subscriber.setsockopt(zmq.SUBSCRIBE, topic)
        subscriber.connect(endpoint)
        print(f"python subscriber: connected to {endpoint}, subscribed to {topic.decode()}", file=sys.stderr)
        joined = False
        received = 0
        while received < count:
            frames = subscriber.recv_multipart()
            if frames == [topic + b" probe", b""]:
                if not joined:
                    print("python subscriber: joined", file=sys.stderr)
                    joined = True
                continue
            number = int(frames[0].split(b" ")[1])
            if frames[1:] != [bytes([number, 0, 255]), b""]:
                print(f"python subscriber failed: malformed message {frames!r}", file=sys.stderr)
                sys.exit(1)
            print(frames[0].decode())
            received += 1
        """

    /// `producer CONNECT COUNT`: pushes COUNT messages ["task <n>", <n, 0, 255>, ""] and
    /// exits 0 once they are all delivered to the device.
    static let producer = """
        import sys, zmq
        endpoint, count = sys.argv[1], int(sys.argv[2])
        context = zmq.Context()
        sender = context.socket(zmq.PUSH)
        sender.connect(endpoint)
        print(f"python producer: connected to {endpoint}", file=sys.stderr)
        for number in range(count):
            sender.send_multipart([b"task %d" % number, bytes([number, 0, 255]), b""])
        print(f"python producer: sent {count} tasks", file=sys.stderr)
        sender.close()
        context.term()
        """

    /// `consumer CONNECT`: prints "task <n>" for each well-formed message (anything else
    /// as "malformed <frames>"); runs until killed.
    static let consumer = """
        import sys, zmq
        endpoint = sys.argv[1]
        context = zmq.Context()
        receiver = context.socket(zmq.PULL)
        receiver.connect(endpoint)
        print(f"python consumer: connected to {endpoint}", file=sys.stderr)
        while True:
            frames = receiver.recv_multipart()
            number = int(frames[0].split(b" ")[1])
            if frames[1:] == [bytes([number, 0, 255]), b""]:
                print(frames[0].decode())
            else:
                print(f"malformed {frames!r}")
        """
}

@Suite("Demo interop: zmq-device between pyzmq peers", .timeLimit(.minutes(1)))
struct DemoInteropDeviceTests {
    /// Starts zmq-device and waits until it has bound both endpoints.
    private func startDevice(_ kind: String, _ frontend: String, _ backend: String) async throws -> DemoProcess {
        let device = try DemoProcess("zmq-device", [kind, "--frontend", frontend, "--backend", backend])
        try await device.waitForOutput("\(kind): \(frontend) -> \(backend)", on: .standardError)
        return device
    }

    /// Stops the device with SIGTERM: status 0, nothing on stdout, and only its status line
    /// on stderr.
    private func stopDevice(_ device: DemoProcess, _ kind: String, _ frontend: String, _ backend: String) async throws {
        let (result, _) = try await device.stop(with: SIGTERM)
        #expect(result.exitedCleanly, "zmq-device ended with \(PeerChecks.describe(result))")
        #expect(result.standardOutput.isEmpty)
        #expect(result.errorLines == ["\(kind): \(frontend) -> \(backend)"], "stderr: \(result.standardError)")
    }

    @Test("queue: two pyzmq REQ clients get their own multipart replies from two pyzmq REP workers",
          Peers.pyzmq, arguments: InteropTransport.allCases)
    func queue(_ transport: InteropTransport) async throws {
        let requests = 20
        let (frontend, backend) = (try transport.fresh("frontend"), try transport.fresh("backend"))
        let device = try await startDevice("queue", frontend, backend)
        let workers = try (0..<2).map { index in
            try DemoProcess.python(PythonRequestReply.worker, [backend], name: "python worker \(index)")
        }
        for worker in workers {
            try await worker.waitForOutput("python worker: connected", on: .standardError)
        }
        let clients = try ["client-a", "client-b"].map { name in
            try DemoProcess.python(PythonDevicePeers.client, [frontend, name, String(requests)], name: "python \(name)")
        }

        var served: [String] = []
        for (client, name) in zip(clients, ["client-a", "client-b"]) {
            let result = try await client.finish()
            PeerChecks.expectCleanExit(result, of: client.name, statusPrefix: "python client: ")
            #expect(result.lines == (0..<requests).map { "ok \(name) \($0)" })
            served += (0..<requests).map { "Got \(name) |  | <3 bytes: \(String(format: "%02x00ff", $0))>" }
        }
        var got: [String] = []
        for worker in workers {
            let (result, _) = try await worker.stop(with: SIGTERM)
            PeerChecks.expectKilledBySIGTERM(result, of: worker.name, statusPrefix: "python worker: ")
            got += result.lines
        }
        #expect(got.sorted() == served.sorted())
        try await stopDevice(device, "queue", frontend, backend)
    }

    @Test("forwarder: a pyzmq PUB reaches pyzmq SUBs, each with only its topic, every message in order",
          Peers.pyzmq, arguments: InteropTransport.allCases)
    func forwarder(_ transport: InteropTransport) async throws {
        let count = 50
        let (frontend, backend) = (try transport.fresh("frontend"), try transport.fresh("backend"))
        let device = try await startDevice("forwarder", frontend, backend)
        let subscribers = try ["A", "B"].map { topic in
            try DemoProcess.python(PythonDevicePeers.subscriber, [backend, topic, String(count)],
                                   name: "python subscriber \(topic)")
        }
        let publisher = try DemoProcess.python(PythonDevicePeers.publisher, [frontend, String(count)],
                                               name: "python publisher", standardInput: true)
        // A probe has reached each subscriber, so each subscription has reached the
        // publisher through the device: from now on nothing is lost.
        for subscriber in subscribers {
            try await subscriber.waitForOutput("python subscriber: joined", on: .standardError)
        }
        try publisher.writeToStandardInput("go\n")

        for (subscriber, topic) in zip(subscribers, ["A", "B"]) {
            let result = try await subscriber.finish()
            PeerChecks.expectCleanExit(result, of: subscriber.name, statusPrefix: "python subscriber: ")
            #expect(result.lines == (0..<count).map { "\(topic) \($0)" })
        }
        let published = try await publisher.finish()
        PeerChecks.expectCleanExit(published, of: publisher.name, statusPrefix: "python publisher: ")
        #expect(published.standardOutput.isEmpty)
        try await stopDevice(device, "forwarder", frontend, backend)
    }

    @Test("streamer: a pyzmq PUSH feeds pyzmq PULLs, every task exactly once",
          Peers.pyzmq, arguments: InteropTransport.allCases)
    func streamer(_ transport: InteropTransport) async throws {
        let count = 100
        let (frontend, backend) = (try transport.fresh("frontend"), try transport.fresh("backend"))
        let device = try await startDevice("streamer", frontend, backend)
        let consumers = try (0..<2).map { index in
            try DemoProcess.python(PythonDevicePeers.consumer, [backend], name: "python consumer \(index)")
        }
        for consumer in consumers {
            try await consumer.waitForOutput("python consumer: connected", on: .standardError)
        }
        let producer = try DemoProcess.python(PythonDevicePeers.producer, [frontend, String(count)],
                                              name: "python producer")
        let produced = try await producer.finish()
        PeerChecks.expectCleanExit(produced, of: producer.name, statusPrefix: "python producer: ")
        #expect(produced.standardOutput.isEmpty)

        // The tasks are in the device or on their way: wait until the consumers have all of
        // them (more would show up in the check below).
        try await waitForCondition("\(count) tasks reaching the consumers") {
            consumers.map { $0.standardOutput.split(separator: "\n").count }.reduce(0, +) >= count
        }
        var tasks: [String] = []
        for consumer in consumers {
            let (result, _) = try await consumer.stop(with: SIGTERM)
            PeerChecks.expectKilledBySIGTERM(result, of: consumer.name, statusPrefix: "python consumer: ")
            tasks += result.lines
        }
        #expect(tasks.sorted() == (0..<count).map { "task \($0)" }.sorted())
        try await stopDevice(device, "streamer", frontend, backend)
    }
}
