import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Plain TCP on loopback

/// Plain POSIX TCP sockets on 127.0.0.1, for tests that play a peer libzmq does not control:
/// a relay that stops forwarding (HeartbeatTests), a hostile client (HostilePeerTests).
///
/// Every wait is bounded, and every send passes `MSG_NOSIGNAL`, so a peer that hangs up
/// gives an error instead of a SIGPIPE.
enum LoopbackTCP {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    private static var streamType: Int32 {
        #if canImport(Glibc)
        Int32(SOCK_STREAM.rawValue)
        #else
        SOCK_STREAM
        #endif
    }

    private static var noSignal: Int32 {
        #if canImport(Glibc)
        Int32(MSG_NOSIGNAL)
        #else
        0
        #endif
    }

    /// The port of a `tcp://host:port` endpoint.
    static func port(of endpoint: String) -> UInt16? {
        endpoint.split(separator: ":").last.flatMap { UInt16($0) }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A listening socket on 127.0.0.1 with an ephemeral port.
    static func makeListener(backlog: Int32 = 64) throws -> (descriptor: Int32, port: UInt16) {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var address = loopback(port: 0)
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "bind and listen", code: code)
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "getsockname", code: code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one connection, waiting at most `timeout`; the new descriptor is blocking.
    static func acceptConnection(on listener: Int32, timeout: Duration) -> Int32? {
        guard waitFor(Int16(POLLIN), on: listener, timeout: timeout) else { return nil }
        let fd = accept(listener, nil, nil)
        return fd >= 0 ? fd : nil
    }

    /// Starts a non-blocking connect to 127.0.0.1:`port`; the connection may still be under
    /// way when this returns (see ``finishConnect(_:timeout:)``).
    static func startConnect(to port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            close(fd)
            throw Failure(call: "connect", code: code)
        }
        return fd
    }

    /// Waits until a connection started by ``startConnect(to:)`` is made.
    ///
    /// - Returns: Whether it was made within `timeout`.
    static func finishConnect(_ fd: Int32, timeout: Duration) -> Bool {
        guard waitFor(Int16(POLLOUT), on: fd, timeout: timeout) else { return false }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0
    }

    /// Connects to 127.0.0.1:`port` and returns a blocking descriptor.
    static func connectBlocking(to port: UInt16, timeout: Duration = testTimeout) throws -> Int32 {
        let fd = try startConnect(to: port)
        guard finishConnect(fd, timeout: timeout) else {
            close(fd)
            throw Failure(call: "connect to 127.0.0.1:\(port)", code: ETIMEDOUT)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Whether `events` happen on `fd` within `timeout`.
    static func waitFor(_ events: Int16, on fd: Int32, timeout: Duration) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: min(seconds, 1_000_000) * 1000 + attoseconds / 1_000_000_000_000_000)
        while true {
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready == 1
        }
    }

    /// Writes all of `bytes`, waiting (at most `testTimeout` each time) while the socket's
    /// buffer is full.
    ///
    /// - Returns: Whether everything was written.
    static func sendAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, noSignal | Int32(MSG_DONTWAIT))
            }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard waitFor(Int16(POLLOUT), on: fd, timeout: testTimeout) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// Writes what the socket takes of `bytes` now, without waiting.
    ///
    /// - Returns: The number of bytes written, or -1 on an error (such as a peer that hung up).
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal | Int32(MSG_DONTWAIT)) }
    }
}

// MARK: - Hostile peers

// Thousands of raw TCP connections to a bound ROUTER or REP echo server, each of them hostile:
// (a) random garbage; (b) a valid ZMTP 3.0 greeting, then garbage; (c) a valid greeting and
// READY handshake, then a frame header with an absurd 8-byte length (2^62 and up, which no
// allocator can serve, and with maxMessageSize also one byte over the limit). Meanwhile a
// well-behaved client keeps getting echo replies. The server must not crash, must keep
// serving, must drop every (c) peer, and its memory must stay bounded.
//
// Each scenario runs in a child process of its own (an exit test): there the resident memory
// measured is the server's alone, a libzmq abort fails this test instead of the whole run,
// and the descriptors the connections use don't meet the other suites' subprocesses. The
// child's report line is printed by the parent (ChildReport, in Async/AsyncTestSupport.swift).
// The scenarios run one at a time, and the client paces itself, so that the flood does not
// starve the tests running beside it on a small machine.

@Suite("Hostile peers", .serialized)
struct HostilePeerTests {
    enum ServerKind: String, Codable, CaseIterable, Sendable, CustomTestStringConvertible {
        case router, rep
        var testDescription: String { rawValue.uppercased() }
    }

    @Test("Thousands of raw connections sending garbage, a greeting then garbage, or an absurd frame length: the server keeps serving a well-behaved client, drops every absurd length, and its memory stays bounded",
          arguments: ServerKind.allCases, [false, true])
    func flood(server: ServerKind, limitsMessageSize: Bool) async {
        let name = HostileFlood.name(server: server, limitsMessageSize: limitsMessageSize)
        await #expect(processExitsWith: .success) { [server, limitsMessageSize] in
            try await ChildReport.run(name: HostileFlood.name(server: server, limitsMessageSize: limitsMessageSize)) { checks in
                try HostileFlood(server: server, maxMessageSize: limitsMessageSize ? HostileFlood.messageLimit : nil)
                    .run(checks: &checks)
            }
        }
        ChildReport.collect(name: name)
    }
}

/// One raw connection of a batch.
private struct HostilePeer {
    let attack: HostileFlood.Attack
    /// What the server has sent, while the handshake is under way.
    var received: [UInt8] = []
    /// Whether the absurd frame header went out.
    var sentFrame = false
}

/// One flood of hostile connections against one echo server, in the child process.
private struct HostileFlood {
    /// The attacks, taken in turn.
    enum Attack: Int, CaseIterable {
        case garbage, greetingThenGarbage, absurdLength
    }

    static let connectionCount = 2_100
    static let messageLimit = 1 << 20
    /// Resident memory may grow by this much over the flood.
    static let memoryBound = 64 << 20

    let server: HostilePeerTests.ServerKind
    let maxMessageSize: Int?

    static func name(server: HostilePeerTests.ServerKind, limitsMessageSize: Bool) -> String {
        "hostile-\(server.rawValue)-\(limitsMessageSize ? "maxmsgsize" : "nolimit")"
    }

    /// The tallies of the flood, by attack.
    struct Tally {
        var connected = [0, 0, 0]
        var droppedByServer = [0, 0, 0]
        /// Absurd-length peers dropped after their frame header, not during the handshake.
        var droppedForLength = 0
        var connectFailures = 0
    }

    func run(checks: inout [String]) throws -> String {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        let started = ContinuousClock.now

        // The server: an echo loop on a thread of its own, which also counts connections.
        let counts = ServerCounts()
        let bound = OneShot<String>()
        let serverKind = server
        let maxMessageSize = maxMessageSize
        let serverThread = try SocketThread(name: "hostile-server") { () throws(ZMQError) in
            switch serverKind {
            case .router:
                try serveEcho(SocketType.Router.self, context: context, maxMessageSize: maxMessageSize, counts: counts, bound: bound)
            case .rep:
                try serveEcho(SocketType.Rep.self, context: context, maxMessageSize: maxMessageSize, counts: counts, bound: bound)
            }
        }
        defer {
            counts.running.store(false, ordering: .relaxed)
            _ = serverThread.join(timeout: testTimeout)
        }
        guard let endpoint = bound.wait() else {
            throw TestFailure("the server did not start: \(String(describing: serverThread.join(timeout: .zero)))")
        }
        guard let port = LoopbackTCP.port(of: endpoint) else { throw TestFailure("no port in \(endpoint)") }

        // The well-behaved client: round trips until told to stop.
        let client = WellBehavedClient(context: context, endpoint: endpoint, server: server)
        defer { client.stop() }
        guard waitUntil(timeout: .seconds(10) * Slack.factor, { client.tally.replies >= 5 }) else {
            throw TestFailure("the well-behaved client got no replies before the flood: \(client.tally.failures)")
        }

        // The hostile handshake is valid ZMTP: a message after it is echoed. So the peers that
        // send an absurd length after it are dropped for the length, not for the handshake.
        if !Self.validHandshakeIsServed(port: port) {
            checks.append("a raw peer's greeting, READY and message got no echo: the hostile handshake is not valid ZMTP")
        }

        let before = residentBytes()
        var peak = before
        let repliesBeforeFlood = client.tally.replies
        var tally = Tally()
        var random = SplitMix64(seed: 0x5EED_0000 + (server == .router ? 1 : 2) + (maxMessageSize == nil ? 0 : 16))
        let batchSize = Self.batchSize()
        let floodStarted = ContinuousClock.now
        var opened = 0
        while opened < Self.connectionCount {
            let count = min(batchSize, Self.connectionCount - opened)
            let attacks = (opened..<opened + count).map { Attack(rawValue: $0 % Attack.allCases.count)! }
            runBatch(attacks, port: port, random: &random, tally: &tally)
            opened += count
            peak = max(peak, residentBytes())
        }
        let floodTime = ContinuousClock.now - floodStarted
        let repliesDuringFlood = client.tally.replies
        if repliesDuringFlood <= repliesBeforeFlood {
            checks.append("the well-behaved client got no replies during the flood")
        }

        // Every connection reached libzmq, and libzmq let go of every one of them (the
        // client's own connection is the one more accepted).
        let connected = tally.connected.reduce(0, +)
        let settled = waitUntil(timeout: .seconds(10) * Slack.factor) {
            counts.accepted.load(ordering: .relaxed) >= connected + 1
                && counts.disconnected.load(ordering: .relaxed) >= connected
        }
        if !settled {
            checks.append("the server accepted \(counts.accepted.load(ordering: .relaxed)) and let go of "
                + "\(counts.disconnected.load(ordering: .relaxed)) of \(connected) hostile connections (+1 client)")
        }
        // The well-behaved client is still served after the flood.
        if !waitUntil(timeout: testTimeout * Slack.factor, { client.tally.replies >= repliesDuringFlood + 5 }) {
            checks.append("the well-behaved client got no replies after the flood")
        }
        client.stop()
        let after = residentBytes()
        if serverThread.isFinished {
            checks.append("the server stopped serving: \(String(describing: serverThread.join(timeout: .zero)))")
        }
        let final = client.tally
        let served = counts.served.load(ordering: .relaxed)

        if !final.failures.isEmpty { checks.append("the well-behaved client failed: \(final.failures.prefix(3))") }
        if tally.connectFailures > 0 { checks.append("\(tally.connectFailures) hostile connections could not be made") }
        let absurd = Attack.absurdLength.rawValue
        if tally.droppedForLength != tally.connected[absurd] {
            checks.append("the server dropped \(tally.droppedForLength) of \(tally.connected[absurd]) absurd-length peers "
                + "for their frame length (\(tally.droppedByServer[absurd]) in all)")
        }
        if after - before >= Self.memoryBound {
            checks.append("resident memory grew by \(mebibytes(after - before)) (\(mebibytes(before)) to \(mebibytes(after)))")
        }
        // The server's count lags the replies by the one being counted.
        if served + 1 < final.replies {
            checks.append("the server echoed \(served) messages, fewer than the client's \(final.replies) replies")
        }

        let limit = maxMessageSize.map { "maxMessageSize \(mebibytes($0))" } ?? "no maxMessageSize"
        return "HOSTILE \(server.testDescription), \(limit): \(connected) hostile connections in batches of \(batchSize), "
            + "flood \(millisecondsText(floodTime)), whole scenario \(millisecondsText(ContinuousClock.now - started)); "
            + "dropped by the server: garbage \(tally.droppedByServer[0])/\(tally.connected[0]), "
            + "greeting+garbage \(tally.droppedByServer[1])/\(tally.connected[1]), "
            + "absurd length \(tally.droppedForLength)/\(tally.connected[absurd]) after the handshake; "
            + "client: \(final.replies) echo replies (\(repliesDuringFlood) by the flood's end), "
            + "\(final.lostReplies) lost and resent, \(final.failures.count) failures, "
            + "slowest \(millisecondsText(final.slowest)); "
            + "RSS before \(mebibytes(before)), peak \(mebibytes(peak)), after \(mebibytes(after)) "
            + "(growth \(mebibytes(after - before)))"
    }

    /// Whether a raw peer that sends the greeting and READY of the absurd-length attack, then
    /// a well-formed request, gets its echo.
    static func validHandshakeIsServed(port: UInt16) -> Bool {
        guard let fd = try? LoopbackTCP.connectBlocking(to: port) else { return false }
        defer { close(fd) }
        let text = Array("raw hello".utf8)
        guard LoopbackTCP.sendAll(fd, ZMTP.greeting + ZMTP.ready(socketType: "DEALER")),
              receive(from: fd, until: ZMTP.handshakeIsComplete) != nil
        else { return false }
        // An empty delimiter frame (more), then the body: REP needs the one, ROUTER passes both.
        guard LoopbackTCP.sendAll(fd, [0x01, 0x00, 0x00, UInt8(text.count)] + text) else { return false }
        let echo = receive(from: fd) { bytes in
            bytes.count >= text.count
                && (0...(bytes.count - text.count)).contains { bytes[$0..<$0 + text.count].elementsEqual(text) }
        }
        return echo != nil
    }

    /// Reads from `fd` until what has arrived satisfies `done`, for at most `testTimeout`.
    ///
    /// - Returns: Everything read, or `nil` on end of file, an error or the timeout.
    private static func receive(from fd: Int32, until done: ([UInt8]) -> Bool) -> [UInt8]? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        let deadline = ContinuousClock.now + testTimeout
        while ContinuousClock.now < deadline {
            guard LoopbackTCP.waitFor(Int16(POLLIN), on: fd, timeout: .milliseconds(50)) else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            received += chunk[..<count]
            if done(received) { return received }
        }
        return nil
    }

    /// Connections open at once: well under the descriptor limit, since each costs two
    /// descriptors in this process (ours and the server's).
    static func batchSize() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 50 }
        let available = Int(clamping: limit.rlim_cur)
        return max(15, min(150, (available - 256) / 4))
    }

    /// Opens one connection per attack and sends each its opening bytes; finishes the
    /// handshake of each absurd-length peer and sends its frame header; waits for the server
    /// to drop them all (or a second to pass), and closes what is left.
    private func runBatch(_ attacks: [Attack], port: UInt16, random: inout SplitMix64, tally: inout Tally) {
        var open: [(fd: Int32, attack: Attack)] = []
        for attack in attacks {
            guard let fd = try? LoopbackTCP.startConnect(to: port) else {
                tally.connectFailures += 1
                continue
            }
            open.append((fd, attack))
        }
        var peers: [HostilePeer] = []
        var entries: [pollfd] = []
        for (fd, attack) in open {
            guard LoopbackTCP.finishConnect(fd, timeout: testTimeout) else {
                tally.connectFailures += 1
                close(fd)
                continue
            }
            tally.connected[attack.rawValue] += 1
            // The openings are small: the socket's buffer takes them whole.
            _ = LoopbackTCP.sendNow(fd, opening(for: attack, random: &random))
            peers.append(HostilePeer(attack: attack))
            entries.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }

        // Read what the server sends, until it has hung up on every absurd-length peer or a
        // second has passed; the garbage it may still be waiting on.
        var absurdLeft = peers.filter { $0.attack == .absurdLength }.count
        var scratch = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(1) * Slack.factor
        while absurdLeft > 0 && ContinuousClock.now < deadline {
            guard poll(&entries, nfds_t(entries.count), 20) > 0 else { continue }
            for index in entries.indices where entries[index].fd >= 0 && entries[index].revents != 0 {
                let fd = entries[index].fd
                let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count > 0 {
                    // An absurd-length peer sends its frame once the server's greeting and
                    // READY have come: libzmq takes anything sooner as a handshake command.
                    if peers[index].attack == .absurdLength && !peers[index].sentFrame {
                        peers[index].received += scratch[..<count]
                        if ZMTP.handshakeIsComplete(peers[index].received) {
                            _ = LoopbackTCP.sendNow(fd, absurdFrame(random: &random))
                            peers[index].sentFrame = true
                        }
                    }
                    continue
                }
                guard count == 0 || (errno != EAGAIN && errno != EINTR) else { continue }
                // End of file or a reset: the server dropped this peer.
                tally.droppedByServer[peers[index].attack.rawValue] += 1
                if peers[index].attack == .absurdLength {
                    absurdLeft -= 1
                    if peers[index].sentFrame { tally.droppedForLength += 1 }
                }
                close(fd)
                entries[index].fd = -1
            }
        }
        for entry in entries where entry.fd >= 0 { close(entry.fd) }
    }

    /// What a hostile peer sends first.
    private func opening(for attack: Attack, random: inout SplitMix64) -> [UInt8] {
        switch attack {
        case .garbage:
            return random.bytes(count: Int.random(in: 1...512, using: &random))
        case .greetingThenGarbage:
            return ZMTP.greeting + random.bytes(count: Int.random(in: 1...512, using: &random))
        case .absurdLength:
            return ZMTP.greeting + ZMTP.ready(socketType: "DEALER")
        }
    }

    /// A message frame header claiming an absurd length, and the start of its body.
    private func absurdFrame(random: inout SplitMix64) -> [UInt8] {
        var lengths: [UInt64] = [1 << 62, UInt64(Int64.max), 1 << 63, .max]
        // Just over the limit: a length libzmq could allocate, refused by the limit alone.
        if let maxMessageSize { lengths.append(UInt64(maxMessageSize) + 1) }
        let length = lengths[Int.random(in: 0..<lengths.count, using: &random)]
        return ZMTP.longFrameHeader(length: length) + random.bytes(count: 1_024)
    }
}

/// What the server's thread counts, shared with the scenario.
private final class ServerCounts: Sendable {
    let running = Atomic<Bool>(true)
    let accepted = Atomic<Int>(0)
    let disconnected = Atomic<Int>(0)
    let served = Atomic<Int>(0)
}

/// Runs a bound echo server of type `Kind` until the counts say to stop: every message goes
/// back to its sender, and the monitor's connection events are counted.
private func serveEcho<Kind: SendingKind & ReceivingKind>(
    _ kind: Kind.Type,
    context: Context,
    maxMessageSize: Int?,
    counts: ServerCounts,
    bound: OneShot<String>
) throws(ZMQError) {
    let socket = try Socket<Kind>(context: context)
    try socket.setOption(.linger, .zero)
    // Room for a whole batch of connections at once, so that no SYN waits for a retry.
    try socket.setOption(.backlog, 1_024)
    if let maxMessageSize { try socket.setOption(.maxMessageSize, maxMessageSize) }
    var monitor = try socket.monitor(events: [.accepted, .disconnected])
    bound.send(try socket.bind(to: "tcp://127.0.0.1:*").endpoint)

    var poller = Poller(capacity: 2)
    let server = poller.add(socket)
    let events = poller.add(monitor.socket)
    var parts = Multipart()
    while counts.running.load(ordering: .relaxed) {
        guard try poller.poll(timeout: .milliseconds(20)) > 0 else { continue }
        if poller.isReadable(at: server) {
            while try socket.receive(into: &parts, .dontWait) {
                if try socket.send(&parts, .dontWait) { counts.served.add(1, ordering: .relaxed) }
            }
        }
        if poller.isReadable(at: events) {
            while let event = try monitor.receiveEvent(.dontWait) {
                switch event.kind {
                case .accepted: counts.accepted.add(1, ordering: .relaxed)
                case .disconnected: counts.disconnected.add(1, ordering: .relaxed)
                default: break
                }
            }
        }
    }
}

/// A client that does echo round trips on a thread of its own until stopped, and counts them.
///
/// Against ROUTER it is a DEALER, and every reply must come. Against REP it is a relaxed,
/// correlating REQ that resends a request whose reply does not come within 200 ms (the
/// Lazy Pirate pattern): libzmq 4.3's REP drops the reply that follows a malformed request
/// from a peer that has gone (see BadInputTests), and random garbage makes such requests.
/// Those resends are counted as lost replies; a request that fails 25 times in a row (5 s, as
/// long as a DEALER's receive waits: on a loaded 2-core machine five tries, 1 s, were once not
/// enough while the flood's batches ran) is a failure.
private final class WellBehavedClient: Sendable {
    struct Tally: Sendable {
        var replies = 0
        var lostReplies = 0
        var failures: [String] = []
        var slowest: Duration = .zero
    }

    private final class State: Sendable {
        let running = Atomic<Bool>(true)
        let tally = Mutex(Tally())
    }

    private let state: State
    private let thread: BackgroundThread<Void>

    init(context: Context, endpoint: String, server: HostilePeerTests.ServerKind) {
        let state = State()
        self.state = state
        thread = BackgroundThread {
            switch server {
            case .router:
                let socket = try makeSocket(SocketType.Dealer.self, context: context)
                try socket.connect(to: endpoint)
                try Self.roundTrips(socket, attempts: 1, state: state)
            case .rep:
                let socket = try makeSocket(SocketType.Req.self, context: context)
                try socket.setRelaxed(true)
                try socket.setCorrelation(true)
                try socket.setOption(.receiveTimeout, .milliseconds(200) * Slack.factor)
                try socket.connect(to: endpoint)
                try Self.roundTrips(socket, attempts: 25, state: state)
            }
        }
    }

    /// What the client has counted so far.
    var tally: Tally { state.tally.withLock { $0 } }

    /// Stops the round trips and waits for the thread.
    func stop() {
        state.running.store(false, ordering: .relaxed)
        if case .failure(let error)? = thread.wait() {
            state.tally.withLock { $0.failures.append("the client thread threw \(error)") }
        }
    }

    private static func roundTrips<Kind: SendingKind & ReceivingKind>(
        _ socket: borrowing Socket<Kind>,
        attempts: Int,
        state: State
    ) throws {
        var number = 0
        while state.running.load(ordering: .relaxed) {
            number += 1
            let request = "ping \(number)"
            let sent = ContinuousClock.now
            var reply: String?
            for attempt in 1...attempts where reply == nil {
                if attempt > 1 { state.tally.withLock { $0.lostReplies += 1 } }
                guard try socket.send(request) else {
                    state.tally.withLock { $0.failures.append("request \(number) could not be sent") }
                    return
                }
                // Receives time out (after `testTimeout`, or 200 ms for REQ).
                reply = try socket.receiveString()
            }
            let elapsed = ContinuousClock.now - sent
            guard reply == request else {
                state.tally.withLock {
                    $0.failures.append("request \(number) got \(String(describing: reply)) after \(attempts) attempt(s)")
                }
                return
            }
            state.tally.withLock {
                $0.replies += 1
                $0.slowest = max($0.slowest, elapsed)
            }
            blockingSleep(.milliseconds(1))
        }
    }
}

/// The bytes of ZMTP 3.0 (RFC 23) a hostile peer needs.
private enum ZMTP {
    /// A greeting: the signature (0xFF, eight bytes of padding, 0x7F), version 3.0, the NULL
    /// mechanism padded to 20 bytes, as-server 0, and 31 bytes of filler: 64 bytes.
    static let greeting: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes[0] = 0xFF
        bytes[9] = 0x7F
        bytes[10] = 3
        bytes[11] = 0
        bytes.replaceSubrange(12..<16, with: Array("NULL".utf8))
        return bytes
    }()

    /// The NULL mechanism's READY command with a Socket-Type property, as a short command
    /// frame.
    static func ready(socketType: String) -> [UInt8] {
        let name = Array("Socket-Type".utf8)
        let value = Array(socketType.utf8)
        let body = [5] + Array("READY".utf8) + [UInt8(name.count)] + name
            + withUnsafeBytes(of: UInt32(value.count).bigEndian, Array.init) + value
        return [0x04, UInt8(body.count)] + body
    }

    /// Whether `bytes`, as received from a server, hold its whole greeting and the command
    /// frame after it (its READY).
    static func handshakeIsComplete(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 66 else { return false }
        if bytes[64] & 0x02 == 0 { return bytes.count >= 66 + Int(bytes[65]) }
        guard bytes.count >= 73 else { return false }
        let size = bytes[65..<73].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return size < 1 << 20 && bytes.count >= 73 + Int(size)
    }

    /// The header of a long message frame (flags 0x02) claiming `length` bytes.
    static func longFrameHeader(length: UInt64) -> [UInt8] {
        [0x02] + withUnsafeBytes(of: length.bigEndian, Array.init)
    }
}

/// A small seeded generator (SplitMix64), so that a flood can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

/// This process's resident memory in bytes, from /proc/self/statm (0 where there is none).
private func residentBytes() -> Int {
    guard let text = readTextFile("/proc/self/statm") else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A byte count in mebibytes, to a tenth.
private func mebibytes(_ bytes: Int) -> String {
    "\((Double(bytes) / 1_048_576 * 10).rounded() / 10) MiB"
}

/// A duration in whole milliseconds.
private func millisecondsText(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return "\(Int(value.rounded())) ms"
}
