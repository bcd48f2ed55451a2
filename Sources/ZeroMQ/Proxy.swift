internal import CZeroMQ

/// Runs libzmq's built-in proxy between two sockets in the calling thread, until the context
/// is shut down.
///
/// Messages received on `frontend` are sent on `backend`, and (when both can) the other way
/// round. Typical pairs: ROUTER/DEALER (a queue), XSUB/XPUB (a forwarder), PULL/PUSH (a
/// streamer). For a proxy that can be paused or stopped, see
/// ``steerableProxy(frontend:backend:control:)``, or run a ``Device``.
///
/// - Parameters:
///   - frontend: The socket facing clients.
///   - backend: The socket facing services.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down, which is how a
///   proxy normally ends.
///
/// The corresponding C function is `zmq_proxy`.
public func proxy<Frontend: ReceivingKind, Backend: SendingKind>(
    frontend: borrowing Socket<Frontend>,
    backend: borrowing Socket<Backend>
) throws(ZMQError) {
    _ = try valueOrError(retryOnInterrupt: false) { zmq_proxy(frontend.handle, backend.handle, nil) }
}

/// Runs libzmq's built-in proxy in the calling thread, copying every message it forwards to a
/// capture socket, until the context is shut down.
///
/// - Parameters:
///   - frontend: The socket facing clients.
///   - backend: The socket facing services.
///   - capture: A socket that receives a copy of every forwarded frame, such as a PUB socket
///     feeding a logger. libzmq sends to it with a blocking send, so a capture socket that
///     can block (a PUSH or DEALER with no peer, or at its high-water mark) stalls the proxy.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down.
///
/// The corresponding C function is `zmq_proxy`.
public func proxy<Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind>(
    frontend: borrowing Socket<Frontend>,
    backend: borrowing Socket<Backend>,
    capture: borrowing Socket<Capture>
) throws(ZMQError) {
    _ = try valueOrError(retryOnInterrupt: false) {
        zmq_proxy(frontend.handle, backend.handle, capture.handle)
    }
}

/// Runs libzmq's built-in proxy in the calling thread, steered by commands on a control
/// socket: ``ProxyCommand/pause``, ``ProxyCommand/resume``, ``ProxyCommand/terminate`` and
/// ``ProxyCommand/statistics``.
///
/// Send commands from another thread with ``Socket/send(_:)-(ProxyCommand)``; a PAIR control
/// socket is the usual choice, and a control socket that can't send (such as SUB) can't
/// answer ``ProxyCommand/statistics``.
///
/// - Parameters:
///   - frontend: The socket facing clients.
///   - backend: The socket facing services.
///   - control: The socket commands arrive on.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down. Returns normally
///   after ``ProxyCommand/terminate``.
///
/// The corresponding C function is `zmq_proxy_steerable`.
public func steerableProxy<Frontend: ReceivingKind, Backend: SendingKind, Control: ReceivingKind>(
    frontend: borrowing Socket<Frontend>,
    backend: borrowing Socket<Backend>,
    control: borrowing Socket<Control>
) throws(ZMQError) {
    _ = try valueOrError(retryOnInterrupt: false) {
        zmq_proxy_steerable(frontend.handle, backend.handle, nil, control.handle)
    }
}

/// Runs libzmq's built-in proxy in the calling thread with a capture socket, steered by
/// commands on a control socket.
///
/// - Parameters:
///   - frontend: The socket facing clients.
///   - backend: The socket facing services.
///   - capture: A socket that receives a copy of every forwarded frame.
///   - control: The socket commands arrive on.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down. Returns normally
///   after ``ProxyCommand/terminate``.
///
/// The corresponding C function is `zmq_proxy_steerable`.
public func steerableProxy<
    Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind, Control: ReceivingKind
>(
    frontend: borrowing Socket<Frontend>,
    backend: borrowing Socket<Backend>,
    capture: borrowing Socket<Capture>,
    control: borrowing Socket<Control>
) throws(ZMQError) {
    _ = try valueOrError(retryOnInterrupt: false) {
        zmq_proxy_steerable(frontend.handle, backend.handle, capture.handle, control.handle)
    }
}

/// A command for a steerable proxy's control socket.
///
/// These four are the only commands libzmq 4.3 knows; it aborts the process on any other
/// message arriving on a proxy's control socket, so send commands only through this type.
public enum ProxyCommand: String, Hashable, Sendable, CaseIterable {
    /// Stops forwarding until ``resume``.
    case pause = "PAUSE"
    /// Resumes forwarding after ``pause``.
    case resume = "RESUME"
    /// Ends the proxy: ``steerableProxy(frontend:backend:control:)`` returns.
    case terminate = "TERMINATE"
    /// Asks for the proxy's counters; the proxy replies with eight 64-bit frames. See
    /// ``Socket/proxyStatistics()``.
    case statistics = "STATISTICS"
}

/// Message and byte counters of one side of a proxy.
public struct ProxySideStatistics: Hashable, Sendable {
    /// Messages received on this side's socket.
    public var messagesReceived: UInt64
    /// Bytes received on this side's socket.
    public var bytesReceived: UInt64
    /// Messages sent on this side's socket.
    public var messagesSent: UInt64
    /// Bytes sent on this side's socket.
    public var bytesSent: UInt64

    /// Creates counters.
    public init(messagesReceived: UInt64, bytesReceived: UInt64, messagesSent: UInt64, bytesSent: UInt64) {
        self.messagesReceived = messagesReceived
        self.bytesReceived = bytesReceived
        self.messagesSent = messagesSent
        self.bytesSent = bytesSent
    }
}

/// A steerable proxy's counters, as its STATISTICS reply reports them.
public struct ProxyStatistics: Hashable, Sendable {
    /// The frontend socket's counters.
    public var frontend: ProxySideStatistics
    /// The backend socket's counters.
    public var backend: ProxySideStatistics

    /// Creates statistics from both sides' counters.
    public init(frontend: ProxySideStatistics, backend: ProxySideStatistics) {
        self.frontend = frontend
        self.backend = backend
    }

    /// Creates statistics from the eight counters of a STATISTICS reply, in libzmq's order:
    /// frontend then backend, each messages and bytes received, then messages and bytes sent.
    internal init(reply counters: [UInt64]) {
        precondition(counters.count == 8, "a STATISTICS reply has eight counters")
        frontend = ProxySideStatistics(
            messagesReceived: counters[0], bytesReceived: counters[1],
            messagesSent: counters[2], bytesSent: counters[3])
        backend = ProxySideStatistics(
            messagesReceived: counters[4], bytesReceived: counters[5],
            messagesSent: counters[6], bytesSent: counters[7])
    }
}

extension Socket where Kind: SendingKind {
    /// Sends a command to a steerable proxy whose control socket is this socket's peer.
    ///
    /// - Parameter command: The command.
    /// - Throws: ``ZMQError/wouldBlock`` if the command could not be queued within the
    ///   socket's ``SocketOption/sendTimeout`` (a command is never dropped silently), and the
    ///   errors of sending.
    public func send(_ command: ProxyCommand) throws(ZMQError) {
        guard try send(command.rawValue) else { throw .wouldBlock }
    }
}

extension Socket where Kind: SendingKind & ReceivingKind {
    /// Asks a steerable proxy for its counters and waits for the reply.
    ///
    /// The proxy's control socket must be able to reply (PAIR or REP); set a
    /// ``SocketOption/receiveTimeout`` to bound the wait.
    ///
    /// - Returns: The counters, or `nil` if no reply came within the receive timeout.
    /// - Throws: ``ZMQError/invalidArgument`` if the reply is not eight 64-bit frames, and the
    ///   errors of sending and receiving.
    public func proxyStatistics() throws(ZMQError) -> ProxyStatistics? {
        try send(ProxyCommand.statistics)
        var reply = Multipart(capacity: 8)
        guard try receive(into: &reply) else { return nil }
        guard reply.count == 8 else { throw .invalidArgument }
        var counters = [UInt64]()
        counters.reserveCapacity(8)
        for index in 0..<8 {
            guard reply.size(at: index) == 8 else { throw .invalidArgument }
            counters.append(reply.withUnsafeBytes(at: index) { $0.loadUnaligned(as: UInt64.self) })
        }
        return ProxyStatistics(reply: counters)
    }
}
