import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The inside of an `Authenticator`: the state its object and its handler thread share, the
// handler thread's loop, and the decision for one request.

/// A policy as the handler uses it: the policy, plus the keys read from its certificate
/// directory, if it names one.
internal struct ConfiguredPolicy: Sendable {
    var policy: AuthenticationPolicy
    /// The public keys of the policy's certificate directory; empty without one.
    var certificateKeys: Set<CurvePublicKey> = []

    /// Reads the keys of the policy's certificate directory, if it names one.
    ///
    /// - Throws: ``CertificateError`` if the directory can't be listed or a certificate in it
    ///   can't be loaded.
    init(loading policy: AuthenticationPolicy) throws(CertificateError) {
        self.policy = policy
        if case .certificates(let directory) = policy.curveClients {
            certificateKeys = Set(try CurveCertificate.publicKeys(inDirectory: directory))
        }
    }
}

/// What an ``Authenticator`` and its handler thread share. Every member is thread safe.
internal final class AuthenticatorState: Sendable {
    /// The configuration, read by the handler once per request.
    struct Configuration: Sendable {
        var policies: [String: ConfiguredPolicy] = [:]
        var decisionHandler: (@Sendable (AuthenticationDecision) -> Void)?
        var subscribers: [Int: AsyncStream<AuthenticationDecision>.Continuation] = [:]
        var nextSubscriber = 0
        /// Set once the handler thread has ended; decisions streams made later end at once.
        var hasEnded = false
    }

    /// The caller side of the control pair: `nil` once the handler has ended and closed it.
    private struct Control: ~Copyable {
        var socket: PairSocket?
        var stopSent = false
    }

    let configuration = Mutex(Configuration())
    private let control: Mutex<Control>
    /// Set by `requestStop`, read by the handler between requests.
    private let stopRequested = Atomic<Bool>(false)
    /// The handler thread's id, so that a stop from that very thread does not wait for itself.
    private let handlerThread = Atomic<UInt>(0)

    init(control socket: consuming sending PairSocket) {
        control = Mutex(Control(socket: socket))
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Whether the calling thread is the handler thread.
    var isHandlerThread: Bool { handlerThread.load(ordering: .acquiring) == currentThreadID() }

    /// Asks the handler to stop: sets the flag it checks between requests, and wakes its poll
    /// with a message on the control pair. Never blocks. If the context is shut down, the send
    /// fails, and the handler is ending anyway.
    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        control.withLock { control in
            ThreadSanitizer.critical(self) {
                guard !control.stopSent, let socket = control.socket.take() else { return }
                control.stopSent = true
                _ = try? socket.send("TERMINATE", .dontWait)
                control.socket = consume socket
            }
        }
    }

    /// Called first thing on the handler thread.
    func handlerStarted() {
        handlerThread.store(currentThreadID(), ordering: .releasing)
    }

    /// Called last thing on the handler thread: ends every decisions stream and closes the
    /// caller side of the control pair, so that terminating the context waits for nothing
    /// of the authenticator's.
    func handlerEnded() {
        let subscribers = configuration.withLock { configuration in
            ThreadSanitizer.critical(self, lock: 1) { () -> [AsyncStream<AuthenticationDecision>.Continuation] in
                configuration.hasEnded = true
                defer { configuration.subscribers = [:] }
                return Array(configuration.subscribers.values)
            }
        }
        // Outside the lock: finishing a stream runs its termination handler, which takes it.
        for subscriber in subscribers { subscriber.finish() }
        control.withLock { control in
            ThreadSanitizer.critical(self) { control.socket.take()?.close() }
        }
    }

    /// The policy for a domain: its own, or else the one for every domain.
    func policy(for domain: String) -> ConfiguredPolicy? {
        configuration.withLock { configuration in
            ThreadSanitizer.critical(self, lock: 1) {
                configuration.policies[domain] ?? configuration.policies[Authenticator.anyDomain]
            }
        }
    }

    /// Hands a decision to the decision handler and to every decisions stream, on the handler
    /// thread, outside the lock.
    func publish(_ decision: AuthenticationDecision) {
        let (handler, subscribers) = configuration.withLock { configuration in
            ThreadSanitizer.critical(self, lock: 1) {
                (configuration.decisionHandler, Array(configuration.subscribers.values))
            }
        }
        // A stream that buffers its newest decisions drops the oldest when full: never blocks.
        for subscriber in subscribers { subscriber.yield(decision) }
        handler?(decision)
    }

    /// A new decisions stream; it ends at once if the handler has ended.
    func subscribe(bufferingNewest limit: Int) -> AsyncStream<AuthenticationDecision> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: AuthenticationDecision.self, bufferingPolicy: .bufferingNewest(max(limit, 1)))
        let id = configuration.withLock { configuration in
            ThreadSanitizer.critical(self, lock: 1) { () -> Int? in
                guard !configuration.hasEnded else { return nil }
                configuration.nextSubscriber += 1
                configuration.subscribers[configuration.nextSubscriber] = continuation
                return configuration.nextSubscriber
            }
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            configuration.withLock { configuration in
                ThreadSanitizer.critical(self, lock: 1) { _ = configuration.subscribers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    /// Runs `body` on the configuration, under the lock.
    func withConfiguration<Result>(_ body: (inout Configuration) -> Result) -> Result {
        configuration.withLock { configuration in
            ThreadSanitizer.critical(self, lock: 1) { body(&configuration) }
        }
    }
}

/// The sockets the handler thread owns: the ZAP socket bound at `inproc://zeromq.zap.01`, and
/// the handler's side of the control pair. Moved onto that thread once, and closed there.
internal struct HandlerSockets: ~Copyable {
    let zap: RouterSocket
    let control: PairSocket

    /// The most requests still waiting that a stopping handler answers (with status 500)
    /// before it closes, so that a flood of new ones can't keep it from ending.
    static let pendingLimit = 10_000

    /// Answers requests until asked to stop or until the context is shut down.
    ///
    /// It waits in `zmq_poll` on both sockets, so an idle handler costs nothing. A stop
    /// request ends it after the request in hand: it unbinds the ZAP endpoint (so that the
    /// next authenticator can bind it), refuses the requests already queued with status 500,
    /// and returns; the sockets close as the thread ends. A shut-down context ends it at once.
    ///
    /// Any other failure is passed over, never ending the handler: once no handler is bound,
    /// libzmq lets CURVE clients in unchecked, so the handler must not end unless told to.
    func run(_ state: AuthenticatorState) {
        var poller = Poller(capacity: 2)
        let zapItem = poller.add(zap)
        let controlItem = poller.add(control)
        var frames = Multipart(capacity: 10)
        while !state.isStopRequested {
            do {
                try poller.poll()
                if poller.isReadable(at: controlItem) { break }
                guard poller.isReadable(at: zapItem) else { continue }
                while !state.isStopRequested, try zap.receive(into: &frames, .dontWait) {
                    try answer(frames, state)
                }
            } catch .contextTerminated {
                return
            } catch {
                // Not expected of a poll or a ROUTER socket (out of memory, say): pause
                // rather than spin, and go on.
                usleep(1000)
            }
        }
        try? zap.unbind(from: Authenticator.endpoint)
        var refused = 0
        while refused < Self.pendingLimit, (try? zap.receive(into: &frames, .dontWait)) == true {
            guard (try? refuse(frames, state)) != nil else { return }
            refused += 1
        }
    }

    /// Decides one request, answers it, and publishes the decision.
    private func answer(_ frames: borrowing Multipart, _ state: AuthenticatorState) throws(ZMQError) {
        let request = ZAPRequest(frames: frames.allBytes)
        let (decision, statusText) = decide(request, policy: state.policy(for: request.domain))
        try send(request.reply(statusCode: decision.statusCode, statusText: statusText, userID: decision.userID ?? ""))
        state.publish(decision)
    }

    /// Answers one request with status 500 because the authenticator is stopping.
    private func refuse(_ frames: borrowing Multipart, _ state: AuthenticatorState) throws(ZMQError) {
        let request = ZAPRequest(frames: frames.allBytes)
        try send(request.reply(statusCode: 500, statusText: "authenticator stopped", userID: ""))
        state.publish(AuthenticationDecision(
            domain: request.domain, peerAddress: request.address, mechanism: request.mechanism,
            outcome: .denied(.authenticatorStopped), statusCode: 500))
    }

    /// Sends a reply without waiting: a ROUTER socket drops a reply to a server socket that
    /// has gone (its connection closed meanwhile).
    private func send(_ reply: [[UInt8]]?) throws(ZMQError) {
        guard let reply else { return }
        do {
            _ = try zap.send(multipart: reply, .dontWait)
        } catch .contextTerminated {
            throw .contextTerminated
        } catch {
            // Any other failure concerns this one reply; the server socket's handshake then
            // times out, and it is refused all the same.
        }
    }
}

/// Decides one ZAP request under a policy.
///
/// - Returns: The decision, and the status text for the reply (which libzmq keeps to itself:
///   the client learns only the status code).
internal func decide(_ request: ZAPRequest, policy configured: ConfiguredPolicy?) -> (AuthenticationDecision, String) {
    var decision = AuthenticationDecision(
        domain: request.domain, peerAddress: request.address, mechanism: request.mechanism,
        outcome: .denied(.domainNotConfigured), statusCode: 400)
    func denied(_ reason: AuthenticationDecision.DenialReason) -> (AuthenticationDecision, String) {
        decision.outcome = .denied(reason)
        if case .malformedRequest = reason { decision.statusCode = 500 } else { decision.statusCode = 400 }
        return (decision, reason.description)
    }
    func allowed(_ userID: String) -> (AuthenticationDecision, String) {
        decision.outcome = .allowed(userID: userID)
        decision.statusCode = 200
        return (decision, "OK")
    }

    if let problem = request.problem { return denied(.malformedRequest(problem)) }

    // The credentials the peer claims, for the decision log, checked before anything else
    // so that a malformed request is reported as such.
    let credentials = request.credentials
    switch request.mechanism {
    case .null:
        guard credentials.isEmpty else { return denied(.malformedRequest("NULL with \(credentials.count) credential frames")) }
    case .plain:
        guard credentials.count == 2 else {
            return denied(.malformedRequest("PLAIN with \(credentials.count) credential frames, 2 expected"))
        }
        decision.username = String(decoding: credentials[0], as: UTF8.self)
    case .curve:
        guard credentials.count == 1, let key = try? CurvePublicKey(bytes: credentials[0]) else {
            return denied(.malformedRequest("CURVE credentials are not one 32-byte key"))
        }
        decision.clientKey = key
    default:
        break
    }

    guard let configured else { return denied(.domainNotConfigured) }
    let policy = configured.policy

    if policy.deniedAddresses.contains(where: { $0.contains(request.address) }) {
        return denied(.addressDenied)
    }
    // libzmq sends an empty address when it could not read the peer's (getpeername failed):
    // with address rules in force, a peer that can't be placed is not let through.
    if request.address.isEmpty && !(policy.deniedAddresses.isEmpty && policy.allowedAddresses.isEmpty) {
        return denied(.addressNotAllowed)
    }
    if !policy.allowedAddresses.isEmpty, !policy.allowedAddresses.contains(where: { $0.contains(request.address) }) {
        return denied(.addressNotAllowed)
    }

    switch request.mechanism {
    case .null:
        return policy.acceptsNullMechanism ? allowed("") : denied(.mechanismNotAllowed)
    case .plain:
        guard let users = policy.plainCredentials else { return denied(.mechanismNotAllowed) }
        switch users.check(username: credentials[0], password: credentials[1]) {
        case .accepted: return allowed(decision.username ?? "")
        case .unknownUser: return denied(.unknownUser)
        case .wrongPassword: return denied(.wrongPassword)
        }
    case .curve:
        guard let clients = policy.curveClients, let key = decision.clientKey else { return denied(.mechanismNotAllowed) }
        let accepted = switch clients {
        case .any: true
        case .keys(let keys): keys.contains(key)
        case .certificates: configured.certificateKeys.contains(key)
        }
        return accepted ? allowed(key.z85) : denied(.unknownKey)
    default:
        return denied(.mechanismNotAllowed)
    }
}

/// The calling thread's id, as a number.
private func currentThreadID() -> UInt {
    #if canImport(Darwin)
    UInt(bitPattern: pthread_self())
    #else
    UInt(pthread_self())
    #endif
}
