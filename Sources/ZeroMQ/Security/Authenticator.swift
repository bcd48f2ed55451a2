import Synchronization

/// A ZAP handler (RFC 27) that authenticates the peers of every server socket in a context:
/// CURVE clients by public key, PLAIN clients by username and password, and any peer by IP
/// address, with a policy per ZAP domain.
///
/// Start one per context, give it a policy, and make CURVE or PLAIN servers as usual:
///
/// ```swift
/// let authenticator = try Authenticator(context: context)
/// try authenticator.setPolicy(.curve(.certificates(directory: "certs/clients")))
/// // … a server socket with .curveServer and .curveSecretKey now refuses every other key
/// ```
///
/// The authenticator binds the ZAP endpoint, `inproc://zeromq.zap.01`, in its context and
/// answers libzmq's requests on one thread of its own, which waits in `zmq_poll` and costs
/// nothing while idle. libzmq asks it about every CURVE and PLAIN peer of a server socket in
/// the context, and about NULL peers of a server socket with a ``SocketOption/zapDomain``,
/// once per connection, during the handshake; `inproc://` peers are never authenticated.
/// Start the authenticator before the servers it guards bind or connect: a handshake made
/// while no handler is bound lets any CURVE client with a valid key pair in.
///
/// **Policies.** ``setPolicy(_:forDomain:)`` sets the ``AuthenticationPolicy`` of one ZAP
/// domain (a server socket's ``SocketOption/zapDomain``, empty by default), or, with
/// ``anyDomain`` (the default), of every domain that has none of its own. A request for a
/// domain no policy covers is refused. Policies can change at any time: each request reads
/// the current ones, so a change applies to the next handshake. Connections already
/// authenticated stay open.
///
/// **Identity.** A peer that gets in has its identity in the `User-Id` metadata of every
/// message it sends (``Message/userID``): the PLAIN username, or the CURVE client's public key
/// in Z85.
///
/// **Decisions.** Every request is decided and logged as an ``AuthenticationDecision``: read
/// them from ``decisions(bufferingNewest:)`` or have ``setDecisionHandler(_:)`` call you. A
/// refused peer's handshake fails, and socket monitors on both sides report
/// ``MonitorEvent/HandshakeFailure/authentication(statusCode:)`` with the ZAP status.
///
/// **Stopping.** ``stop()`` ends the handler and waits for its thread, which first refuses the
/// requests still queued (status 500); so does releasing the authenticator. A shut-down
/// context ends the handler too, so ``Context/terminate()`` never waits for it. Once the
/// handler is gone, libzmq accepts any CURVE client with a valid key pair (and refuses every
/// PLAIN client): stop the authenticator only after the servers it guards are closed, or set
/// ``SocketOption/zapEnforceDomain`` on those servers to make them refuse every peer when no
/// handler answers.
///
/// There is at most one ZAP handler per context: a second authenticator in the same context
/// fails with ``ZMQError/addressInUse``. Authenticators in different contexts are
/// independent.
///
/// An authenticator is thread safe: any thread or task may configure, stop or observe it.
public final class Authenticator: Sendable {
    /// The endpoint every ZAP handler binds, and libzmq asks: `inproc://zeromq.zap.01`.
    public static let endpoint = "inproc://zeromq.zap.01"

    /// The domain name whose policy covers every ZAP domain without a policy of its own: `"*"`.
    public static let anyDomain = "*"

    /// The context whose server sockets this authenticator serves.
    public let context: Context

    private let state: AuthenticatorState
    private let thread: SocketThread<Void, Never>

    /// Numbers the control pairs' `inproc://` endpoints.
    private static let instanceCounter = Atomic<Int>(0)

    /// Binds the ZAP endpoint in a context and starts answering requests on a thread of its
    /// own.
    ///
    /// Until a policy is set, every request is refused (``AuthenticationDecision/DenialReason/domainNotConfigured``).
    ///
    /// - Parameter context: The context whose server sockets to serve; the process-wide
    ///   ``Context/shared`` context by default.
    /// - Throws: ``ZMQError/addressInUse`` if another ZAP handler (another authenticator, say)
    ///   is already bound in the context; ``ZMQError/contextTerminated`` if the context is
    ///   shut down; ``ZMQError/tooManyThreads`` if no thread can be started.
    ///
    /// The corresponding C functions are `zmq_bind` (on `inproc://zeromq.zap.01`) and
    /// `zmq_poll`.
    public init(context: Context = .shared) throws(ZMQError) {
        let zap = try RouterSocket(context: context)
        try zap.setOption(.linger, .zero)
        do {
            try zap.bind(to: Self.endpoint)
        } catch .addressInUse {
            throw ZMQError(.addressInUse, context: ErrorContext(
                action: .call("start an authenticator"),
                reason: "another ZAP handler (such as another Authenticator) is already bound at \(Self.endpoint) in this context"))
        }
        let controlEndpoint = "inproc://zeromq-swift-authenticator-\(Self.instanceCounter.add(1, ordering: .relaxed).newValue)"
        let control = try PairSocket(context: context)
        try control.setOption(.linger, .zero)
        try control.bind(to: controlEndpoint)
        let steer = try PairSocket(context: context)
        try steer.setOption(.linger, .zero)
        try steer.connect(to: controlEndpoint)

        let state = AuthenticatorState(control: steer)
        let sockets = HandlerSockets(zap: zap, control: control)
        thread = try SocketThread(name: "zmq-zap-handler") { [sockets = consume sockets] () -> Void in
            state.handlerStarted()
            sockets.run(state)
            state.handlerEnded()
        }
        self.context = context
        self.state = state
    }

    /// Stops the handler and waits for its thread (unless released on that thread itself).
    deinit {
        stop()
    }

    // MARK: Policies

    /// Sets the policy of one ZAP domain, replacing the one it had.
    ///
    /// The next request for the domain uses it; connections already authenticated stay open.
    /// A policy with ``CurveClients/certificates(directory:)`` reads the directory's public
    /// certificates now.
    ///
    /// - Parameters:
    ///   - policy: Who gets in.
    ///   - domain: A server socket's ``SocketOption/zapDomain`` (libzmq's default is the empty
    ///     string), or ``anyDomain`` (the default) for every domain without a policy of its own.
    /// - Throws: ``CertificateError`` if the policy's certificate directory can't be listed or
    ///   one of its certificates can't be loaded (the error names the file and line); the
    ///   domain then keeps the policy it had.
    public func setPolicy(
        _ policy: AuthenticationPolicy,
        forDomain domain: String = Authenticator.anyDomain
    ) throws(CertificateError) {
        let configured = try ConfiguredPolicy(loading: policy)
        state.withConfiguration { $0.policies[domain] = configured }
    }

    /// Reads the certificate directory of every policy that names one again, so that
    /// certificates added or removed since take effect.
    ///
    /// All directories are read before any policy changes: if one fails, none changes. A
    /// policy replaced or removed while this runs is left as it is now.
    ///
    /// - Throws: ``CertificateError`` for the first directory that can't be listed or
    ///   certificate that can't be loaded; every policy then keeps the keys it had.
    public func reloadCertificates() throws(CertificateError) {
        let current = state.withConfiguration { $0.policies }
        var reloaded: [String: ConfiguredPolicy] = [:]
        for (domain, configured) in current {
            guard case .certificates = configured.policy.curveClients else { continue }
            reloaded[domain] = try ConfiguredPolicy(loading: configured.policy)
        }
        state.withConfiguration { configuration in
            for (domain, fresh) in reloaded where configuration.policies[domain]?.policy == fresh.policy {
                configuration.policies[domain] = fresh
            }
        }
    }

    /// Removes the policy of one ZAP domain. Requests for it then fall back to the
    /// ``anyDomain`` policy, or are refused if there is none.
    ///
    /// - Parameter domain: The domain, or ``anyDomain``.
    /// - Returns: The policy removed, if there was one.
    @discardableResult
    public func removePolicy(forDomain domain: String) -> AuthenticationPolicy? {
        state.withConfiguration { $0.policies.removeValue(forKey: domain)?.policy }
    }

    /// The policy set for one ZAP domain.
    ///
    /// - Parameter domain: The domain, or ``anyDomain``.
    /// - Returns: The domain's own policy (not the ``anyDomain`` policy it may fall back to),
    ///   or `nil` if it has none.
    public func policy(forDomain domain: String) -> AuthenticationPolicy? {
        state.withConfiguration { $0.policies[domain]?.policy }
    }

    /// Every policy set, by domain.
    public var policies: [String: AuthenticationPolicy] {
        state.withConfiguration { $0.policies.mapValues(\.policy) }
    }

    // MARK: Decisions

    /// A stream of the decisions made from now on, one per request.
    ///
    /// Any number of streams may be open; each gets every decision. A stream holds at most
    /// `limit` decisions its reader has not taken yet: when it is full, the oldest is dropped
    /// to make room, so a reader that falls behind, or never reads, costs bounded memory and
    /// never holds up authentication. The stream ends when the authenticator stops (or its
    /// context is shut down); one made after that is empty.
    ///
    /// - Parameter limit: The most decisions buffered for this stream (at least 1).
    /// - Returns: The stream.
    public func decisions(bufferingNewest limit: Int = 256) -> AsyncStream<AuthenticationDecision> {
        state.subscribe(bufferingNewest: limit)
    }

    /// Sets a closure to call with each decision, or removes it.
    ///
    /// The closure runs on the authenticator's thread, after the reply is sent, once per
    /// request. It should return quickly (log, count, hand off): the next request waits for
    /// it. It must not call ``stop()`` expecting it to wait (called from this thread,
    /// ``stop()`` only asks the handler to stop). A closure that captures the authenticator
    /// keeps it alive until ``stop()`` is called.
    ///
    /// - Parameter handler: The closure, or `nil` to remove it.
    public func setDecisionHandler(_ handler: (@Sendable (AuthenticationDecision) -> Void)?) {
        state.withConfiguration { $0.decisionHandler = handler }
    }

    // MARK: Lifetime

    /// Stops the handler, and waits until its thread has unbound the ZAP endpoint, refused
    /// the requests still queued (status 500) and closed its sockets.
    ///
    /// Any thread may call it, as often as it likes; calls after the first only wait. It does
    /// not hang when the context is shut down: the handler then ends by itself. Called on the
    /// authenticator's own thread (from the decision handler), it asks the handler to stop
    /// and returns at once.
    ///
    /// Once it returns, the context may hold a new authenticator.
    public func stop() {
        state.requestStop()
        guard !state.isHandlerThread else { return }
        thread.join()
    }

    /// Whether the handler still answers requests: `false` once it has ended, after
    /// ``stop()`` or because the context was shut down.
    public var isRunning: Bool { !thread.isFinished }
}
