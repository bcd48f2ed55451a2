import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// ZMTP 3.1 heartbeats find a peer that went silent without closing its connection: one
// stopped with SIGSTOP (its kernel still acknowledges every byte, so TCP sees nothing wrong),
// or behind a relay that stops forwarding but keeps both connections open. The socket that
// heartbeats reports it as a typed `.disconnected` monitor event.
//
// What libzmq 4.3 does (src/zmtp_engine.cpp, src/stream_engine_base.cpp):
// - After the handshake, a socket with ZMQ_HEARTBEAT_IVL sends a PING every interval. The
//   first PING sent while no timeout is pending starts a ZMQ_HEARTBEAT_TIMEOUT timer (the
//   interval when unset; none when 0); any message received cancels it. When it fires, the
//   connection is dropped with a `.disconnected` event: at most interval + timeout after the
//   last traffic from the peer.
// - Each PING carries the sender's ZMQ_HEARTBEAT_TTL in tenths of a second. The receiver,
//   with no heartbeat options of its own, starts a timer of that length on each PING and
//   cancels it on any message: the connection drops when the heartbeating peer goes quiet
//   for TTL. The receiver turns the tenths into milliseconds in a 16-bit variable, so a TTL
//   above 65.5 s wraps around (65.6 s becomes 64 ms) and healthy connections are dropped;
//   `setHeartbeat` refuses such a TTL, and a test below shows the wrap.
//
// Times are measured and printed ("HEARTBEAT-MEASURE"); only generous upper bounds are
// asserted. Each "without" case waits the whole window to show that nothing else drops the
// connection, so the "with" case can fail.

@Suite("Heartbeats")
struct HeartbeatTests {
    static let interval: Duration = .milliseconds(100)
    static let timeout: Duration = .milliseconds(300)
    static let timeToLive: Duration = .milliseconds(500)
    /// How long a dead peer may take to be noticed; also how long a case without heartbeats
    /// watches for a disconnect that must not come.
    static var window: Duration { .seconds(2) * Slack.factor }

    // MARK: A relay that stops forwarding

    @Test("A relay that stops forwarding without closing: a heartbeating server reports the disconnect within the timeout, and without heartbeats never notices",
          arguments: [true, false])
    func stalledRelay(heartbeats: Bool) throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Router.self, context: context)
        if heartbeats { try server.setHeartbeat(interval: Self.interval, timeout: Self.timeout) }
        var monitor = try server.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, .milliseconds(20))
        let bound = try server.bind(to: "tcp://127.0.0.1:*")
        let relay = try StallingRelay(forwardingTo: bound.endpoint)
        defer { relay.stop() }

        let client = try makeSocket(SocketType.Dealer.self, context: context)
        try client.setOption(.routingID, "client")
        try client.connect(to: relay.endpoint)
        try roundTrip(client, server)

        // While the relay forwards, the connection stays up through several timeouts, with
        // PINGs and PONGs crossing the relay when heartbeats are on and nothing otherwise.
        let before = relay.forwardedBytes
        let early = try disconnects(on: &monitor, within: Self.timeout * 4)
        #expect(early.isEmpty, "a healthy connection was dropped: \(early)")
        let heartbeatBytes = relay.forwardedBytes - before
        if heartbeats {
            #expect(heartbeatBytes > 0, "no heartbeat crossed the relay")
        } else {
            #expect(heartbeatBytes == 0)
        }
        try roundTrip(client, server)

        relay.stall()
        let stalledAt = ContinuousClock.now
        let seen = try disconnects(on: &monitor, within: Self.window, stopAtFirst: true)
        if heartbeats {
            let (event, at) = try #require(seen.first, "no disconnect within \(Self.window) of the stall")
            let elapsed = at - stalledAt
            print("HEARTBEAT-MEASURE relay stall noticed after \(millisecondsText(elapsed)) (interval 100 ms, timeout 300 ms)")
            #expect(elapsed < Self.window)
            #expect(event.endpoint == bound.endpoint)
            #expect(event.peerAddress?.hasPrefix("127.0.0.1:") == true, "\(event)")
            // The ROUTER forgets the dead peer (once its socket takes in the pipe's end, a
            // moment after the event): mandatory routing refuses it.
            try server.setMandatoryRouting(true)
            let forgotten = try waitUntil {
                do {
                    _ = try server.send(multipart: [Array("client".utf8), Array("still there?".utf8)])
                    return false
                } catch .hostUnreachable {
                    return true
                }
            }
            #expect(forgotten, "the ROUTER still routes to the dead peer")
        } else {
            #expect(seen.isEmpty, "a disconnect without heartbeats: \(seen.map(\.event))")
            // The ROUTER still believes in the peer and queues for it.
            try server.setMandatoryRouting(true)
            let sent = try server.send(multipart: [Array("client".utf8), Array("still there?".utf8)])
            #expect(sent)
        }
    }

    // MARK: A stopped process

    @Test("A pyzmq peer stopped with SIGSTOP is noticed by our heartbeats within the timeout",
          PythonPeer.condition)
    func stoppedPythonPeer() throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Router.self, context: context)
        try server.setOption(.receiveTimeout, InteropTests.peerTimeout)
        try server.setHeartbeat(interval: Self.interval, timeout: Self.timeout)
        var monitor = try server.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, .milliseconds(20))
        let bound = try server.bind(to: "tcp://127.0.0.1:*")

        let peer = try PythonPeer(script: Self.pythonDealer, arguments: [bound.endpoint, "0", "0"])
        let process = try StoppablePeer(announcedOn: server, peer: peer)
        defer { process.end() }

        // Our PINGs get pyzmq's PONGs: nothing is dropped while it runs.
        let early = try disconnects(on: &monitor, within: Self.timeout * 4)
        #expect(early.isEmpty, "a healthy connection was dropped: \(early)")

        let stoppedAt = try process.stop()
        let seen = try disconnects(on: &monitor, within: Self.window, stopAtFirst: true)
        let (event, at) = try #require(seen.first, "the stopped peer was not noticed within \(Self.window)")
        let elapsed = at - stoppedAt
        print("HEARTBEAT-MEASURE SIGSTOP'd pyzmq peer noticed after \(millisecondsText(elapsed)) (interval 100 ms, timeout 300 ms)")
        #expect(elapsed < Self.window)
        #expect(event.endpoint == bound.endpoint)
        #expect(event.peerAddress?.hasPrefix("127.0.0.1:") == true, "\(event)")
    }

    // MARK: Time-to-live

    @Test("A pyzmq peer's heartbeat TTL makes our socket, with no heartbeat options, drop it once it is stopped; without a TTL it is never noticed",
          PythonPeer.condition,
          arguments: [true, false])
    func pythonPeersTimeToLive(withTimeToLive: Bool) throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Router.self, context: context)
        try server.setOption(.receiveTimeout, InteropTests.peerTimeout)
        var monitor = try server.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, .milliseconds(20))
        let bound = try server.bind(to: "tcp://127.0.0.1:*")

        // pyzmq heartbeats every 100 ms, with or without a 500 ms TTL, and never drops us itself.
        let ttl = withTimeToLive ? "500" : "0"
        let peer = try PythonPeer(script: Self.pythonDealer, arguments: [bound.endpoint, "100", ttl])
        let process = try StoppablePeer(announcedOn: server, peer: peer)
        defer { process.end() }

        let early = try disconnects(on: &monitor, within: Self.timeToLive * 2)
        #expect(early.isEmpty, "a healthy connection was dropped: \(early)")

        let stoppedAt = try process.stop()
        let seen = try disconnects(on: &monitor, within: Self.window, stopAtFirst: true)
        if withTimeToLive {
            let (_, at) = try #require(seen.first, "the stopped peer's TTL did not drop it within \(Self.window)")
            let elapsed = at - stoppedAt
            print("HEARTBEAT-MEASURE SIGSTOP'd pyzmq peer with a 500 ms TTL dropped after \(millisecondsText(elapsed))")
            #expect(elapsed < Self.window)
        } else {
            #expect(seen.isEmpty, "dropped without a TTL: \(seen.map(\.event))")
        }
    }

    @Test("Our heartbeat TTL makes a remote with no heartbeat options drop us once the relay stalls; our own zero timeout never drops it",
          arguments: [true, false])
    func ourTimeToLive(withTimeToLive: Bool) throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Router.self, context: context)
        var serverMonitor = try server.monitor(events: [.disconnected])
        try serverMonitor.socket.setOption(.receiveTimeout, .milliseconds(20))
        let bound = try server.bind(to: "tcp://127.0.0.1:*")
        let relay = try StallingRelay(forwardingTo: bound.endpoint)
        defer { relay.stop() }

        let client = try makeSocket(SocketType.Dealer.self, context: context)
        try client.setHeartbeat(interval: Self.interval, timeout: .zero,
                                timeToLive: withTimeToLive ? Self.timeToLive : nil)
        var clientMonitor = try client.monitor(events: [.disconnected])
        try client.connect(to: relay.endpoint)
        try roundTrip(client, server)

        let early = try disconnects(on: &serverMonitor, within: Self.timeToLive * 2)
        #expect(early.isEmpty, "a healthy connection was dropped: \(early)")

        relay.stall()
        let stalledAt = ContinuousClock.now
        let seen = try disconnects(on: &serverMonitor, within: Self.window, stopAtFirst: true)
        if withTimeToLive {
            let (_, at) = try #require(seen.first, "our TTL did not make the remote drop us within \(Self.window)")
            let elapsed = at - stalledAt
            print("HEARTBEAT-MEASURE remote dropped us \(millisecondsText(elapsed)) after the stall (our TTL 500 ms)")
            #expect(elapsed < Self.window)
        } else {
            #expect(seen.isEmpty, "the remote dropped us without a TTL: \(seen.map(\.event))")
        }
        // With a zero timeout the client never drops the connection itself.
        let clientSide = try disconnects(on: &clientMonitor, within: .zero)
        #expect(clientSide.isEmpty, "the client dropped the connection: \(clientSide)")
    }

    @Test("libzmq 4.3 wraps a heartbeat TTL above 65.5 s: 65.6 s makes the remote drop a healthy connection, 65.5 s does not",
          arguments: [Duration.milliseconds(65_600), .milliseconds(65_500)])
    func timeToLiveWrapsAbove65Seconds(timeToLive: Duration) throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Router.self, context: context)
        var monitor = try server.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, .milliseconds(20))
        let bound = try server.bind(to: "tcp://127.0.0.1:*")

        let client = try makeSocket(SocketType.Dealer.self, context: context)
        // The options one by one: setHeartbeat refuses this TTL for exactly this reason.
        try client.setOption(.heartbeatInterval, Self.interval)
        try client.setOption(.heartbeatTimeout, .seconds(60))
        try client.setOption(.heartbeatTimeToLive, timeToLive)
        try client.connect(to: bound.endpoint)
        try roundTrip(client, server)

        // 656 tenths × 100 = 65,600 ms, kept in 16 bits: 64 ms, shorter than the 100 ms
        // between PINGs, so the remote drops the connection after every PING.
        let seen = try disconnects(on: &monitor, within: .seconds(1) * Slack.factor, stopAtFirst: true)
        if timeToLive > .milliseconds(65_500) {
            #expect(!seen.isEmpty, "a 65.6 s TTL did not wrap around")
            #expect(throws: ZMQError.invalidArgument) {
                try client.setHeartbeat(interval: Self.interval, timeToLive: timeToLive)
            }
        } else {
            #expect(seen.isEmpty, "a 65.5 s TTL dropped a healthy connection: \(seen.map(\.event))")
            try client.setHeartbeat(interval: Self.interval, timeToLive: timeToLive)
        }
    }

    // MARK: setHeartbeat

    @Test("setHeartbeat sets the interval, the timeout (the interval by default) and the TTL")
    func setHeartbeatSetsTheOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try socket.setHeartbeat(interval: .milliseconds(250), timeout: .milliseconds(900), timeToLive: .seconds(2))
        var interval = try socket.option(.heartbeatInterval)
        var timeout = try socket.option(.heartbeatTimeout)
        var ttl = try socket.option(.heartbeatTimeToLive)
        #expect(interval == .milliseconds(250) && timeout == .milliseconds(900) && ttl == .seconds(2))

        try socket.setHeartbeat(interval: .milliseconds(400))
        interval = try socket.option(.heartbeatInterval)
        timeout = try socket.option(.heartbeatTimeout)
        ttl = try socket.option(.heartbeatTimeToLive)
        #expect(interval == .milliseconds(400) && timeout == .milliseconds(400) && ttl == .zero)

        // The TTL travels in tenths of a second, rounded up; 65.5 s is the most.
        try socket.setHeartbeat(interval: .seconds(1), timeToLive: .milliseconds(1_234))
        ttl = try socket.option(.heartbeatTimeToLive)
        #expect(ttl == .milliseconds(1_300))
        try socket.setHeartbeat(interval: .seconds(1), timeToLive: .milliseconds(65_500))
        ttl = try socket.option(.heartbeatTimeToLive)
        #expect(ttl == .milliseconds(65_500))
    }

    @Test("setHeartbeat refuses bad values, names the option, and changes nothing")
    func setHeartbeatRefusesBadValues() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try socket.setHeartbeat(interval: .milliseconds(250), timeout: .milliseconds(700), timeToLive: .seconds(1))

        let wrapping = try #require(throws: ZMQError.self) {
            try socket.setHeartbeat(interval: .seconds(1), timeToLive: .milliseconds(65_501))
        }
        #expect(wrapping == .invalidArgument)
        #expect(wrapping.option == "heartbeatTimeToLive")
        #expect(wrapping.reason?.contains("at most 65.5 seconds") == true, "\(wrapping)")
        let negativeTTL = try #require(throws: ZMQError.self) {
            try socket.setHeartbeat(interval: .seconds(1), timeToLive: .milliseconds(-100))
        }
        #expect(negativeTTL.option == "heartbeatTimeToLive")
        let negative = try #require(throws: ZMQError.self) { try socket.setHeartbeat(interval: .milliseconds(-1)) }
        #expect(negative == .invalidArgument)
        #expect(negative.option == "heartbeatInterval")
        let huge = try #require(throws: ZMQError.self) {
            try socket.setHeartbeat(interval: .seconds(1), timeout: .seconds(3_000_000))
        }
        #expect(huge.option == "heartbeatTimeout")
        #expect(huge.description.hasPrefix("set heartbeatTimeout (ZMQ_HEARTBEAT_TIMEOUT) to "), "\(huge)")

        // Each refusal came before anything was set.
        let interval = try socket.option(.heartbeatInterval)
        let timeout = try socket.option(.heartbeatTimeout)
        let ttl = try socket.option(.heartbeatTimeToLive)
        #expect(interval == .milliseconds(250) && timeout == .milliseconds(700) && ttl == .seconds(1))
    }

    // MARK: Helpers

    /// A pyzmq DEALER that connects to `argv[1]`, heartbeats every `argv[2]` ms (0: not at
    /// all) with a TTL of `argv[3]` ms (0: none), never drops the connection itself, sends
    /// its process id, and waits to be stopped and killed.
    static let pythonDealer = #"""
        import os, sys, time, zmq
        endpoint, interval, ttl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        ctx = zmq.Context()
        dealer = ctx.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        if interval:
            dealer.setsockopt(zmq.HEARTBEAT_IVL, interval)
            dealer.setsockopt(zmq.HEARTBEAT_TIMEOUT, 60000)
        if ttl:
            dealer.setsockopt(zmq.HEARTBEAT_TTL, ttl)
        dealer.connect(endpoint)
        dealer.send(b"%d" % os.getpid())
        time.sleep(30)
        """#
}

/// A DEALER → ROUTER → DEALER round trip; throws if it does not complete.
private func roundTrip(
    _ client: borrowing Socket<SocketType.Dealer>,
    _ server: borrowing Socket<SocketType.Router>
) throws {
    try client.send("ping")
    let request = try #require(try server.receiveMultipart(), "the server received nothing")
    try #require(request.count == 2 && request[1] == Array("ping".utf8), "got \(request)")
    try server.send(multipart: [request[0], Array("pong".utf8)])
    let reply = try client.receiveString()
    try #require(reply == "pong", "the client got \(String(describing: reply))")
}

/// Reads events for `window` and returns the disconnects among them, with when each was
/// read; with `stopAtFirst`, returns as soon as one arrives. A zero window reads only what is
/// queued.
private func disconnects(
    on monitor: inout SocketMonitor,
    within window: Duration,
    stopAtFirst: Bool = false
) throws -> [(event: MonitorEvent, at: ContinuousClock.Instant)] {
    var found: [(event: MonitorEvent, at: ContinuousClock.Instant)] = []
    let deadline = ContinuousClock.now + window
    repeat {
        let flags: ReceiveFlags = window == .zero ? .dontWait : []
        while let event = try monitor.receiveEvent(flags) {
            if case .disconnected = event.kind {
                found.append((event, ContinuousClock.now))
                if stopAtFirst { return found }
            }
        }
    } while ContinuousClock.now < deadline
    return found
}

/// A duration in milliseconds, for the printed measurements.
private func millisecondsText(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return String(Int(value.rounded())) + " ms"
}

/// A Python peer that announced its process id on `server`, to be stopped with SIGSTOP and
/// always killed in the end (SIGTERM alone would stay pending while it is stopped).
private struct StoppablePeer {
    let peer: PythonPeer
    let pid: pid_t

    init(announcedOn server: borrowing Socket<SocketType.Router>, peer: PythonPeer) throws {
        self.peer = peer
        let hello = try server.receiveMultipart()
        guard let hello, hello.count == 2, let pid = pid_t(String(decoding: hello[1], as: UTF8.self)), pid > 1 else {
            let (_, _, errors) = peer.finish(timeout: .seconds(1))
            throw TestFailure("the Python peer did not announce itself (got \(String(describing: hello))): \(errors)")
        }
        self.pid = pid
    }

    /// Stops the process and returns when.
    func stop() throws -> ContinuousClock.Instant {
        guard kill(pid, SIGSTOP) == 0 else { throw TestFailure("SIGSTOP failed: errno \(errno)") }
        return ContinuousClock.now
    }

    /// Kills the process (stopped or not) and reaps it.
    func end() {
        kill(pid, SIGKILL)
        kill(pid, SIGCONT)
        _ = peer.finish(timeout: .seconds(5))
    }
}

/// A TCP relay on loopback between one client and one server, on a thread of its own, that
/// can stop forwarding while keeping both connections open, as a hung middlebox or a
/// partitioned network would.
private final class StallingRelay: Sendable {
    private final class State: Sendable {
        let stalled = Atomic<Bool>(false)
        let stopping = Atomic<Bool>(false)
        let forwarded = Atomic<Int>(0)
    }

    /// The endpoint to connect the client to.
    let endpoint: String
    private let state: State
    private let thread: BackgroundThread<Void>

    /// Listens on an ephemeral loopback port and, once a client connects, connects to
    /// `upstream` (a `tcp://127.0.0.1:port` endpoint) and forwards both ways.
    init(forwardingTo upstream: String) throws {
        guard let upstreamPort = LoopbackTCP.port(of: upstream) else { throw TestFailure("no port in \(upstream)") }
        let (listener, port) = try LoopbackTCP.makeListener()
        let state = State()
        self.state = state
        self.endpoint = "tcp://127.0.0.1:\(port)"
        self.thread = BackgroundThread { try Self.run(listener: listener, upstreamPort: upstreamPort, state: state) }
    }

    deinit { stop() }

    /// The bytes forwarded so far, both ways.
    var forwardedBytes: Int { state.forwarded.load(ordering: .relaxed) }

    /// Stops forwarding; both connections stay open until ``stop()``.
    func stall() { state.stalled.store(true, ordering: .relaxed) }

    /// Ends the relay and closes its connections.
    func stop() {
        state.stopping.store(true, ordering: .relaxed)
        _ = thread.wait()
    }

    private static func run(listener: Int32, upstreamPort: UInt16, state: State) throws {
        defer { close(listener) }
        var client: Int32?
        while client == nil {
            if state.stopping.load(ordering: .relaxed) { return }
            client = LoopbackTCP.acceptConnection(on: listener, timeout: .milliseconds(10))
        }
        guard let client else { return }
        defer { close(client) }
        let server = try LoopbackTCP.connectBlocking(to: upstreamPort)
        defer { close(server) }

        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var entries = [pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
        while !state.stopping.load(ordering: .relaxed) {
            if state.stalled.load(ordering: .relaxed) {
                blockingSleep(.milliseconds(10))
                continue
            }
            guard poll(&entries, 2, 10) > 0 else { continue }
            for index in entries.indices where entries[index].revents != 0 {
                let from = entries[index].fd
                let to = index == 0 ? server : client
                let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                // One side hung up: end, closing the other side too.
                guard count > 0 else { return }
                // Counted first, so that whoever receives these bytes sees them counted.
                state.forwarded.add(count, ordering: .relaxed)
                guard LoopbackTCP.sendAll(to, buffer[..<count]) else { return }
            }
        }
    }
}
