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
    /// The libzmq socket, cached from `owner` so the hot paths touch no reference count.
    @usableFromInline
    internal let handle: UnsafeMutableRawPointer

    /// Owns the libzmq socket. A ``Poller`` that polls this socket holds it too, so the libzmq
    /// socket is never freed while something may still pass it to libzmq.
    internal let owner: SocketOwner

    /// The context this socket belongs to.
    public var context: Context { owner.context }

    /// Creates a socket of type `Kind`.
    ///
    /// - Parameter context: The context to create it in; the process-wide ``Context/shared``
    ///   context by default.
    /// - Throws: ``ZMQError/contextTerminated`` if the context is shut down,
    ///   ``ZMQError/tooManyOpenFiles`` if it holds ``ContextOption/maxSockets`` sockets already.
    ///
    /// The corresponding C function is `zmq_socket`.
    public init(context: Context = .shared) throws(ZMQError) {
        let owner = try SocketOwner(context: context, type: Kind.rawType)
        self.handle = owner.handle
        self.owner = owner
    }

    /// Closes the socket now.
    ///
    /// Queued outgoing messages are still delivered in the background for the socket's linger
    /// period. Ending the socket's lifetime has the same effect; this spells it out. A
    /// ``Poller`` that still polls the socket keeps it open until the poller is released or
    /// emptied.
    ///
    /// The corresponding C function is `zmq_close`.
    public consuming func close() {}

    /// Sets the linger period, then closes the socket.
    ///
    /// - Parameter linger: How long queued outgoing messages may still be delivered; `.zero`
    ///   drops them at once and `nil` waits for ever. Rounded up to whole milliseconds.
    /// - Throws: ``ZMQError/invalidArgument`` for a negative linger or one longer than libzmq
    ///   holds (about 24.8 days). The socket is closed either way, with its previous linger
    ///   when the new one is refused.
    ///
    /// The corresponding C function is `zmq_close`, after `zmq_setsockopt` with `ZMQ_LINGER`.
    public consuming func close(linger: Duration?) throws(ZMQError) {
        try setOption(.linger, linger)
    }

    /// Accepts connections on an endpoint.
    ///
    /// Endpoints take the form `transport://address`: `tcp://127.0.0.1:5555`,
    /// `ipc:///tmp/feed.ipc`, `inproc://name`. A wildcard port binds an ephemeral port, and
    /// the result says which:
    ///
    /// ```swift
    /// let bound = try server.bind(to: "tcp://127.0.0.1:*")
    /// try client.connect(to: bound.endpoint)     // tcp://127.0.0.1:41235
    /// print(bound.port!)                         // 41235
    /// ```
    ///
    /// - Parameter endpoint: The endpoint to bind to.
    /// - Returns: The endpoint as bound, with wildcards resolved.
    /// - Throws: ``ZMQError/invalidArgument`` for a malformed endpoint,
    ///   ``ZMQError/protocolNotSupported`` for an unknown transport,
    ///   ``ZMQError/addressInUse``, ``ZMQError/addressNotAvailable`` for a non-local address,
    ///   ``ZMQError/incompatibleProtocol``, ``ZMQError/contextTerminated``. The error names the
    ///   endpoint and, where it can tell, what is wrong with it ("the endpoint has no port").
    ///
    /// The corresponding C function is `zmq_bind`.
    @discardableResult
    public func bind(to endpoint: String) throws(ZMQError) -> BoundEndpoint {
        _ = try withEndpoint(endpoint, .bind) { zmq_bind(handle, $0) }
        // Read straight after the bind, on the owner's thread, so it is this bind's endpoint.
        return BoundEndpoint(endpoint: lastEndpoint ?? endpoint)
    }

    /// Connects to an endpoint.
    ///
    /// Connecting is asynchronous: it succeeds before the peer exists, and libzmq reconnects
    /// whenever the connection drops.
    ///
    /// - Parameter endpoint: The endpoint to connect to, such as `tcp://127.0.0.1:5555`.
    /// - Throws: ``ZMQError/invalidArgument`` for a malformed endpoint,
    ///   ``ZMQError/protocolNotSupported`` for an unknown transport,
    ///   ``ZMQError/incompatibleProtocol``, ``ZMQError/contextTerminated``. The error names the
    ///   endpoint.
    ///
    /// The corresponding C function is `zmq_connect`.
    public func connect(to endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint, .connect) { zmq_connect(handle, $0) }
    }

    /// Stops accepting connections on an endpoint bound earlier.
    ///
    /// - Parameter endpoint: The endpoint as it was bound, or as ``bind(to:)`` resolved it for
    ///   a wildcard bind.
    /// - Throws: ``ZMQError/noSuchEndpoint`` if the socket is not bound there,
    ///   ``ZMQError/invalidArgument`` for a malformed endpoint. The error names the endpoint.
    ///
    /// The corresponding C function is `zmq_unbind`.
    public func unbind(from endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint, .unbind) { zmq_unbind(handle, $0) }
    }

    /// Disconnects from an endpoint connected earlier.
    ///
    /// - Parameter endpoint: The endpoint as it was connected.
    /// - Throws: ``ZMQError/noSuchEndpoint`` if the socket is not connected there,
    ///   ``ZMQError/invalidArgument`` for a malformed endpoint. The error names the endpoint.
    ///
    /// The corresponding C function is `zmq_disconnect`.
    public func disconnect(from endpoint: String) throws(ZMQError) {
        _ = try withEndpoint(endpoint, .disconnect) { zmq_disconnect(handle, $0) }
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

/// Owns one libzmq socket and closes it when the last owner lets go: the ``Socket`` value and
/// any ``Poller`` polling it. It also keeps the socket's context alive, so the context is
/// terminated only after its last socket is closed.
internal final class SocketOwner {
    let handle: UnsafeMutableRawPointer
    let context: Context
    /// The socket's link to the async event thread, made on its first async wait.
    var waiter: SocketWaiter?

    init(context: Context, type: CInt) throws(ZMQError) {
        self.handle = try context.makeSocket(type: type)
        self.context = context
    }

    deinit {
        // Stop watching ZMQ_FD while it is still open: zmq_close lets libzmq close it.
        if let waiter { EventLoop.unregister(waiter) }
        zmq_close(handle)
    }
}
