import Testing
import ZeroMQ

@Suite("Socket options")
struct OptionTests {
    // MARK: Round trips

    @Test("Duration options read back what was set, and nil where -1 means none or for ever")
    func durationOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try roundTrip(.linger, .milliseconds(250), on: socket)
        try roundTrip(.linger, nil, on: socket)
        try roundTrip(.sendTimeout, .milliseconds(1500), on: socket)
        try roundTrip(.sendTimeout, nil, on: socket)
        try roundTrip(.receiveTimeout, .milliseconds(750), on: socket)
        try roundTrip(.receiveTimeout, nil, on: socket)
        try roundTrip(.reconnectInterval, .milliseconds(250), on: socket)
        try roundTrip(.reconnectInterval, nil, on: socket)
        try roundTrip(.tcpKeepaliveIdle, .seconds(30), on: socket)
        try roundTrip(.tcpKeepaliveIdle, nil, on: socket)
        try roundTrip(.tcpKeepaliveInterval, .seconds(5), on: socket)
        try roundTrip(.tcpKeepaliveInterval, nil, on: socket)

        try roundTrip(.reconnectIntervalMax, .seconds(2), on: socket)
        try roundTrip(.handshakeInterval, .seconds(10), on: socket)
        try roundTrip(.connectTimeout, .milliseconds(1500), on: socket)
        try roundTrip(.heartbeatInterval, .milliseconds(500), on: socket)
        // libzmq keeps the heartbeat TTL in tenths of a second.
        try roundTrip(.heartbeatTimeToLive, .seconds(3), on: socket)
        let defaultHeartbeatTimeout = try socket.option(.heartbeatTimeout)
        #expect(defaultHeartbeatTimeout == nil)
        try roundTrip(.heartbeatTimeout, .milliseconds(1200), on: socket)
        // libzmq 4.3 reads the default as -1 but refuses to be set back to it.
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.heartbeatTimeout, nil) }
        try roundTrip(.tcpMaxRetransmitTimeout, .seconds(20), on: socket)
    }

    @Test("Count and size options read back what was set")
    func countOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try roundTrip(.sendHighWaterMark, 5000, on: socket)
        try roundTrip(.sendHighWaterMark, 0, on: socket)
        try roundTrip(.receiveHighWaterMark, 7000, on: socket)
        try roundTrip(.backlog, 50, on: socket)
        try roundTrip(.sendBufferSize, 65536, on: socket)
        try roundTrip(.sendBufferSize, nil, on: socket)
        try roundTrip(.receiveBufferSize, 131_072, on: socket)
        try roundTrip(.receiveBufferSize, nil, on: socket)
        try roundTrip(.typeOfService, 0x28, on: socket)
        try roundTrip(.multicastRate, 200, on: socket)
        try roundTrip(.multicastHops, 3, on: socket)
        // ZMQ_MAXMSGSIZE is a 64-bit option.
        try roundTrip(.maxMessageSize, 5_000_000_000, on: socket)
        try roundTrip(.maxMessageSize, nil, on: socket)
        try roundTrip(.tcpKeepaliveCount, 4, on: socket)
        try roundTrip(.tcpKeepaliveCount, nil, on: socket)
    }

    @Test("Boolean options read back what was set")
    func switchOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        for value in [true, false] {
            try roundTrip(.immediate, value, on: socket)
            try roundTrip(.conflate, value, on: socket)
            try roundTrip(.ipv6, value, on: socket)
            try roundTrip(.plainServer, value, on: socket)
            try roundTrip(.curveServer, value, on: socket)
        }
        for value: Bool? in [true, false, nil] {
            try roundTrip(.tcpKeepalive, value, on: socket)
        }

        let publisher = try makeSocket(SocketType.Pub.self, context: context)
        try roundTrip(.invertMatching, true, on: publisher)
        try roundTrip(.invertMatching, false, on: publisher)
    }

    @Test("Identity and string options read back what was set")
    func identityAndStringOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try roundTrip(.routingID, Array("client-7".utf8), on: socket)
        try roundTrip(.routingID, [1, 2, 3, 0, 255], on: socket)
        try roundTrip(.zapDomain, "global", on: socket)
        try roundTrip(.plainUsername, "admin", on: socket)
        try roundTrip(.plainPassword, "secret", on: socket)
        try roundTrip(.socksProxy, "127.0.0.1:1080", on: socket)
        try roundTrip(.bindToDevice, "lo", on: socket)
    }

    @Test("CURVE key options read back what was set")
    func curveKeyOptions() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        let pair = try CurveKeyPair.generate()
        let server = try CurveKeyPair.generate()
        try roundTrip(.curvePublicKey, pair.publicKey, on: socket)
        try roundTrip(.curveSecretKey, pair.secretKey, on: socket)
        try roundTrip(.curveServerKey, server.publicKey, on: socket)
    }

    @Test("Write-only options can be set but reading them throws .invalidArgument")
    func writeOnlyOptions() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.setOption(.probeRouter, true)
        try router.setOption(.connectRoutingID, Array("peer".utf8))
        #expect(throws: ZMQError.invalidArgument) { _ = try router.option(.probeRouter) }
        #expect(throws: ZMQError.invalidArgument) { _ = try router.option(.connectRoutingID) }

        let stream = try makeSocket(SocketType.Stream.self, context: context)
        try stream.setOption(.streamNotify, false)
        #expect(throws: ZMQError.invalidArgument) { _ = try stream.option(.streamNotify) }
    }

    @Test("Reading a write-only option throws at once, saying it is write-only")
    func writeOnlyReadThrowsAtOnce() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        // libzmq answers EINVAL, which also means "buffer too small": asking it would grow a
        // buffer up to 1 MiB before giving up. The option's format knows better.
        let error = try #require(throws: ZMQError.self) { _ = try router.option(.connectRoutingID) }
        #expect(error == .invalidArgument)
        #expect(error.reason == "the option is write-only")
        #expect(error.description == "read connectRoutingID (ZMQ_CONNECT_ROUTING_ID): the option is write-only: Invalid argument (EINVAL)")
    }

    @Test("A routing id that starts with a zero byte is refused; other bytes and strings work")
    func routingIDRules() throws {
        let context = try Context()
        let dealer = try makeSocket(SocketType.Dealer.self, context: context)
        #expect(throws: ZMQError.invalidArgument) { try dealer.setOption(.routingID, [0]) }
        #expect(throws: ZMQError.invalidArgument) { try dealer.setOption(.routingID, [0, 65, 66]) }
        #expect(throws: ZMQError.invalidArgument) { try dealer.setOption(.routingID, "\u{0}worker") }
        let router = try makeSocket(SocketType.Router.self, context: context)
        #expect(throws: ZMQError.invalidArgument) { try router.setOption(.connectRoutingID, [0, 1]) }
        // Refused, not half applied: the id is still libzmq's default (none set).
        let unset = try dealer.option(.routingID)
        #expect(unset.isEmpty)

        // A string names the peer as a ROUTER sees it.
        try dealer.setOption(.routingID, "worker-1")
        let endpoint = try router.bind(to: Transport.inproc.bindEndpoint()).endpoint
        try dealer.connect(to: endpoint)
        try dealer.send("ready")
        var envelope = Multipart()
        let received = try router.receive(into: &envelope)
        #expect(received)
        #expect(envelope.string(at: 0) == "worker-1")
        #expect(envelope.string(at: 1) == "ready")
    }

    // MARK: Read-only properties

    @Test("The type property names the socket's type")
    func typeProperty() throws {
        let context = try Context()
        #expect(try typeCode(of: SocketType.Pair.self, in: context) == SocketTypeCode(SocketType.Pair.self))
        #expect(try typeCode(of: SocketType.Pub.self, in: context) == SocketTypeCode(SocketType.Pub.self))
        #expect(try typeCode(of: SocketType.Sub.self, in: context) == SocketTypeCode(SocketType.Sub.self))
        #expect(try typeCode(of: SocketType.Req.self, in: context) == SocketTypeCode(SocketType.Req.self))
        #expect(try typeCode(of: SocketType.Rep.self, in: context) == SocketTypeCode(SocketType.Rep.self))
        #expect(try typeCode(of: SocketType.Dealer.self, in: context) == SocketTypeCode(SocketType.Dealer.self))
        #expect(try typeCode(of: SocketType.Router.self, in: context) == SocketTypeCode(SocketType.Router.self))
        #expect(try typeCode(of: SocketType.Pull.self, in: context) == SocketTypeCode(SocketType.Pull.self))
        #expect(try typeCode(of: SocketType.Push.self, in: context) == SocketTypeCode(SocketType.Push.self))
        #expect(try typeCode(of: SocketType.XPub.self, in: context) == SocketTypeCode(SocketType.XPub.self))
        #expect(try typeCode(of: SocketType.XSub.self, in: context) == SocketTypeCode(SocketType.XSub.self))
        #expect(try typeCode(of: SocketType.Stream.self, in: context) == SocketTypeCode(SocketType.Stream.self))

        let names = try [
            typeCode(of: SocketType.Pub.self, in: context),
            typeCode(of: SocketType.Router.self, in: context),
            typeCode(of: SocketType.Stream.self, in: context),
        ].map(\.description)
        #expect(names == ["PUB", "ROUTER", "STREAM"])
    }

    @Test("events reports readiness to send and receive")
    func eventsProperty() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        let idle = try pull.property(.events)
        #expect(idle.isEmpty)
        let unconnected = try push.property(.events)
        #expect(!unconnected.contains(.writable))

        try connect(push, to: pull, over: .inproc)
        let connected = try push.property(.events)
        #expect(connected.contains(.writable))
        try push.send("ready")
        let readable = waitUntil { (try? pull.property(.events).contains(.readable)) == true }
        #expect(readable)
    }

    @Test("fileDescriptor is a valid descriptor")
    func fileDescriptorProperty() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let descriptor = try socket.property(.fileDescriptor)
        #expect(descriptor >= 0)
    }

    @Test("receiveMore is true between the frames of a multipart message")
    func receiveMoreProperty() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)
        try push.send(multipart: ["head", "tail"])

        var frame = Message()
        try pull.receive(into: &frame)
        let moreAfterHead = try pull.property(.receiveMore)
        #expect(moreAfterHead)
        let hasMoreAfterHead = try pull.hasMoreFrames
        #expect(hasMoreAfterHead)
        try pull.receive(into: &frame)
        let moreAfterTail = try pull.property(.receiveMore)
        #expect(!moreAfterTail)
        let hasMoreAfterTail = try pull.hasMoreFrames
        #expect(!hasMoreAfterTail)
    }

    @Test("lastEndpoint is empty until a bind, then names the endpoint")
    func lastEndpointProperty() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        let before = try socket.property(.lastEndpoint)
        #expect(before == "")
        let endpoint = Transport.ipc.bindEndpoint()
        try socket.bind(to: endpoint)
        let after = try socket.property(.lastEndpoint)
        #expect(after == endpoint)
    }

    @Test("mechanism reports NULL, PLAIN or CURVE security")
    func mechanismProperty() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Rep.self, context: context)
        let null = try socket.property(.mechanism)
        #expect(null == 0)
        try socket.setOption(.plainServer, true)
        let plain = try socket.property(.mechanism)
        #expect(plain == 1)
        try socket.setOption(.curveServer, true)
        let curve = try socket.property(.mechanism)
        #expect(curve == 2)
    }

    // MARK: Bad values

    @Test("Out-of-range values throw .invalidArgument")
    func badValues() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.sendHighWaterMark, -1) }
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.receiveHighWaterMark, -5) }
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.linger, .milliseconds(-1)) }
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.handshakeInterval, .seconds(-3)) }
        // More milliseconds than libzmq's 32-bit option holds.
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.receiveTimeout, .seconds(3_000_000)) }
        // An Int that does not fit the 32-bit option.
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.backlog, Int(Int32.max) + 1) }
        // Routing ids are 1 to 255 bytes.
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.routingID, []) }
        #expect(throws: ZMQError.invalidArgument) {
            try socket.setOption(.routingID, [UInt8](repeating: 7, count: 256))
        }
        // Keepalive times are whole seconds the kernel accepts (1 to 32767).
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.tcpKeepaliveIdle, .seconds(40_000)) }
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.tcpKeepaliveInterval, .zero) }
        // Durations too large for any clock are refused, not trapped on.
        #expect(throws: ZMQError.invalidArgument) { try socket.setOption(.linger, .seconds(Int64.max)) }
        // The values were rejected, not half applied.
        let highWaterMark = try socket.option(.sendHighWaterMark)
        #expect(highWaterMark == 1000)
    }

    // MARK: CURVE keys

    @Test("A CURVE key must be 32 bytes, or 40 valid Z85 characters")
    func badCurveKeys() {
        #expect(throws: ZMQError.invalidArgument) { _ = try CurvePublicKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: ZMQError.invalidArgument) { _ = try CurveSecretKey(bytes: [UInt8](repeating: 1, count: 33)) }
        #expect(throws: ZMQError.invalidArgument) { _ = try CurvePublicKey(z85: "not a key") }
        // Right length, but '~' is not in the Z85 alphabet.
        #expect(throws: ZMQError.invalidArgument) { _ = try CurveSecretKey(z85: String(repeating: "~", count: 40)) }
        // Right length and alphabet, but each 5-character group overflows 32 bits.
        #expect(throws: ZMQError.invalidArgument) { _ = try CurvePublicKey(z85: String(repeating: "#", count: 40)) }
    }

    @Test("A CURVE key survives a Z85 round trip")
    func curveKeyZ85RoundTrip() throws {
        let bytes = (0..<32).map { UInt8($0 * 7 + 3) }
        let key = try CurvePublicKey(bytes: bytes)
        #expect(key.z85.count == 40)
        #expect(key.description == key.z85)
        let decoded = try CurvePublicKey(z85: key.z85)
        #expect(decoded == key)
        #expect(decoded.bytes == bytes)
        let secret = try CurveSecretKey(z85: key.z85)
        #expect(secret.revealedBytes == bytes)
        #expect(secret.revealedZ85 == key.z85)

        // Z85 "0" encodes the digit zero, so forty of them are the all-zero key.
        let zero = try CurvePublicKey(z85: String(repeating: "0", count: 40))
        #expect(zero.bytes == [UInt8](repeating: 0, count: 32))
    }

    @Test("A generated key pair's public key is derived from its secret key")
    func generatedKeyPair() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.bytes != pair.secretKey.revealedBytes)
        let derived = try pair.secretKey.publicKey
        #expect(derived == pair.publicKey)
        let rebuilt = try CurveKeyPair(secretKey: pair.secretKey)
        #expect(rebuilt == pair)
        let other = try CurveKeyPair.generate()
        #expect(other != pair)
        #expect(other.secretKey != pair.secretKey)
        // Keys that don't belong together don't make a pair.
        #expect(throws: ZMQError.invalidArgument) {
            _ = try CurveKeyPair(publicKey: other.publicKey, secretKey: pair.secretKey)
        }
    }

    // MARK: Security

    @Test("REQ and REP talk over CURVE-secured TCP")
    func curveExchange() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()

        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.curveServer, true)
        try server.setOption(.curveSecretKey, serverKeys.secretKey)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setOption(.curveServerKey, serverKeys.publicKey)
        try client.setOption(.curvePublicKey, clientKeys.publicKey)
        try client.setOption(.curveSecretKey, clientKeys.secretKey)
        try connect(client, to: server, over: .tcp)

        try client.send("secret question")
        let request = try server.receiveString()
        #expect(request == "secret question")
        try server.send("secret answer")
        let reply = try client.receiveString()
        #expect(reply == "secret answer")
        let mechanism = try client.property(.mechanism)
        #expect(mechanism == 2)
    }

    @Test("REQ and REP talk over PLAIN once a ZAP handler accepts the credentials")
    func plainExchange() throws {
        let context = try Context()
        let handler = try ZAPHandler(context: context, accepting: ("admin", "secret"))
        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.plainServer, true)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setOption(.plainUsername, "admin")
        try client.setOption(.plainPassword, "secret")
        try connect(client, to: server, over: .tcp)

        try client.send("hello")
        var request = Message()
        let received = try server.receive(into: &request)
        #expect(received)
        let text = request.string
        #expect(text == "hello")
        // The user id the ZAP handler returned travels with each message.
        let userID = request.metadata("User-Id")
        #expect(userID == "admin")
        try server.send("welcome")
        let reply = try client.receiveString()
        #expect(reply == "welcome")
        let mechanism = try client.property(.mechanism)
        #expect(mechanism == 1)

        let seen = try handler.wait()
        #expect(seen == ZAPHandler.Request(mechanism: "PLAIN", username: "admin", password: "secret"))
    }

    @Test("A PLAIN client with a wrong password is refused by the ZAP handler")
    func plainWrongPassword() throws {
        let context = try Context()
        let handler = try ZAPHandler(context: context, accepting: ("admin", "secret"))
        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.plainServer, true)
        try server.setOption(.receiveTimeout, .milliseconds(500))
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setOption(.plainUsername, "admin")
        try client.setOption(.plainPassword, "guess")
        try connect(client, to: server, over: .tcp)

        try client.send("let me in")
        let request = try server.receiveString()
        #expect(request == nil)
        let seen = try handler.wait()
        #expect(seen?.password == "guess")
    }

    @Test("libzmq 4.3 refuses PLAIN clients when no ZAP handler is installed")
    func plainWithoutZAPHandler() throws {
        // Unlike NULL and CURVE, libzmq 4.3's PLAIN server fails the handshake when nothing
        // is bound at inproc://zeromq.zap.01, so PLAIN always needs a ZAP handler.
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.plainServer, true)
        try server.setOption(.receiveTimeout, .milliseconds(500))
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setOption(.plainUsername, "admin")
        try client.setOption(.plainPassword, "secret")
        try connect(client, to: server, over: .tcp)

        try client.send("hello")
        let request = try server.receiveString()
        #expect(request == nil)
    }

    @Test("A CURVE client with the wrong server key never gets a reply")
    func curveWrongServerKey() throws {
        let context = try Context()
        let serverKeys = try CurveKeyPair.generate()
        let impostor = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()

        let server = try makeSocket(SocketType.Rep.self, context: context)
        try server.setOption(.curveServer, true)
        try server.setOption(.curveSecretKey, serverKeys.secretKey)
        try server.setOption(.receiveTimeout, .milliseconds(500))
        let client = try makeSocket(SocketType.Req.self, context: context)
        try client.setOption(.curveServerKey, impostor.publicKey)
        try client.setOption(.curvePublicKey, clientKeys.publicKey)
        try client.setOption(.curveSecretKey, clientKeys.secretKey)
        try client.setOption(.receiveTimeout, .milliseconds(500))
        try connect(client, to: server, over: .tcp)

        // The request is queued, but the handshake fails, so it is never delivered.
        try client.send("let me in")
        let request = try server.receiveString()
        #expect(request == nil)
        var reply = Message()
        let replied = try client.receive(into: &reply)
        #expect(!replied)
    }
}

// MARK: - Helpers

/// Sets `option` to `value` on `socket` and expects to read `value` back.
private func roundTrip<Kind: SocketKind, Value: Equatable>(
    _ option: SocketOption<Value>,
    _ value: Value,
    on socket: borrowing Socket<Kind>,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    try socket.setOption(option, value)
    let readBack = try socket.option(option)
    #expect(readBack == value, "option \(option.rawValue)", sourceLocation: sourceLocation)
}

/// The type code a new socket of `kind` reports.
private func typeCode<Kind: SocketKind>(of kind: Kind.Type, in context: Context) throws -> SocketTypeCode {
    let socket = try makeSocket(kind, context: context)
    return try socket.property(.type)
}

/// A ZAP handler (RFC 27) for one context that answers a single authentication request,
/// accepting one user name and password, on its own thread.
private final class ZAPHandler: Sendable {
    struct Request: Equatable, Sendable {
        var mechanism: String
        var username: String
        var password: String
    }

    private let thread: BackgroundThread<Request?>

    /// Binds the context's ZAP endpoint, then returns; the handler answers on its thread.
    init(context: Context, accepting credentials: (username: String, password: String)) throws {
        let bound = OneShot<Result<Void, ZMQError>>()
        thread = BackgroundThread { () throws(ZMQError) -> Request? in
            do throws(ZMQError) {
                let socket = try makeSocket(SocketType.Rep.self, context: context)
                try socket.bind(to: "inproc://zeromq.zap.01")  // ZAP's fixed, per-context endpoint
                bound.send(.success(()))
                return try ZAPHandler.answer(on: socket, accepting: credentials)
            } catch {
                bound.send(.failure(error))  // ignored once bound
                throw error
            }
        }
        if case .failure(let error)? = bound.wait() { throw error }
    }

    private static func answer(
        on socket: borrowing Socket<SocketType.Rep>,
        accepting credentials: (username: String, password: String)
    ) throws(ZMQError) -> Request? {
        // Frames: version, request id, domain, address, routing id, mechanism, credentials…
        var request = Multipart()
        guard try socket.receive(into: &request), request.count >= 8 else { return nil }
        let seen = Request(
            mechanism: request.string(at: 5),
            username: request.string(at: 6),
            password: request.string(at: 7)
        )
        let accepted = (seen.username, seen.password) == credentials
        // Frames: version, request id, status code, status text, user id, metadata.
        try socket.send(multipart: [
            Array("1.0".utf8),
            request.bytes(at: 1),
            Array((accepted ? "200" : "400").utf8),
            Array((accepted ? "OK" : "Invalid credentials").utf8),
            Array((accepted ? seen.username : "").utf8),
            [],
        ])
        return seen
    }

    /// The request the handler answered, or `nil` if none came.
    func wait() throws -> Request? {
        try thread.wait()?.get()
    }
}
