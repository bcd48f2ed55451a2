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
        #expect(error.description == "\(error.message) (\(error.name ?? "?"))")
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

    @Test("The linked libzmq is 4.3 or later, with IPC and CURVE and without the draft API")
    func libraryFacts() {
        let version = ZeroMQLibrary.version
        #expect(version >= ZeroMQLibrary.Version(major: 4, minor: 3, patch: 0))
        #expect(version.description == "\(version.major).\(version.minor).\(version.patch)")
        #expect(ZeroMQLibrary.has(.ipc))
        #expect(ZeroMQLibrary.has(.curve))
        // Debian builds libzmq without the draft API; this binding uses none of it.
        #expect(!ZeroMQLibrary.has(.draft))
        #expect(!ZeroMQLibrary.has(ZeroMQLibrary.Capability(rawValue: "no-such-capability")))
    }
}
