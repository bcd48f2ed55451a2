import Synchronization
import Testing
@testable import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Bad input gets a typed error that says what failed, never a crash, and a misbehaving peer
// is dropped while the server goes on serving the others.
//
// Already covered elsewhere, and not repeated here:
// - ErrorTests: malformed tcp/ipc/inproc endpoints and their reasons (no port, port 99999 or
//   -1, no name, no path, NUL byte, no transport), the unknown transport `tcpp://`, udp and
//   pgm on REQ (.incompatibleProtocol), .addressInUse and .addressNotAvailable on tcp,
//   .tooManyThreads, .noSuchEndpoint, REQ sending twice and REP sending first (.invalidState),
//   ROUTER mandatory routing to a peer that never existed (.hostUnreachable), bind/receive/
//   new socket after shutdown, option errors naming the option and value.
// - OptionTests: negative high-water marks, linger and handshake interval, a receive timeout
//   or linger too long for libzmq, backlog beyond Int32, empty or over-long routing ids,
//   keepalive times out of range, write-only options read; bad CURVE keys.
// - ContextTests: bad context options, options and new sockets after terminate/shutdown.
// - MonitorTests: a monitor endpoint that is not inproc.
//
// Found here: libzmq 4.3.4 aborts the process on a malformed norm:// endpoint, and its REP
// socket loses the reply after a malformed request from a peer that has gone (both marked
// as known issues below).
//
// A closed socket can't be used at all: `close()` consumes it, so
//
//     let socket = try PairSocket(context: context)
//     socket.close()
//     try socket.bind(to: "inproc://x")
//
// fails to compile with "'socket' used after consume" (checked with Swift 6.3.1).

@Suite("Bad input")
struct BadInputTests {
    // MARK: Endpoints of every transport

    /// What a bind or connect of a bad endpoint does.
    enum Outcome: Sendable, CustomStringConvertible {
        /// It throws this error (any error when `nil`), naming the endpoint.
        case fails(ZMQError?, reason: String? = nil)
        /// It succeeds: libzmq connects in the background and keeps retrying.
        case succeeds

        var description: String {
            switch self {
            case .fails(let error, _): "fails with \(error.map { "\($0)" } ?? "an error")"
            case .succeeds: "succeeds"
            }
        }
    }

    /// The socket type an endpoint is tried on: PAIR for the unicast transports, PUB and SUB
    /// for the multicast ones, which no other type may use.
    enum Kind: String, Sendable {
        case pair, pub, sub
    }

    struct EndpointCase: Sendable, CustomTestStringConvertible {
        let endpoint: String
        var kind: Kind = .pair
        /// `nil` when a bind would be well formed (and could take a real port).
        let bind: Outcome?
        let connect: Outcome
        var testDescription: String { "\(kind.rawValue) \(endpoint.debugDescription)" }
    }

    static let longIPCPath = "ipc:///tmp/" + String(repeating: "a", count: 200)

    static let unicastEndpoints: [EndpointCase] = [
        // tcp: libzmq binds to interfaces and numeric addresses only, never to a host name.
        EndpointCase(endpoint: "tcp://localhost:*", bind: .fails(.noSuchDevice, reason: "no local network interface or address is called 'localhost'"), connect: .fails(.invalidArgument)),
        EndpointCase(endpoint: "tcp://256.1.1.1:5555", bind: .fails(.noSuchDevice), connect: .succeeds),
        EndpointCase(endpoint: "tcp://*:5555", bind: nil, connect: .fails(.invalidArgument, reason: "a connect needs a host to connect to, not *")),
        EndpointCase(endpoint: "tcp://127.0.0.1:0x10", bind: .fails(.invalidArgument, reason: "the port '0x10' is not a number from 0 to 65535 (or * for an ephemeral port)"),
                     connect: .fails(.invalidArgument, reason: "the port '0x10' is not a number from 0 to 65535 (or * for an ephemeral port)")),
        EndpointCase(endpoint: "tcp://;127.0.0.1:5555", bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
        EndpointCase(endpoint: "tcp:/127.0.0.1:5555", bind: .fails(.invalidArgument, reason: "the endpoint has no transport; write transport://address, such as tcp://127.0.0.1:5555"), connect: .fails(.invalidArgument)),
        // ipc: a path too long for a socket address, a folder that does not exist.
        EndpointCase(endpoint: longIPCPath, bind: .fails(ZMQError(rawValue: ENAMETOOLONG)), connect: .fails(ZMQError(rawValue: ENAMETOOLONG))),
        EndpointCase(endpoint: "ipc:///nonexistent-folder-zmq-swift/x.ipc", bind: .fails(.noSuchEndpoint), connect: .succeeds),
        // ws and wss: libzmq 4.3 may be built with or without them (zmq_has says no either
        // way without the draft API), so any typed error will do.
        EndpointCase(endpoint: "ws://127.0.0.1", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "ws://", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "wss://", bind: .fails(nil), connect: .fails(nil)),
        // vmci, tipc: not on this machine, or malformed.
        EndpointCase(endpoint: "vmci://", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "vmci://x", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "tipc://", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "tipc://foo", bind: .fails(nil), connect: .fails(nil)),
        // udp needs the draft RADIO and DISH sockets; a PAIR can't use it even when well formed.
        EndpointCase(endpoint: "udp://", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "udp://127.0.0.1:x", bind: .fails(.incompatibleProtocol), connect: .fails(.incompatibleProtocol)),
        // Unknown transports, including a case or spacing typo.
        EndpointCase(endpoint: "TCP://127.0.0.1:5555", bind: .fails(.protocolNotSupported, reason: "unknown transport 'TCP'; libzmq knows tcp, ipc, inproc, pgm, epgm, tipc, vmci, norm"), connect: .fails(.protocolNotSupported)),
        EndpointCase(endpoint: " tcp://127.0.0.1:5555", bind: .fails(.protocolNotSupported), connect: .fails(.protocolNotSupported)),
        EndpointCase(endpoint: "http://example.com/", bind: .fails(.protocolNotSupported), connect: .fails(.protocolNotSupported)),
        EndpointCase(endpoint: "://x", bind: .fails(nil), connect: .fails(nil)),
        EndpointCase(endpoint: "", bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
    ]

    static let multicastEndpoints: [EndpointCase] = [Kind.pub, .sub].flatMap { kind in
        [
            EndpointCase(endpoint: "pgm://", kind: kind, bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
            EndpointCase(endpoint: "epgm://x", kind: kind, bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
            // No such interface.
            EndpointCase(endpoint: "epgm://nosuch0;239.192.1.1:5555", kind: kind, bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
        ] + (ZeroMQLibrary.has(.norm) ? [
            // The norm:// addresses libzmq checks up front; see malformedNormEndpointDoesNotAbort.
            EndpointCase(endpoint: "norm://", kind: kind, bind: .fails(.invalidArgument), connect: .fails(.invalidArgument)),
        ] : [])
    } + [
        // Multicast on a unicast socket type.
        EndpointCase(endpoint: "epgm://nosuch0;239.192.1.1:5555", bind: .fails(.incompatibleProtocol), connect: .fails(.incompatibleProtocol)),
    ]

    @Test("A malformed endpoint of a unicast transport gives a typed error naming it", arguments: unicastEndpoints)
    func malformedUnicastEndpoint(_ input: EndpointCase) throws {
        try check(input)
    }

    @Test("A malformed multicast endpoint gives a typed error naming it",
          .enabled(if: ZeroMQLibrary.has(.pgm), "libzmq is built without pgm"),
          arguments: multicastEndpoints)
    func malformedMulticastEndpoint(_ input: EndpointCase) throws {
        try check(input)
    }

    private func check(_ input: EndpointCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let context = try Context(defaultLinger: .zero)
        defer { context.shutdown() }
        switch input.kind {
        case .pair:
            let socket = try makeSocket(SocketType.Pair.self, context: context)
            checkOutcome(input.bind, "bind", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.bind(to: input.endpoint) }
            checkOutcome(input.connect, "connect", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.connect(to: input.endpoint) }
        case .pub:
            let socket = try makeSocket(SocketType.Pub.self, context: context)
            checkOutcome(input.bind, "bind", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.bind(to: input.endpoint) }
            checkOutcome(input.connect, "connect", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.connect(to: input.endpoint) }
        case .sub:
            let socket = try makeSocket(SocketType.Sub.self, context: context)
            checkOutcome(input.bind, "bind", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.bind(to: input.endpoint) }
            checkOutcome(input.connect, "connect", input.endpoint, sourceLocation) { () throws(ZMQError) in try socket.connect(to: input.endpoint) }
        }
    }

    private func checkOutcome(
        _ outcome: Outcome?,
        _ action: String,
        _ endpoint: String,
        _ sourceLocation: SourceLocation,
        _ body: () throws(ZMQError) -> Void
    ) {
        guard let outcome else { return }
        let preposition = action == "bind" ? "bind to" : "connect to"
        do {
            try body()
            if case .fails = outcome {
                Issue.record("\(action) \(endpoint.debugDescription) succeeded; expected it to fail", sourceLocation: sourceLocation)
            }
        } catch {
            guard case .fails(let expected, let reason) = outcome else {
                Issue.record("\(action) \(endpoint.debugDescription) failed: \(error)", sourceLocation: sourceLocation)
                return
            }
            if let expected { #expect(error == expected, "\(action): \(error)", sourceLocation: sourceLocation) }
            #expect(error.endpoint == endpoint, "\(action): \(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("\(preposition) '\(endpoint)': "), "\(error)", sourceLocation: sourceLocation)
            if let reason { #expect(error.reason == reason, "\(action): \(error)", sourceLocation: sourceLocation) }
        }
    }

    @Test("Binding an inproc name twice throws .addressInUse naming it")
    func inprocNameInUse() throws {
        let context = try Context(defaultLinger: .zero)
        let first = try makeSocket(SocketType.Pair.self, context: context)
        let endpoint = Transport.inproc.bindEndpoint()
        try first.bind(to: endpoint)
        let second = try makeSocket(SocketType.Pair.self, context: context)
        let error = try #require(throws: ZMQError.self) { try second.bind(to: endpoint) }
        #expect(error == .addressInUse)
        #expect(error.endpoint == endpoint)
    }

    /// libzmq 4.3.4 checks a norm:// address only when its I/O thread starts the NORM
    /// session, and then asserts (`errno_assert` in session_base.cpp) and aborts the whole
    /// process: `norm://x`, `norm://x:y` and `norm://nosuch0;239.1.1.1:5555` on a PUB or SUB
    /// socket pass `zmq_bind`/`zmq_connect` and kill the process a moment later. The library
    /// refuses them before calling libzmq. The check runs in a child process, so that a
    /// regression fails this test instead of aborting the whole test run; the child exits 0
    /// only when both bind and connect were refused with `.invalidArgument` naming the endpoint.
    @Test("A malformed norm:// endpoint is refused instead of aborting the process",
          .enabled(if: ZeroMQLibrary.has(.norm), "libzmq is built without norm"),
          arguments: ["norm://x", "norm://x:y", "norm://x:0", "norm://x:70000", "norm://abc,127.0.0.1:5555",
                      "norm://nosuch0;239.192.1.1:5555", "norm://no.such.host.invalid:5555"])
    func malformedNormEndpointIsRefused(endpoint: String) async {
        await #expect(processExitsWith: .success) { [endpoint] in
            let context = try Context(defaultLinger: .zero)
            let publisher = try PublisherSocket(context: context)
            let subscriber = try SubscriberSocket(context: context)
            var refusals = 0
            do throws(ZMQError) { try publisher.connect(to: endpoint) } catch {
                if error == .invalidArgument, error.endpoint == endpoint, error.reason != nil { refusals += 1 }
            }
            do throws(ZMQError) { _ = try subscriber.bind(to: endpoint) } catch {
                if error == .invalidArgument, error.endpoint == endpoint, error.reason != nil { refusals += 1 }
            }
            // Either call accepted: libzmq's I/O thread would abort on it; leave before it does.
            if refusals != 2 { exit(1) }
        }
    }

    @Test("A well-formed norm:// endpoint passes the library's check",
          .enabled(if: ZeroMQLibrary.has(.norm), "libzmq is built without norm"))
    func wellFormedNormEndpointPassesTheCheck() {
        // Only the check: starting a NORM session would send multicast traffic.
        #expect(EndpointCheck.refusal("norm://127.0.0.1:5555") == nil)
        #expect(EndpointCheck.refusal("norm://7,lo;224.1.2.3:5555") == nil)
        #expect(EndpointCheck.refusal("norm://localhost:5555") == nil)
        #expect(EndpointCheck.refusal("norm://lo;224.1.2.3:5555") == nil)
    }

    // MARK: Options out of range

    @Test("Out-of-range values of the options not covered elsewhere throw .invalidArgument naming the option")
    func outOfRangeOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        refused(socket, .maxMessageSize, -2)
        refused(socket, .sendBufferSize, -5)
        refused(socket, .receiveBufferSize, -5)
        refused(socket, .tcpKeepaliveCount, -2)
        refused(socket, .multicastHops, 0)
        refused(socket, .multicastRate, 0)
        refused(socket, .reconnectInterval, .milliseconds(-5))
        refused(socket, .reconnectIntervalMax, .milliseconds(-1))
        refused(socket, .connectTimeout, .milliseconds(-1))
        refused(socket, .tcpMaxRetransmitTimeout, .milliseconds(-1))
        refused(socket, .heartbeatInterval, .milliseconds(-1))
        refused(socket, .heartbeatTimeout, .milliseconds(-1))
        refused(socket, .heartbeatTimeToLive, .milliseconds(-100))
        refused(socket, .heartbeatTimeToLive, .seconds(7_000))
        refused(socket, .backlog, -1)
        refused(socket, SocketOption<Int>(rawValue: 9_999, name: "made-up option"), 1)
        // Nothing was half applied.
        let maxMessageSize = try socket.option(.maxMessageSize)
        let reconnect = try socket.option(.reconnectInterval)
        #expect(maxMessageSize == nil)
        #expect(reconnect == .milliseconds(100))
    }

    private func refused<Value>(
        _ socket: borrowing Socket<SocketType.Dealer>,
        _ option: SocketOption<Value>,
        _ value: Value,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try socket.setOption(option, value)
            Issue.record("\(option) accepted \(value)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == .invalidArgument, "\(option): \(error)", sourceLocation: sourceLocation)
            #expect(error.option == option.name, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("set \(option.name) (\(option.cName)) to "), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("close(linger:) with a refused linger still closes the socket and frees its endpoint")
    func closeWithBadLingerStillCloses() throws {
        let context = try Context(defaultLinger: .zero)
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let bound = try socket.bind(to: "tcp://127.0.0.1:*")
        do {
            try socket.close(linger: .milliseconds(-1))
            Issue.record("a negative linger was accepted")
        } catch {
            #expect(error == .invalidArgument)
            #expect(error.option == "linger")
        }
        // The port is free again once libzmq's reaper has closed the socket.
        let again = try makeSocket(SocketType.Pull.self, context: context)
        try bindEventually(again, to: bound.endpoint)
    }

    // MARK: A shut-down context

    @Test("Every operation on a socket of a shut-down context throws .contextTerminated at once, and none blocks")
    func everyOperationAfterShutdown() throws {
        let context = try Context(defaultLinger: .zero)
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let bound = try pull.bind(to: "tcp://127.0.0.1:*")
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.connect(to: bound.endpoint)
        let pair = try makeSocket(SocketType.Pair.self, context: context)
        context.shutdown()

        let started = ContinuousClock.now
        #expect(throws: ZMQError.contextTerminated) { try push.connect(to: "tcp://127.0.0.1:1") }
        #expect(throws: ZMQError.contextTerminated) { try pull.unbind(from: bound.endpoint) }
        #expect(throws: ZMQError.contextTerminated) { try push.disconnect(from: bound.endpoint) }
        // A blocking send or receive that waited would take its 5 s timeout here.
        #expect(throws: ZMQError.contextTerminated) { _ = try push.send("after shutdown") }
        #expect(throws: ZMQError.contextTerminated) { _ = try pull.receiveString() }
        var parts = Multipart()
        #expect(throws: ZMQError.contextTerminated) { _ = try pull.receive(into: &parts) }
        #expect(throws: ZMQError.contextTerminated) { _ = try push.send(multipart: ["a", "b"]) }
        #expect(throws: ZMQError.contextTerminated) { try push.setOption(.sendHighWaterMark, 10) }
        #expect(throws: ZMQError.contextTerminated) { _ = try push.option(.sendHighWaterMark) }
        #expect(throws: ZMQError.contextTerminated) { _ = try pull.property(.events) }
        #expect(throws: ZMQError.contextTerminated) { _ = try pull.monitor() }
        #expect(throws: ZMQError.contextTerminated) { try pair.startMonitor(on: "inproc://monitor-after-shutdown") }
        #expect(throws: ZMQError.contextTerminated) { try pair.bind(to: "inproc://after-shutdown") }
        var poller = Poller()
        _ = poller.add(pull)
        #expect(throws: ZMQError.contextTerminated) { _ = try poller.poll(timeout: testTimeout) }
        #expect(ContinuousClock.now - started < .seconds(2) * Slack.factor, "an operation after shutdown waited")
    }

    // MARK: Request-reply out of order

    @Test("A REQ socket receiving before it sent throws .invalidState; after a full round trip it may send again", arguments: Transport.allCases)
    func requestOutOfOrder(over transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try connect(client, to: server, over: transport)
        #expect(throws: ZMQError.invalidState) { _ = try client.receiveString(.dontWait) }
        for round in 0..<2 {
            try client.send("request \(round)")
            #expect(throws: ZMQError.invalidState) { try client.send("too soon") }
            let request = try server.receiveString()
            #expect(request == "request \(round)")
            #expect(throws: ZMQError.invalidState) { _ = try server.receiveString(.dontWait) }
            try server.send("reply \(round)")
            let reply = try client.receiveString()
            #expect(reply == "reply \(round)")
        }
    }

    @Test("libzmq 4.3's REP sends the reply after a malformed request from a peer that has gone nowhere; a relaxed, correlating REQ recovers by resending")
    func replyLostAfterMalformedRequest() throws {
        let context = try Context(defaultLinger: .zero)
        let rep = try makeSocket(SocketType.Rep.self, context: context)
        var monitor = try rep.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, testTimeout)
        let endpoint = try rep.bind(to: "tcp://127.0.0.1:*").endpoint

        // A DEALER sends a request without the empty delimiter REP needs, and leaves.
        let rude = try makeSocket(SocketType.Dealer.self, context: context)
        try rude.setOption(.linger, .seconds(1))
        try rude.connect(to: endpoint)
        try rude.send("no delimiter")
        rude.close()
        let left = try monitor.receiveEvent()
        #expect(left?.kind.flag == .disconnected, "\(String(describing: left))")
        // libzmq's I/O thread tells the socket that the pipe has gone just after it reports
        // the disconnect; let that arrive (an option read makes the socket take it in).
        blockingSleep(.milliseconds(200) * Slack.factor)
        _ = try rep.property(.events)

        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setRelaxed(true)
        try client.setCorrelation(true)
        try client.setOption(.receiveTimeout, .milliseconds(500))
        try client.connect(to: endpoint)
        try client.send("ping 1")
        // REP discards the malformed request and serves this one...
        let first = try rep.receiveString()
        #expect(first == "ping 1")
        try rep.send("pong 1")
        // ...but copied the gone peer's routing id into its reply envelope first, and
        // libzmq's router_t::rollback, with no pipe to roll back, leaves the envelope open:
        // this reply goes to the gone peer.
        let lost = try client.receiveString()
        withKnownIssue("libzmq 4.3 REP loses the next reply after a malformed request from a peer that has gone") {
            #expect(lost == "pong 1")
        }
        // The envelope closed with that reply: a resend is served.
        try client.send("ping 2")
        let second = try rep.receiveString()
        #expect(second == "ping 2")
        try rep.send("pong 2")
        let reply = try client.receiveString()
        #expect(reply == "pong 2")
    }

    // MARK: ROUTER mandatory routing

    @Test("A ROUTER with mandatory routing finds a peer that left unreachable, sends no part of a refused message, and without it drops quietly",
          arguments: [Transport.ipc, .tcp])
    func routerPeerThatLeft(over transport: Transport) throws {
        let context = try Context(defaultLinger: .zero)
        let router = try makeSocket(SocketType.Router.self, context: context)
        let endpoint = try router.bind(to: transport.bindEndpoint()).endpoint
        let stayer = try makeSocket(SocketType.Dealer.self, context: context)
        try stayer.setOption(.routingID, "stayer")
        try stayer.connect(to: endpoint)
        let leaver = try makeSocket(SocketType.Dealer.self, context: context)
        try leaver.setOption(.routingID, "leaver")
        try leaver.connect(to: endpoint)
        try stayer.send("hello")
        try leaver.send("hello")
        var greeted: Set<String> = []
        for _ in 0..<2 {
            let hello = try #require(try router.receiveMultipart())
            greeted.insert(String(decoding: hello[0], as: UTF8.self))
        }
        #expect(greeted == ["stayer", "leaver"])

        // Without mandatory routing, a message to a peer that never was is dropped quietly.
        let quiet = try router.send(multipart: [Array("nobody".utf8), Array("lost".utf8)])
        #expect(quiet)

        try router.setMandatoryRouting(true)
        leaver.close()
        // The disconnect reaches the ROUTER a moment later.
        let unreachable = try waitUntil {
            do {
                _ = try router.send(multipart: [Array("leaver".utf8), Array("are you there?".utf8)])
                return false
            } catch .hostUnreachable {
                return true
            }
        }
        #expect(unreachable, "the peer that left never became unreachable")
        #expect(throws: ZMQError.hostUnreachable) {
            try router.send(multipart: [Array("leaver".utf8), Array("part 1".utf8), Array("part 2".utf8)])
        }
        // None of the refused parts leaked into the next message to a peer that is there.
        try router.send(multipart: [Array("stayer".utf8), Array("only this".utf8)])
        let received = try stayer.receiveMultipart()
        #expect(received == [Array("only this".utf8)])
        let more = try stayer.receiveMultipart(.dontWait)
        #expect(more == nil, "the stayer got quietly dropped or refused messages: \(String(describing: more))")
    }

    // MARK: Messages over maxMessageSize

    @Test("A peer sending a frame over maxMessageSize is dropped; the server goes on serving the others, and the peer may reconnect",
          arguments: [Transport.ipc, .tcp])
    func oversizedMessageDropsOnlyThatPeer(over transport: Transport) throws {
        let limit = 1_024
        let context = try Context(defaultLinger: .zero)
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.setOption(.maxMessageSize, limit)
        var monitor = try router.monitor(events: [.disconnected])
        try monitor.socket.setOption(.receiveTimeout, testTimeout)
        let endpoint = try router.bind(to: transport.bindEndpoint()).endpoint
        let server = try EchoServer(router)
        defer { server.stop() }

        let good = try makeSocket(SocketType.Dealer.self, context: context)
        try good.connect(to: endpoint)
        let bad = try makeSocket(SocketType.Dealer.self, context: context)
        try bad.setOption(.receiveTimeout, .milliseconds(500))
        try bad.connect(to: endpoint)

        try expectEcho(good, "before")
        // A frame of exactly the limit is fine.
        let atLimit = [UInt8](repeating: 7, count: limit)
        try bad.send(atLimit)
        let echoed = try bad.receiveBytes()
        #expect(echoed == atLimit)
        // One byte more, and the connection is dropped: no echo, a disconnect event.
        try bad.send([UInt8](repeating: 8, count: limit + 1))
        let nothing = try bad.receiveBytes()
        #expect(nothing == nil, "an oversized message was echoed")
        let dropped = try monitor.receiveEvent()
        #expect(dropped?.kind.flag == .disconnected, "\(String(describing: dropped))")

        // The server goes on serving the well-behaved peer.
        for round in 0..<5 { try expectEcho(good, "after \(round)") }
        // The dropped peer reconnects by itself and is served again: dropped, not banned.
        try bad.setOption(.receiveTimeout, testTimeout)
        try expectEcho(bad, "back again")
        server.stop()
        #expect(server.served == 8)
    }

    @Test("maxMessageSize limits each frame, not the message, and does not apply over inproc")
    func maxMessageSizeIsPerFrameAndNotInproc() throws {
        let limit = 1_024
        let context = try Context(defaultLinger: .zero)
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.setOption(.maxMessageSize, limit)
        let tcp = try router.bind(to: "tcp://127.0.0.1:*").endpoint
        let inproc = Transport.inproc.bindEndpoint()
        try router.bind(to: inproc)
        let server = try EchoServer(router)
        defer { server.stop() }

        // Three frames of 1,000 bytes: 3,000 bytes in all, each frame under the limit.
        let client = try makeSocket(SocketType.Dealer.self, context: context)
        try client.connect(to: tcp)
        let frames = (0..<3).map { [UInt8](repeating: UInt8($0), count: 1_000) }
        try client.send(multipart: frames)
        let echoed = try client.receiveMultipart()
        #expect(echoed == frames)

        // inproc has no wire protocol, and libzmq checks the limit while decoding it.
        let local = try makeSocket(SocketType.Dealer.self, context: context)
        try local.connect(to: inproc)
        let big = [UInt8](repeating: 9, count: limit * 10)
        try local.send(big)
        let bigEcho = try local.receiveBytes()
        #expect(bigEcho == big)
    }
}

// MARK: - Helpers

/// Sends `text` and expects it back.
private func expectEcho(
    _ client: borrowing Socket<SocketType.Dealer>,
    _ text: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try client.send(text)
    let reply = try client.receiveString()
    #expect(reply == text, sourceLocation: sourceLocation)
}

/// A ROUTER echo server on a thread of its own: each message goes back to its sender as it
/// came, until ``stop()``.
private final class EchoServer: Sendable {
    private final class State: Sendable {
        let running = Atomic<Bool>(true)
        let served = Atomic<Int>(0)
    }

    private let state: State
    private let thread: SocketThread<Void, ZMQError>

    init(_ router: consuming sending Socket<SocketType.Router>) throws(ZMQError) {
        try router.setOption(.receiveTimeout, .milliseconds(20))
        let state = State()
        self.state = state
        thread = try SocketThread(name: "test-echo") { [router = consume router] () throws(ZMQError) in
            var parts = Multipart()
            while state.running.load(ordering: .relaxed) {
                guard try router.receive(into: &parts) else { continue }
                if try router.send(&parts) { state.served.add(1, ordering: .relaxed) }
            }
        }
    }

    /// The messages echoed so far.
    var served: Int { state.served.load(ordering: .relaxed) }

    /// Stops the server and waits for its thread.
    func stop() {
        state.running.store(false, ordering: .relaxed)
        _ = thread.join(timeout: testTimeout)
    }
}
