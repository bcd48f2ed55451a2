import Foundation
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("Context")
struct ContextTests {
    @Test("Options of a terminated context throw .contextTerminated instead of reading freed memory")
    func optionsAfterTerminate() throws {
        let context = try Context()
        context.terminate()
        #expect(throws: ZMQError.contextTerminated) { _ = try context.option(.ioThreads) }
        #expect(throws: ZMQError.contextTerminated) { _ = try context.property(.socketLimit) }
        #expect(throws: ZMQError.contextTerminated) { try context.setOption(.maxSockets, 10) }
    }

    @Test("Concurrent terminate calls all return once the context is terminated")
    func concurrentTerminate() throws {
        let context = try Context()
        let callers = try (0..<4).map { _ in try SocketThread { context.terminate() } }
        for caller in callers {
            let finished = caller.join(timeout: testTimeout) != nil
            #expect(finished)
        }
        #expect(throws: ZMQError.contextTerminated) { _ = try context.option(.ioThreads) }
    }

    // MARK: Creation and options

    @Test("Options given at creation read back")
    func optionsReadBack() throws {
        let context = try Context(ioThreads: 2, maxSockets: 64, ipv6: true)
        #expect(try context.option(.ioThreads) == 2)
        #expect(try context.option(.maxSockets) == 64)
        #expect(try context.option(.ipv6))

        // New sockets inherit the context's IPv6 setting.
        let socket = try makeSocket(SocketType.Pair.self, context: context)
        let socketUsesIPv6 = try socket.option(.ipv6)
        #expect(socketUsesIPv6)
    }

    @Test("A new context has libzmq's defaults and a one-second linger")
    func defaults() throws {
        let context = try Context()
        #expect(try context.option(.ioThreads) == 1)
        #expect(try context.option(.maxSockets) == 1023)
        #expect(try !context.option(.ipv6))
        #expect(context.defaultLinger == .seconds(1))
        #expect(!context.isShutDown)
    }

    @Test("Out-of-range options throw .invalidArgument")
    func invalidOptions() {
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(ioThreads: -1) }
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(maxSockets: 0) }
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(defaultLinger: .milliseconds(-1)) }
    }

    @Test("The shared context is a single instance, used by default, that carries messages")
    func sharedContext() throws {
        #expect(Context.shared === Context.shared)

        let server = try PairSocket()
        let client = try PairSocket()
        #expect(server.context === Context.shared)
        #expect(client.context === Context.shared)
        try server.setOption(.receiveTimeout, testTimeout)
        try client.setOption(.linger, .zero)
        try server.setOption(.linger, .zero)
        try connect(client, to: server, over: .inproc)

        try client.send("on the shared context")
        let received = try server.receiveString()
        #expect(received == "on the shared context")
    }

    // MARK: Linger

    @Test("New sockets get the context's default linger", arguments: [Duration.milliseconds(250), .zero, nil])
    func defaultLingerAppliesToNewSockets(linger: Duration?) throws {
        let context = try Context(defaultLinger: linger)
        #expect(context.defaultLinger == linger)
        let socket = try Socket<SocketType.Push>(context: context)
        let socketLinger = try socket.option(.linger)
        #expect(socketLinger == linger)
    }

    @Test("A negative default linger throws .invalidArgument")
    func negativeDefaultLinger() {
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(defaultLinger: .seconds(-1)) }
    }

    // MARK: Limits

    @Test("Creating more sockets than maxSockets fails with EMFILE")
    func maxSocketsExceeded() throws {
        let context = try Context(maxSockets: 1)
        let only = try makeSocket(SocketType.Pair.self, context: context)
        // libzmq 4.3 reports a full context as EMFILE ("Too many open files"), not EMTHREAD,
        // which it uses for a bind or connect that finds no I/O thread (see ErrorTests).
        #expect(throws: ZMQError.tooManyOpenFiles) { _ = try Socket<SocketType.Pair>(context: context) }
        #expect(ZMQError.tooManyOpenFiles.rawValue == EMFILE)
        #expect(ZMQError.tooManyOpenFiles.description == "Too many open files (EMFILE)")
        only.close()
        // Closing frees the slot (asynchronously: libzmq's reaper thread reclaims it).
        let reopened = waitUntil(timeout: .seconds(1)) {
            do {
                _ = try Socket<SocketType.Pair>(context: context)
                return true
            } catch {
                return false
            }
        }
        #expect(reopened)
    }

    // MARK: Shutdown and termination

    @Test("Creating a socket after shutdown() throws .contextTerminated")
    func socketAfterShutdown() throws {
        let context = try Context()
        context.shutdown()
        #expect(context.isShutDown)
        #expect(throws: ZMQError.contextTerminated) { _ = try PairSocket(context: context) }
    }

    @Test("Creating a socket after terminate() throws .contextTerminated")
    func socketAfterTerminate() throws {
        let context = try Context()
        context.terminate()
        #expect(context.isShutDown)
        #expect(throws: ZMQError.contextTerminated) { _ = try PairSocket(context: context) }
    }

    @Test("shutdown() from another thread wakes a blocked receive promptly with .contextTerminated")
    func shutdownWakesBlockedReceive() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        // Far longer than this test waits, so only the shutdown can end the receive.
        try socket.setOption(.receiveTimeout, .seconds(20))
        try socket.bind(to: Transport.inproc.bindEndpoint())
        // The socket made here moves onto the receiving thread.
        let receiver = try SocketThread { [socket = consume socket] () throws(ZMQError) -> Bool in
            var message = Message()
            return try socket.receive(into: &message)
        }
        Thread.sleep(forTimeInterval: 0.1)  // let the receive block inside libzmq

        let start = ContinuousClock.now
        context.shutdown()
        let outcome = receiver.join(timeout: .seconds(1))
        let elapsed = ContinuousClock.now - start

        #expect(throws: ZMQError.contextTerminated) { try outcome?.get() }
        #expect(elapsed < .seconds(1))
    }

    @Test("terminate() wakes a blocked receive, and returns once that thread closes its socket")
    func terminateWakesBlockedReceive() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        try socket.setOption(.receiveTimeout, .seconds(20))
        try socket.bind(to: Transport.inproc.bindEndpoint())
        // terminate() waits for the socket to close, which it does as the thread's closure,
        // its owner, ends.
        let receiver = try SocketThread { [socket = consume socket] () throws(ZMQError) -> Bool in
            var message = Message()
            return try socket.receive(into: &message)
        }
        Thread.sleep(forTimeInterval: 0.1)

        let start = ContinuousClock.now
        let terminator = try SocketThread { context.terminate() }
        let outcome = receiver.join(timeout: .seconds(1))
        let terminated = terminator.join(timeout: .seconds(1))
        let elapsed = ContinuousClock.now - start

        #expect(throws: ZMQError.contextTerminated) { try outcome?.get() }
        #expect(terminated != nil, "terminate() did not return")
        #expect(elapsed < .seconds(1))
        #expect(context.isShutDown)
    }

    @Test("Releasing the last reference returns at once; lingering messages still go out in the background")
    func releaseDoesNotWaitForLinger() throws {
        let peers = try Context(defaultLinger: .zero)
        defer { peers.shutdown() }
        let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
        let message = "queued before its peer existed"
        // Nothing but this socket references its context, which lingers for 2 s.
        let push = try Self.pushSocket(queueing: message, to: endpoint, linger: .seconds(2))

        // Closing the last socket releases the context. Its termination must wait for the
        // queued message (no peer exists yet), but not on this thread.
        let start = ContinuousClock.now
        push.close()
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(500), "releasing the context blocked for \(elapsed)")

        // The message is still being delivered in the background: a peer appearing now gets it.
        let late = try makeSocket(SocketType.Pull.self, context: peers)
        try bindEventually(late, to: endpoint)
        let received = try late.receiveString()
        #expect(received == message)
    }

    @Test("terminate() called explicitly still waits for lingering messages")
    func terminateWaitsForLinger() throws {
        let context = try Context(defaultLinger: .milliseconds(500))
        do {
            let push = try PushSocket(context: context)
            try push.setOption(.sendTimeout, testTimeout)
            try push.connect(to: "tcp://127.0.0.1:\(try freeLoopbackPort())")
            // Queued for a peer that never comes: only the linger period ends the wait.
            let queued = try push.send("never delivered")
            #expect(queued)
        }
        let start = ContinuousClock.now
        context.terminate()
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(400), "terminate() returned after \(elapsed)")
        #expect(elapsed < testTimeout)
    }

    /// Makes a PUSH socket, in a context that only the socket references, with `message`
    /// queued for `endpoint`.
    private static func pushSocket(
        queueing message: String,
        to endpoint: String,
        linger: Duration
    ) throws -> PushSocket {
        let context = try Context(defaultLinger: linger)
        let push = try PushSocket(context: context)
        try push.setOption(.sendTimeout, testTimeout)
        // A connecting socket queues messages for its peer before the peer exists.
        try push.connect(to: endpoint)
        guard try push.send(message) else { throw TestFailure("the message was not queued") }
        return push
    }

    @Test("Releasing the last context reference while a socket is open doesn't hang")
    func socketKeepsItsContextAlive() throws {
        // Runs on its own thread so that a hang fails the test instead of stalling the run.
        let run = try SocketThread { () throws -> Void in
            let tracker = ContextTracker()
            let socket = try Self.socketOutlivingItsContext(tracker: tracker)
            guard tracker.context != nil else { throw TestFailure("context released while a socket is open") }

            // The context still works: a peer can be made from it and talk to the socket.
            let peer = try makeSocket(SocketType.Pair.self, context: socket.context)
            try connect(peer, to: socket, over: .inproc)
            try peer.send("still alive")
            let received = try socket.receiveString()
            guard received == "still alive" else { throw TestFailure("received \(received ?? "nothing")") }

            // Closing the last socket releases the context, whose deinit terminates it.
            peer.close()
            socket.close()
            guard tracker.context == nil else { throw TestFailure("context not released after close") }
        }
        let outcome = run.join(timeout: testTimeout)
        #expect(outcome != nil, "closing the last socket hung")
        #expect(throws: Never.self) { try outcome?.get() }
    }

    /// Makes a socket whose context nobody but the socket references.
    private static func socketOutlivingItsContext(
        tracker: ContextTracker
    ) throws(ZMQError) -> PairSocket {
        let context = try Context()
        tracker.context = context
        return try makeSocket(SocketType.Pair.self, context: context)
    }

    @Test("terminate() and shutdown() may be repeated, and deinit after terminate is harmless")
    func repeatedTermination() throws {
        let run = try SocketThread { () throws(ZMQError) -> Bool in
            let context = try Context()
            context.shutdown()
            context.shutdown()
            context.terminate()
            context.terminate()
            context.shutdown()
            // The context's deinit runs on return, and must not terminate it a second time.
            return context.isShutDown
        }
        let outcome = run.join(timeout: testTimeout)
        #expect(try outcome?.get() == true)
    }
}

// MARK: - Helpers

/// Holds a weak reference to a context, to observe when it is released.
private final class ContextTracker {
    weak var context: Context?
}

/// A loopback TCP port that nothing listens on, found by binding a plain socket to port 0.
///
/// The socket never listens or connects, so the port is free again as soon as it is closed.
private func freeLoopbackPort() throws -> UInt16 {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let found = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
        }
    }
    guard found else { throw TestFailure("cannot find a free port: errno \(errno)") }
    return UInt16(bigEndian: address.sin_port)
}
