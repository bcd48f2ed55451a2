import Testing
@testable import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("Errors")
struct ErrorTests {
    // MARK: Each named error, provoked

    @Test("Would block is returned as false or nil, never thrown")
    func wouldBlockIsAValue() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())
        let push = try makeSocket(SocketType.Push.self, context: context)

        var message = Message()
        let received = try pull.receive(into: &message, .dontWait)
        #expect(!received)
        let string = try pull.receiveString(.dontWait)
        #expect(string == nil)
        let sent = try push.send("nobody listens", .dontWait)
        #expect(!sent)
    }

    @Test("A REQ socket sending twice throws .invalidState")
    func invalidState() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let client = try makeSocket(SocketType.Req.self, context: context)
        try connect(client, to: server, over: .inproc)
        try client.send("first")
        #expect(throws: ZMQError.invalidState) { try client.send("second") }
        // And a REP that has not received can't send.
        #expect(throws: ZMQError.invalidState) { try server.send("unasked") }
    }

    @Test("A malformed endpoint throws .invalidArgument", arguments: ["tcp://", "tcp://127.0.0.1:notaport", "ipc://", "inproc://", "no-transport", "inproc://a\u{0}b", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:-1"])
    func invalidArgument(endpoint: String) throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        #expect(throws: ZMQError.invalidArgument) { try socket.bind(to: endpoint) }
        #expect(throws: ZMQError.invalidArgument) { try socket.connect(to: endpoint) }
    }

    @Test("An unknown transport throws .protocolNotSupported")
    func protocolNotSupported() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        #expect(throws: ZMQError.protocolNotSupported) { try socket.bind(to: "tcpp://x") }
        #expect(throws: ZMQError.protocolNotSupported) { try socket.connect(to: "tcpp://x") }
    }

    @Test("Binding a TCP port that is already bound throws .addressInUse")
    func addressInUse() throws {
        let context = try Context()
        let first = try makeSocket(SocketType.Pull.self, context: context)
        try first.bind(to: "tcp://127.0.0.1:*")
        let lastEndpoint = first.lastEndpoint
        let endpoint = try #require(lastEndpoint)
        let second = try makeSocket(SocketType.Pull.self, context: context)
        #expect(throws: ZMQError.addressInUse) { try second.bind(to: endpoint) }
    }

    @Test("Binding an address that is not local throws .addressNotAvailable")
    func addressNotAvailable() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737), never assigned to a local interface.
        #expect(throws: ZMQError.addressNotAvailable) { try socket.bind(to: "tcp://192.0.2.1:*") }
    }

    @Test("A transport the socket type can't use throws .incompatibleProtocol")
    func incompatibleProtocol() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Req.self, context: context)
        // udp:// is only for the draft RADIO and DISH sockets.
        #expect(throws: ZMQError.incompatibleProtocol) { try socket.bind(to: "udp://127.0.0.1:5555") }
        #expect(throws: ZMQError.incompatibleProtocol) { try socket.connect(to: "udp://127.0.0.1:5555") }
    }

    @Test("Multicast on a REQ socket throws .incompatibleProtocol", .enabled(if: ZeroMQLibrary.has(.pgm)))
    func incompatibleMulticast() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Req.self, context: context)
        #expect(throws: ZMQError.incompatibleProtocol) {
            try socket.connect(to: "pgm://127.0.0.1;239.192.1.1:5555")
        }
    }

    @Test("ROUTER with mandatory routing throws .hostUnreachable for an unknown peer")
    func hostUnreachable() throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        try router.setMandatoryRouting(true)
        #expect(throws: ZMQError.hostUnreachable) {
            try router.send(multipart: [Array("ghost".utf8), Array("boo".utf8)])
        }
    }

    @Test("Any use of a shut-down context's sockets throws .contextTerminated")
    func contextTerminated() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        context.shutdown()
        #expect(throws: ZMQError.contextTerminated) { try pull.bind(to: Transport.inproc.bindEndpoint()) }
        #expect(throws: ZMQError.contextTerminated) { _ = try pull.receiveString(.dontWait) }
        #expect(throws: ZMQError.contextTerminated) { _ = try Socket<SocketType.Push>(context: context) }
    }

    @Test("A TCP bind or connect in a context without I/O threads throws .tooManyThreads")
    func tooManyThreads() throws {
        // Zero I/O threads is fine for inproc://, but TCP needs a thread to run on.
        let context = try Context(ioThreads: 0)
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        try socket.bind(to: Transport.inproc.bindEndpoint())
        #expect(throws: ZMQError.tooManyThreads) { try socket.bind(to: "tcp://127.0.0.1:*") }
        #expect(throws: ZMQError.tooManyThreads) { try socket.connect(to: "tcp://127.0.0.1:1") }
    }

    @Test("Unbinding or disconnecting an endpoint that isn't there throws .noSuchEndpoint")
    func noSuchEndpoint() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        #expect(throws: ZMQError.noSuchEndpoint) { try socket.unbind(from: "tcp://127.0.0.1:5555") }
        #expect(throws: ZMQError.noSuchEndpoint) { try socket.disconnect(from: "inproc://elsewhere") }
    }

    // The mocking hook exists in debug builds only.
    #if DEBUG
    @Test("Blocking calls retry EINTR by default")
    func interruptedIsRetried() throws {
        defer { Mocking.reset() }
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)

        var outgoing = try Message("through the signals")
        Mocking.failNextCalls(with: [.interrupted, .interrupted])
        let sent = try push.send(&outgoing)
        #expect(sent)

        var incoming = Message()
        Mocking.failNextCalls(with: [.interrupted, .interrupted])
        let received = try pull.receive(into: &incoming)
        #expect(received)
        let text = incoming.string
        #expect(text == "through the signals")
    }

    @Test("With retryOnInterrupt: false, EINTR is thrown as .interrupted and nothing is lost")
    func interruptedIsThrown() throws {
        defer { Mocking.reset() }
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)

        var outgoing = try Message("kept")
        Mocking.failNextCalls(with: [.interrupted])
        do {
            try push.send(&outgoing, retryOnInterrupt: false)
            Issue.record("send was not interrupted")
        } catch {
            #expect(error == .interrupted)
        }
        // The message is still ours, and can be sent again.
        let kept = outgoing.string
        #expect(kept == "kept")
        try push.send(&outgoing)

        var incoming = Message()
        Mocking.failNextCalls(with: [.interrupted])
        do {
            try pull.receive(into: &incoming, retryOnInterrupt: false)
            Issue.record("receive was not interrupted")
        } catch {
            #expect(error == .interrupted)
        }
        let received = try pull.receive(into: &incoming)
        #expect(received)
        let text = incoming.string
        #expect(text == "kept")
    }
    #endif

    // MARK: Matching errors

    @Test("A typed catch clause matches a ZMQError case")
    func typedCatch() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        var caught: ZMQError?
        do {
            try socket.connect(to: "tcpp://x")
        } catch .protocolNotSupported {
            caught = .protocolNotSupported
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(caught == .protocolNotSupported)
    }

    @Test("~= matches a ZMQError code against any Error")
    func patternMatch() throws {
        let error: any Error = ZMQError.contextTerminated
        #expect(ZMQError.contextTerminated ~= error)
        #expect(!(ZMQError.invalidState ~= error))
        struct OtherError: Error {}
        #expect(!(ZMQError.contextTerminated ~= OtherError()))

        switch error {
        case ZMQError.invalidState: Issue.record("matched the wrong code")
        case ZMQError.contextTerminated: break
        default: Issue.record("no match")
        }

        // An untyped catch matches by code too.
        do {
            try Self.throwUntyped(ZMQError.hostUnreachable)
        } catch ZMQError.hostUnreachable {
            // expected
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    private static func throwUntyped(_ error: any Error) throws {
        throw error
    }

    // MARK: Descriptions

    @Test(
        "Each named error's description is libzmq's text and the C name",
        arguments: [
            (ZMQError.wouldBlock, "Resource temporarily unavailable (EAGAIN)"),
            (.interrupted, "Interrupted system call (EINTR)"),
            (.contextTerminated, "Context was terminated (ETERM)"),
            (.invalidState, "Operation cannot be accomplished in current state (EFSM)"),
            (.invalidArgument, "Invalid argument (EINVAL)"),
            (.protocolNotSupported, "Protocol not supported (EPROTONOSUPPORT)"),
            (.addressInUse, "Address already in use (EADDRINUSE)"),
            (.addressNotAvailable, "Cannot assign requested address (EADDRNOTAVAIL)"),
            (.hostUnreachable, "Host unreachable (EHOSTUNREACH)"),
            (.notSocket, "Socket operation on non-socket (ENOTSOCK)"),
            (.tooManyThreads, "No thread available (EMTHREAD)"),
            (.messageTooLarge, "Message too long (EMSGSIZE)"),
            (.incompatibleProtocol, "The protocol is not compatible with the socket type (ENOCOMPATPROTO)"),
            (.notSupported, "Operation not supported (ENOTSUP)"),
            (.noSuchEndpoint, "No such file or directory (ENOENT)"),
            (.outOfMemory, "Cannot allocate memory (ENOMEM)"),
        ]
    )
    func description(error: ZMQError, expected: String) {
        #expect(error.description == expected)
    }

    @Test("Named errors have distinct codes")
    func distinctCodes() {
        let all: [ZMQError] = [
            .wouldBlock, .interrupted, .contextTerminated, .invalidState, .invalidArgument,
            .protocolNotSupported, .addressInUse, .addressNotAvailable, .hostUnreachable, .notSocket,
            .tooManyThreads, .messageTooLarge, .incompatibleProtocol, .notSupported, .noSuchEndpoint,
            .outOfMemory,
        ]
        #expect(Set(all).count == all.count)
        #expect(Set(all.compactMap(\.name)).count == all.count)
    }

    @Test("An unnamed error number still describes itself")
    func unnamedError() {
        let error = ZMQError(rawValue: ENOSPC)
        #expect(error.name == nil)
        #expect(error.description == "No space left on device (errno \(ENOSPC))")
    }

    // MARK: Library facts

    @Test("The linked libzmq is 4.3 or later, with IPC and CURVE")
    func libraryFacts() {
        let version = ZeroMQLibrary.version
        #expect(version >= ZeroMQLibrary.Version(major: 4, minor: 3, patch: 0))
        #expect(version.description == "\(version.major).\(version.minor).\(version.patch)")
        #expect(ZeroMQLibrary.has(.ipc))
        #expect(ZeroMQLibrary.has(.curve))
        #expect(!ZeroMQLibrary.has(ZeroMQLibrary.Capability(rawValue: "no-such-capability")))
    }

    @Test("has(.draft) tells whether the linked libzmq exports the draft API")
    func draftCapabilityIsTruthful() {
        // zmq_socket_monitor_versioned is part of libzmq 4.3's draft API: exported by a draft
        // build, absent from a stable one (Debian's). Whichever build is linked, the answer
        // must match what the library really exports.
        #if canImport(Darwin)
        let everyLibrary = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
        let everyLibrary = UnsafeMutableRawPointer(bitPattern: 0)   // RTLD_DEFAULT
        #endif
        let exported = dlsym(everyLibrary, "zmq_socket_monitor_versioned") != nil
        #expect(ZeroMQLibrary.has(.draft) == exported)
    }

    // MARK: What failed

    @Test("A negative high-water mark names the option and the value")
    func optionErrorNamesTheOption() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Push.self, context: context)
        do {
            try socket.setOption(.sendHighWaterMark, -1)
            Issue.record("a negative high-water mark was accepted")
        } catch .invalidArgument {
            // The typed catch still matches, whatever the error says.
        } catch {
            Issue.record("unexpected \(error)")
        }
        let error = try #require(throws: ZMQError.self) { try socket.setOption(.sendHighWaterMark, -1) }
        #expect(error == .invalidArgument)
        #expect(error.option == "sendHighWaterMark")
        #expect(error.description == "set sendHighWaterMark (ZMQ_SNDHWM) to -1: must not be negative: Invalid argument (EINVAL)")
    }

    @Test("A context option's error names the option and the value")
    func contextOptionErrorNamesTheOption() throws {
        let context = try Context()
        let error = try #require(throws: ZMQError.self) { try context.setOption(.maxSockets, -1) }
        #expect(error == .invalidArgument)
        #expect(error.option == "maxSockets")
        #expect(error.description == "set maxSockets (ZMQ_MAX_SOCKETS) to -1: must not be negative: Invalid argument (EINVAL)")
        let threads = try #require(throws: ZMQError.self) { _ = try Context(ioThreads: -2) }
        #expect(threads.option == "ioThreads")
    }

    @Test("An over-long or reserved routing id says why")
    func routingIDErrors() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        let long = try #require(throws: ZMQError.self) {
            try socket.setOption(.routingID, [UInt8](repeating: 65, count: 256))
        }
        #expect(long.reason == "a routing id must be 1 to 255 bytes long, not 256")
        #expect(long.option == "routingID")
        let reserved = try #require(throws: ZMQError.self) { try socket.setOption(.routingID, [0, 1, 2]) }
        #expect(reserved == .invalidArgument)
        #expect(reserved.description.contains("must not start with a zero byte"), "\(reserved)")
        #expect(reserved.description.contains("0x000102"), "\(reserved)")
    }

    @Test(
        "A malformed endpoint's error names it and says what is wrong",
        arguments: [
            ("tcp://127.0.0.1", "the endpoint has no port; write tcp://host:port, or tcp://host:* for an ephemeral port"),
            ("tcp://127.0.0.1:", "the endpoint has no port; write tcp://host:port, or tcp://host:* for an ephemeral port"),
            ("tcp://127.0.0.1:99999", "the port '99999' is not a number from 0 to 65535 (or * for an ephemeral port)"),
            ("tcpp://127.0.0.1:5555", "unknown transport 'tcpp'; libzmq knows tcp, ipc, inproc, pgm, epgm, tipc, vmci, norm"),
            ("127.0.0.1:5555", "the endpoint has no transport; write transport://address, such as tcp://127.0.0.1:5555"),
            ("inproc://", "the endpoint has no name"),
            ("ipc://", "the endpoint has no path"),
            ("inproc://a\u{0}b", "the endpoint contains a NUL byte"),
            ("tcp://127.0.0.1:99999;127.0.0.1:5555", "the port '99999' is not a number from 0 to 65535 (or * for an ephemeral port)"),
        ]
    )
    func endpointErrors(endpoint: String, reason: String) throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        let bindError = try #require(throws: ZMQError.self) { try socket.bind(to: endpoint) }
        #expect(bindError.endpoint == endpoint)
        #expect(bindError.reason == reason)
        #expect(bindError.description.hasPrefix("bind to '\(endpoint)': \(reason): "), "\(bindError)")
        let connectError = try #require(throws: ZMQError.self) { try socket.connect(to: endpoint) }
        #expect(connectError.endpoint == endpoint)
        #expect(connectError.description.hasPrefix("connect to '\(endpoint)': "), "\(connectError)")
    }

    @Test("Unbind, disconnect and a busy address name their endpoint")
    func otherEndpointErrors() throws {
        let context = try Context()
        let first = try makeSocket(SocketType.Pull.self, context: context)
        let bound = try first.bind(to: "tcp://127.0.0.1:*")
        let second = try makeSocket(SocketType.Pull.self, context: context)
        let busy = try #require(throws: ZMQError.self) { try second.bind(to: bound.endpoint) }
        #expect(busy == .addressInUse)
        #expect(busy.description == "bind to '\(bound.endpoint)': Address already in use (EADDRINUSE)")
        let unbind = try #require(throws: ZMQError.self) { try second.unbind(from: "inproc://never") }
        #expect(unbind.description == "unbind from 'inproc://never': No such file or directory (ENOENT)")
        let disconnect = try #require(throws: ZMQError.self) { try second.disconnect(from: "inproc://never") }
        #expect(disconnect.endpoint == "inproc://never")
    }

    @Test("An option built from a raw number never shows its value, which may be a secret")
    func rawOptionsHideTheirValues() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Req.self, context: context)
        let password = "hunter2-" + String(repeating: "x", count: 300)
        let rawPassword = SocketOption<String>(rawValue: 26)   // ZMQ_PLAIN_PASSWORD
        let error = try #require(throws: ZMQError.self) { try socket.setOption(rawPassword, password) }
        #expect(error == .invalidArgument)
        #expect(!error.description.contains("hunter2"), "\(error)")
        let rawKey = SocketOption<[UInt8]>(rawValue: 49)        // ZMQ_CURVE_SECRETKEY
        let key = Array(repeating: UInt8(0xA5), count: 31)
        let keyError = try #require(throws: ZMQError.self) { try socket.setOption(rawKey, key) }
        #expect(!keyError.description.lowercased().contains("a5a5"), "\(keyError)")
        #expect(keyError.description.hasPrefix("set option 49 (option 49): "), "\(keyError)")
    }

    @Test("Errors with different contexts are equal when their codes are")
    func equalityIgnoresContext() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        let error = try #require(throws: ZMQError.self) { try socket.bind(to: "tcp://127.0.0.1") }
        #expect(error == ZMQError.invalidArgument)
        #expect(error.hashValue == ZMQError.invalidArgument.hashValue)
        #expect(Set([error, .invalidArgument]).count == 1)
        #expect(ZMQError.invalidArgument ~= (error as any Error))
    }

    @Test("Errors of the hot paths carry no context")
    func hotPathErrorsAreBare() throws {
        let context = try Context()
        let server = try makeSocket(SocketType.Rep.self, context: context)
        let error = try #require(throws: ZMQError.self) { try server.send("unasked") }
        #expect(error == .invalidState)
        #expect(error.endpoint == nil && error.option == nil && error.reason == nil)
        #expect(error.description == "Operation cannot be accomplished in current state (EFSM)")
    }
}
