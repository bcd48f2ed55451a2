import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("Socket")
struct SocketTests {
    // MARK: Every socket type on every transport

    @Test("PAIR exchanges messages both ways", arguments: Transport.allCases)
    func pair(over transport: Transport) throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Pair.self, context: context)
        let client = try makeSocket(SocketType.Pair.self, context: context)
        try connect(client, to: server, over: transport)

        try client.send("ping")
        let request = try server.receiveString()
        #expect(request == "ping")
        try server.send("pong")
        let reply = try client.receiveString()
        #expect(reply == "pong")
    }

    @Test("PUB delivers to a subscribed SUB", arguments: Transport.allCases)
    func publishSubscribe(over transport: Transport) throws {
        let context = try Context()
        let publisher = try makeSocket(SocketType.Pub.self, context: context)
        let subscriber = try makeSocket(SocketType.Sub.self, context: context)
        try subscriber.subscribe(to: "")
        try connect(subscriber, to: publisher, over: transport)

        let received = try publishUntilReceived("news", from: publisher, to: subscriber)
        #expect(received == "news")
    }

    @Test("REQ and REP complete a request-reply round trip", arguments: Transport.allCases)
    func requestReply(over transport: Transport) throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try connect(client, to: server, over: transport)

        for round in 1...3 {
            try client.send("request \(round)")
            let request = try server.receiveString()
            #expect(request == "request \(round)")
            try server.send("reply \(round)")
            let reply = try client.receiveString()
            #expect(reply == "reply \(round)")
        }
    }

    @Test("ROUTER receives a DEALER's message behind its routing id and replies through it", arguments: Transport.allCases)
    func dealerRouter(over transport: Transport) throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        let dealer = try makeSocket(SocketType.Dealer.self, context: context)
        try connect(dealer, to: router, over: transport)

        try dealer.send("hello")
        let request = try #require(try router.receiveMultipart())
        #expect(request.count == 2)
        #expect(request.last == Array("hello".utf8))
        let identity = try #require(request.first)
        #expect(!identity.isEmpty)

        try router.send(multipart: [identity, Array("world".utf8)])
        let reply = try dealer.receiveString()
        #expect(reply == "world")
    }

    @Test("PUSH delivers to PULL", arguments: Transport.allCases)
    func pushPull(over transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        for index in 0..<10 { try push.send("task \(index)") }
        for index in 0..<10 {
            let task = try pull.receiveString()
            #expect(task == "task \(index)")
        }
    }

    @Test("XSUB subscribes upstream to XPUB and receives what matches", arguments: Transport.allCases)
    func xpubXsub(over transport: Transport) throws {
        let context = try Context()
        let xpub = try makeSocket(SocketType.XPub.self, context: context)
        let xsub = try makeSocket(SocketType.XSub.self, context: context)
        try connect(xsub, to: xpub, over: transport)

        try xsub.subscribe(to: "alerts")
        // XPUB hands the subscription to the application, so once it arrives the subscriber is
        // connected and subscribed: no slow-joiner loop is needed.
        let subscription = try xpub.receiveBytes()
        #expect(subscription == [1] + Array("alerts".utf8))

        try xpub.send("weather: sunny")
        try xpub.send("alerts: fire")
        let received = try xsub.receiveString()
        #expect(received == "alerts: fire")
    }

    @Test("STREAM talks raw TCP to a plain POSIX client")
    func stream() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Stream.self, context: context)
        try server.bind(to: Transport.tcp.bindEndpoint())
        let lastEndpoint = server.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        let client = try RawTCPClient(connectingTo: endpoint)

        // A STREAM socket announces each new connection with an empty frame from its peer id.
        let connected = try #require(try server.receiveMultipart())
        #expect(connected.count == 2)
        #expect(connected.last == [])
        let peer = try #require(connected.first)

        #expect(client.send(Array("ping".utf8)))
        let request = try server.receiveMultipart()
        #expect(request == [peer, Array("ping".utf8)])

        try server.send(multipart: [peer, Array("pong".utf8)])
        #expect(client.receive(upTo: 64) == Array("pong".utf8))

        // An empty frame to a peer closes its connection, and the client reads end of file.
        // libzmq finishes the close while the socket processes commands, as it does when
        // receiving, so keep the socket busy receiving until the client sees the end.
        try server.send(multipart: [peer, []])
        try server.setOption(.receiveTimeout, .milliseconds(20))
        let closed = try waitUntil {
            _ = try server.receiveMultipart()
            return client.receive(upTo: 64, timeout: .zero) == []
        }
        #expect(closed)
    }

    // MARK: Binding and connecting

    @Test("lastEndpoint is nil before any bind")
    func lastEndpointBeforeBind() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let endpoint = socket.lastEndpoint
        #expect(endpoint == nil)
        let property = try socket.property(.lastEndpoint)
        #expect(property == "")
    }

    @Test("Binding tcp://127.0.0.1:* reports the real port in lastEndpoint")
    func lastEndpointResolvesWildcardPort() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        try socket.bind(to: "tcp://127.0.0.1:*")
        let lastEndpoint = socket.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = Int(endpoint.dropFirst("tcp://127.0.0.1:".count))
        #expect(port.map { (1...65535).contains($0) } == true, "no port in \(endpoint)")
    }

    @Test("bind(to:) returns the endpoint with an ephemeral port resolved, and the port")
    func bindReturnsTheResolvedEndpoint() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let bound = try server.bind(to: "tcp://127.0.0.1:*")
        #expect(bound.transport == "tcp")
        let port = try #require(bound.port)
        #expect((1...65535).contains(port))
        #expect(bound.endpoint == "tcp://127.0.0.1:\(port)")
        #expect(bound.description == bound.endpoint)
        let lastEndpoint = server.lastEndpoint
        #expect(lastEndpoint == bound.endpoint)

        // What it returns is what a client connects to.
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.connect(to: bound.endpoint)
        try client.send("ping")
        let request = try server.receiveString()
        #expect(request == "ping")

        // IPv6 loopback keeps its brackets, and the port is still found.
        let v6 = try makeSocket(SocketType.Pull.self, context: context)
        try v6.setOption(.ipv6, true)
        if let boundV6 = try? v6.bind(to: "tcp://[::1]:*") {
            #expect(boundV6.endpoint.hasPrefix("tcp://[::1]:"))
            #expect(boundV6.port != nil)
        }
    }

    @Test("bind(to:) returns an ipc or inproc endpoint as bound, with no port", arguments: [Transport.inproc, .ipc])
    func bindReturnsOtherEndpoints(over transport: Transport) throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let endpoint = transport.bindEndpoint()
        let bound = try socket.bind(to: endpoint)
        #expect(bound.endpoint == endpoint)
        #expect(bound.port == nil)
        #expect(bound.transport == transport.rawValue)
    }

    @Test("lastEndpoint reports an ipc or inproc endpoint as bound", arguments: [Transport.inproc, .ipc])
    func lastEndpointNamesTheBoundEndpoint(over transport: Transport) throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let endpoint = transport.bindEndpoint()
        try socket.bind(to: endpoint)
        let lastEndpoint = socket.lastEndpoint
        #expect(lastEndpoint == endpoint)
    }

    @Test("After unbind, a new peer's messages are not delivered", arguments: Transport.allCases)
    func unbindStopsAcceptingConnections(over transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: transport.bindEndpoint())
        let lastEndpoint = pull.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        try pull.unbind(from: endpoint)

        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.connect(to: endpoint)
        _ = try push.send("lost", .dontWait)
        try pull.setOption(.receiveTimeout, .milliseconds(300))
        let received = try pull.receiveString()
        #expect(received == nil)
    }

    @Test("An unbound endpoint can be bound again and used", arguments: Transport.allCases)
    func rebindAfterUnbind(over transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: transport.bindEndpoint())
        let lastEndpoint = pull.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        try pull.unbind(from: endpoint)

        // libzmq closes the old TCP listener on its I/O thread, a moment after unbind returns.
        try bindEventually(pull, to: endpoint)

        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.connect(to: endpoint)
        try push.send("after rebind")
        let received = try pull.receiveString()
        #expect(received == "after rebind")
    }

    @Test("After disconnect, messages no longer reach the old peer", arguments: Transport.allCases)
    func disconnectStopsDelivery(over transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        let endpoint = try connect(push, to: pull, over: transport)
        try push.send("before")
        let before = try pull.receiveString()
        #expect(before == "before")

        try push.disconnect(from: endpoint)
        _ = try push.send("after", .dontWait)
        try pull.setOption(.receiveTimeout, .milliseconds(300))
        let after = try pull.receiveString()
        #expect(after == nil)
    }

    @Test("Unbinding or disconnecting an unknown endpoint throws .noSuchEndpoint")
    func unknownEndpoint() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        try socket.bind(to: "tcp://127.0.0.1:*")
        #expect(throws: ZMQError.noSuchEndpoint) { try socket.unbind(from: "inproc://never-bound") }
        // A wildcard is not an endpoint: unbind takes the resolved one from lastEndpoint.
        #expect(throws: ZMQError.noSuchEndpoint) { try socket.unbind(from: "tcp://127.0.0.1:*") }
        #expect(throws: ZMQError.noSuchEndpoint) { try socket.disconnect(from: "tcp://127.0.0.1:1") }
    }

    // MARK: Closing

    @Test("close(linger: .zero) drops queued messages, so terminate() returns at once")
    func closeWithZeroLinger() throws {
        // The context's sockets would otherwise linger for ever.
        let context = try Context(defaultLinger: nil)
        let push = try Socket<SocketType.Push>(context: context)
        try push.connect(to: Self.endpointNobodyBinds())
        let queued = try push.send("never delivered", .dontWait)
        #expect(queued)
        try push.close(linger: .zero)

        let terminator = BackgroundThread { context.terminate() }
        #expect(terminator.wait(timeout: .seconds(1)) != nil, "terminate() waited for a closed socket")
    }

    @Test("close() keeps queued messages for the linger period, then terminate() returns")
    func closeHonoursLinger() throws {
        let context = try Context(defaultLinger: .milliseconds(300))
        let push = try Socket<SocketType.Push>(context: context)
        try push.connect(to: Self.endpointNobodyBinds())
        let queued = try push.send("never delivered", .dontWait)
        #expect(queued)
        // The linger period starts at close, so the clock starts no later than that.
        let start = ContinuousClock.now
        push.close()

        let terminator = BackgroundThread { context.terminate() }
        let terminated = terminator.wait(timeout: .seconds(3))
        let elapsed = ContinuousClock.now - start
        #expect(terminated != nil, "terminate() did not return after the linger period")
        #expect(elapsed >= .milliseconds(250))
    }

    /// An ipc endpoint that no socket ever binds: a peer connecting to it queues its messages.
    private static func endpointNobodyBinds() -> String {
        Transport.ipc.bindEndpoint()
    }

    // MARK: Would block, timeouts

    @Test("A non-blocking receive on an empty socket returns nil or false, not an error")
    func nonBlockingReceiveOnEmptySocket() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())

        let start = ContinuousClock.now
        var message = Message()
        let receivedMessage = try pull.receive(into: &message, .dontWait)
        #expect(!receivedMessage)
        let newMessage = try pull.receive(.dontWait)
        let noNewMessage = newMessage == nil
        #expect(noNewMessage)
        let string = try pull.receiveString(.dontWait)
        #expect(string == nil)
        let bytes = try pull.receiveBytes(.dontWait)
        #expect(bytes == nil)
        let parts = try pull.receiveMultipart(.dontWait)
        #expect(parts == nil)
        var buffer = [UInt8](repeating: 0, count: 16)
        let size = try buffer.withUnsafeMutableBytes { try pull.receive(into: $0, .dontWait) }
        #expect(size == nil)
        var multipart = Multipart()
        let receivedMultipart = try pull.receive(into: &multipart, .dontWait)
        #expect(!receivedMultipart)
        // None of them waited for the socket's five-second receive timeout.
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("A non-blocking send on a PUSH with no peers returns false and keeps the message")
    func nonBlockingSendWithoutPeers() throws {
        let context = try Context()
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.bind(to: Transport.inproc.bindEndpoint())

        var message = try Message("undeliverable")
        let sentMessage = try push.send(&message, .dontWait)
        #expect(!sentMessage)
        let kept = message.string
        #expect(kept == "undeliverable")

        let sentString = try push.send("undeliverable", .dontWait)
        #expect(!sentString)
        let sentParts = try push.send(multipart: ["a", "b"], .dontWait)
        #expect(!sentParts)
    }

    @Test("A receive whose timeout expires returns false soon after the timeout")
    func receiveTimeoutExpires() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())
        try pull.setOption(.receiveTimeout, .milliseconds(100))

        let start = ContinuousClock.now
        var message = Message()
        let received = try pull.receive(into: &message)
        let elapsed = ContinuousClock.now - start
        #expect(!received)
        #expect(elapsed >= .milliseconds(90))
        #expect(elapsed < .seconds(1))
    }

    // MARK: Publish-subscribe

    @Test("SUB receives only subscribed topics, and nothing more after unsubscribing", arguments: Transport.allCases)
    func subscriptionFiltering(over transport: Transport) throws {
        let context = try Context()
        let publisher = try makeSocket(SocketType.Pub.self, context: context)
        let subscriber = try makeSocket(SocketType.Sub.self, context: context)
        try subscriber.subscribe(to: "sports")
        try subscriber.subscribe(to: Array("weather".utf8))
        try connect(subscriber, to: publisher, over: transport)

        let first = try publishUntilReceived("weather sunny", from: publisher, to: subscriber)
        #expect(first == "weather sunny")

        try publisher.send("news ignored")
        try publisher.send("sports goal")
        let sports = try nextString(from: subscriber, skipping: "weather sunny")
        #expect(sports == "sports goal")

        try subscriber.unsubscribe(from: "weather")
        try publisher.send("weather rain")
        try publisher.send("sports final")
        let afterUnsubscribe = try subscriber.receiveString()
        #expect(afterUnsubscribe == "sports final")
    }

    @Test("XSUB subscribes by sending a subscription message", arguments: Transport.allCases)
    func xsubSubscribesByMessage(over transport: Transport) throws {
        let context = try Context()
        let xpub = try makeSocket(SocketType.XPub.self, context: context)
        let xsub = try makeSocket(SocketType.XSub.self, context: context)
        try connect(xsub, to: xpub, over: transport)

        // A subscription is a message: 0x01 then the prefix (0x00 unsubscribes).
        try xsub.send([1] + Array("t1".utf8))
        let subscription = try xpub.receiveBytes()
        #expect(subscription == [1] + Array("t1".utf8))

        try xpub.send("t2 not subscribed")
        try xpub.send("t1 subscribed")
        let received = try xsub.receiveString()
        #expect(received == "t1 subscribed")

        try xsub.unsubscribe(from: "t1")
        let unsubscription = try xpub.receiveBytes()
        #expect(unsubscription == [0] + Array("t1".utf8))
    }

    @Test("A verbose XPUB passes on duplicate subscriptions; a default one does not", arguments: [true, false])
    func xpubVerbose(isVerbose: Bool) throws {
        let context = try Context()
        let xpub = try makeSocket(SocketType.XPub.self, context: context)
        try xpub.setVerbose(isVerbose)
        let endpoint = Transport.inproc.bindEndpoint()
        try xpub.bind(to: endpoint)

        let first = try makeSocket(SocketType.Sub.self, context: context)
        try first.connect(to: endpoint)
        try first.subscribe(to: "topic")
        let firstSubscription = try xpub.receiveBytes()
        #expect(firstSubscription == [1] + Array("topic".utf8))

        let second = try makeSocket(SocketType.Sub.self, context: context)
        try second.connect(to: endpoint)
        try second.subscribe(to: "topic")
        try xpub.setOption(.receiveTimeout, .milliseconds(300))
        let secondSubscription = try xpub.receiveBytes()
        #expect(secondSubscription == (isVerbose ? [1] + Array("topic".utf8) : nil))
    }

    @Test("XPUB greets each new subscriber with its welcome message", arguments: Transport.allCases)
    func xpubWelcomeMessage(over transport: Transport) throws {
        let context = try Context()
        let xpub = try makeSocket(SocketType.XPub.self, context: context)
        try xpub.setWelcomeMessage(Array("WELCOME".utf8))
        let subscriber = try makeSocket(SocketType.Sub.self, context: context)
        // A subscriber sees the welcome message only if it subscribes to it.
        try subscriber.subscribe(to: "WELCOME")
        try connect(subscriber, to: xpub, over: transport)

        // XPUB attaches a new subscriber, and queues its welcome, while the application uses
        // it; here, while it receives the subscription.
        let subscription = try xpub.receiveBytes()
        #expect(subscription == [1] + Array("WELCOME".utf8))
        let welcome = try subscriber.receiveString()
        #expect(welcome == "WELCOME")
    }

    // MARK: Routing

    @Test("ROUTER with mandatory routing throws .hostUnreachable for an unknown peer")
    func routerMandatoryRouting() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.bind(to: Transport.inproc.bindEndpoint())
        try router.setMandatoryRouting(true)
        #expect(throws: ZMQError.hostUnreachable) {
            try router.send(multipart: [Array("nobody".utf8), Array("hello".utf8)])
        }
    }

    @Test("ROUTER addresses a DEALER by the routing id it chose, with a multipart envelope", arguments: Transport.allCases)
    func routerDealerWithRoutingID(over transport: Transport) throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        let dealer = try makeSocket(SocketType.Dealer.self, context: context)
        let identity = Array("worker-1".utf8)
        try dealer.setOption(.routingID, identity)
        let readBack = try dealer.option(.routingID)
        #expect(readBack == identity)
        try connect(dealer, to: router, over: transport)

        try dealer.send(multipart: ["job", "42"])
        let request = try router.receiveMultipart()
        #expect(request == [identity, Array("job".utf8), Array("42".utf8)])

        try router.setMandatoryRouting(true)
        try router.send(multipart: [identity, Array("done".utf8), Array("42".utf8)])
        let reply = try dealer.receiveMultipart()
        #expect(reply == [Array("done".utf8), Array("42".utf8)])
    }

    @Test("ROUTER sees a REQ request in an envelope and routes the reply back through it")
    func routerRequestEnvelope() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try connect(client, to: router, over: .inproc)

        try client.send("question")
        var envelope = Multipart()
        let received = try router.receive(into: &envelope)
        #expect(received)
        // routing id, empty delimiter, body
        #expect(envelope.count == 3)
        #expect(envelope.size(at: 1) == 0)
        #expect(envelope.string(at: 2) == "question")

        var reply = Multipart()
        reply.append(try Message(copying: envelope.bytes(at: 0)))
        reply.append(Message())
        reply.append(try Message("answer"))
        try router.send(&reply)
        let answer = try client.receiveString()
        #expect(answer == "answer")
    }

    @Test("A correlating, relaxed REQ may resend before a reply, and gets only the latest reply")
    func requestCorrelateRelaxed() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setCorrelation(true)
        try client.setRelaxed(true)
        try connect(client, to: server, over: .inproc)

        try client.send("first")
        try client.send("second")  // a strict REQ would throw .invalidState here

        let first = try server.receiveString()
        #expect(first == "first")
        try server.send("reply to first")
        let second = try server.receiveString()
        #expect(second == "second")
        try server.send("reply to second")

        // The reply to the abandoned request carries the wrong request id and is dropped.
        let reply = try client.receiveString()
        #expect(reply == "reply to second")
    }
}

// MARK: - Helpers

/// Publishes `message` until `subscriber` receives something, for up to about five seconds.
///
/// PUB drops messages for subscribers whose connection or subscription is still on its way
/// (the "slow joiner"), so a single send proves nothing.
///
/// - Returns: The first message received, or `nil` if none came.
private func publishUntilReceived<Publisher: SendingKind, Subscriber: ReceivingKind>(
    _ message: String,
    from publisher: borrowing Socket<Publisher>,
    to subscriber: borrowing Socket<Subscriber>
) throws -> String? {
    let timeout = try subscriber.option(.receiveTimeout)
    try subscriber.setOption(.receiveTimeout, .milliseconds(20))
    defer { try? subscriber.setOption(.receiveTimeout, timeout) }
    for _ in 0..<250 {
        try publisher.send(message)
        if let received = try subscriber.receiveString() { return received }
    }
    return nil
}

/// Receives the next string that is not `filler` (copies left over from a publish loop).
private func nextString<Kind: ReceivingKind>(
    from socket: borrowing Socket<Kind>,
    skipping filler: String
) throws -> String? {
    while let string = try socket.receiveString() {
        if string != filler { return string }
    }
    return nil
}

/// A plain TCP client on POSIX sockets, to talk to a STREAM socket as a non-ZeroMQ peer would.
private final class RawTCPClient {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: errno \(code)" }
    }

    private let descriptor: Int32

    /// Connects to a `tcp://127.0.0.1:port` endpoint.
    init(connectingTo endpoint: String) throws {
        guard let port = endpoint.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            throw Failure(call: "parse \(endpoint)", code: EINVAL)
        }
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Failure(call: "connect", code: code)
        }
        self.descriptor = descriptor
    }

    deinit { Glibc.close(descriptor) }

    /// Writes all of `bytes`; returns whether it succeeded.
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads what has arrived, up to `count` bytes, waiting at most `timeout` for something:
    /// empty at end of file, `nil` on error or timeout.
    func receive(upTo count: Int, timeout: Duration = testTimeout) -> [UInt8]? {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, Int32(timeout / .milliseconds(1))) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let received = buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard received >= 0 else { return nil }
        return Array(buffer.prefix(received))
    }
}
