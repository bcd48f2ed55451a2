internal import CZeroMQ

/// A ZeroMQ socket of the type `Kind`, such as `Socket<SocketType.Req>` (``RequestSocket``).
///
/// A socket is a noncopyable value with a single owner. It closes itself when its lifetime ends,
/// or earlier with ``close()``; after that it cannot be used, which the compiler checks. The
/// socket's type decides what it can do: only sending kinds have `send`, only receiving kinds
/// have `receive`, and only a SUB socket has `subscribe(to:)`.
///
/// ```swift
/// let socket = try RequestSocket(context: context)
/// try socket.connect(to: "tcp://127.0.0.1:5555")
/// try socket.send("Hello")
/// let reply = try socket.receiveString()
/// ```
///
/// Every new socket gets its context's ``Context/defaultLinger`` (one second by default).
/// A socket keeps its context alive.
///
/// A socket is not thread safe; it has one owner at a time. Create it on the thread or task
/// that uses it, and pass the ``Context`` around instead.
public struct Socket<Kind: SocketKind>: ~Copyable {
    @usableFromInline
    internal let handle: UnsafeMutableRawPointer

    /// The context this socket belongs to.
    public let context: Context

    /// Creates a socket of type `Kind`.
    ///
    /// - Parameter context: The context to create it in; the process-wide ``Context/shared``
    ///   context by default.
    /// - Throws: ``ZMQError/contextTerminated`` if the context is shut down,
    ///   ``ZMQError/tooManyOpenFiles`` if it holds ``ContextOption/maxSockets`` sockets already.
    ///
    /// The corresponding C function is `zmq_socket`.
    public init(context: Context = .shared) throws(ZMQError) {
        let handle = try context.makeSocket(type: Kind.rawType)
        if let linger = context.defaultLinger {
            var milliseconds = CInt(clamping: linger.wholeMilliseconds)
            zmq_setsockopt(handle, ZMQ_LINGER, &milliseconds, MemoryLayout<CInt>.size)
        }
        self.handle = handle
        self.context = context
    }

    deinit {
        zmq_close(handle)
    }

    /// Closes the socket now.
    ///
    /// Queued outgoing messages are still delivered in the background for the socket's linger
    /// period. Ending the socket's lifetime has the same effect; this spells it out.
    ///
    /// The corresponding C function is `zmq_close`.
    public consuming func close() {}

    /// Sets the linger period, then closes the socket.
    ///
    /// - Parameter linger: How long queued outgoing messages may still be delivered; `.zero`
    ///   drops them at once and `nil` waits for ever.
    ///
    /// The corresponding C function is `zmq_close`.
    public consuming func close(linger: Duration?) {
        try? setOption(.linger, linger)
    }

    /// Accepts connections on an endpoint.
    ///
    /// Endpoints take the form `transport://address`: `tcp://127.0.0.1:5555` (or `tcp://*:*`
    /// for any interface and an ephemeral port, then read ``lastEndpoint``),
    /// `ipc:///tmp/feed.ipc`, `inproc://name`.
    ///
    /// - Parameter endpoint: The endpoint to bind to.
    /// - Throws: ``ZMQError/invalidArgument`` for a malformed endpoint,
    ///   ``ZMQError/protocolNotSupported`` for an unknown transport,
    ///   ``ZMQError/addressInUse``, ``ZMQError/addressNotAvailable`` for a non-local address,
    ///   ``ZMQError/incompatibleProtocol``, ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_bind`.
    public func bind(to endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint) { zmq_bind(handle, $0) }
    }

    /// Connects to an endpoint.
    ///
    /// Connecting is asynchronous: it succeeds before the peer exists, and libzmq reconnects
    /// whenever the connection drops.
    ///
    /// - Parameter endpoint: The endpoint to connect to, such as `tcp://127.0.0.1:5555`.
    /// - Throws: ``ZMQError/invalidArgument`` for a malformed endpoint,
    ///   ``ZMQError/protocolNotSupported`` for an unknown transport,
    ///   ``ZMQError/incompatibleProtocol``, ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_connect`.
    public func connect(to endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint) { zmq_connect(handle, $0) }
    }

    /// Stops accepting connections on an endpoint bound earlier.
    ///
    /// - Parameter endpoint: The endpoint as it was bound, or as ``lastEndpoint`` reported it
    ///   for a wildcard bind.
    /// - Throws: ``ZMQError/noSuchEndpoint`` if the socket is not bound there,
    ///   ``ZMQError/invalidArgument`` for a malformed endpoint.
    ///
    /// The corresponding C function is `zmq_unbind`.
    public func unbind(from endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint) { zmq_unbind(handle, $0) }
    }

    /// Disconnects from an endpoint connected earlier.
    ///
    /// - Parameter endpoint: The endpoint as it was connected.
    /// - Throws: ``ZMQError/noSuchEndpoint`` if the socket is not connected there,
    ///   ``ZMQError/invalidArgument`` for a malformed endpoint.
    ///
    /// The corresponding C function is `zmq_disconnect`.
    public func disconnect(from endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint) { zmq_disconnect(handle, $0) }
    }

    /// The endpoint this socket last bound or connected to, with wildcards resolved (so
    /// `tcp://127.0.0.1:*` reads back as, say, `tcp://127.0.0.1:41235`); `nil` if none.
    ///
    /// The corresponding C option is `ZMQ_LAST_ENDPOINT`.
    public var lastEndpoint: String? {
        guard let endpoint = try? property(.lastEndpoint), !endpoint.isEmpty else { return nil }
        return endpoint
    }
}

/// Calls a libzmq endpoint function with the endpoint as a C string.
///
/// An endpoint with a NUL byte would reach libzmq cut short, as another endpoint, so it is
/// refused with ``ZMQError/invalidArgument`` instead.
internal func withEndpoint(
    _ endpoint: String,
    _ body: (UnsafePointer<CChar>) -> CInt
) throws(ZMQError) -> CInt {
    guard !endpoint.utf8.contains(0) else { throw .invalidArgument }
    return try valueOrError { endpoint.withCString(body) }
}

extension Duration {
    /// The duration in whole milliseconds, rounded towards zero.
    internal var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1000).overflow
            ? (seconds < 0 ? .min : .max)
            : seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
