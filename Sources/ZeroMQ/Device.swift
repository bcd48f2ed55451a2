internal import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A classic ZeroMQ device: a steerable proxy forwarding between a frontend and a backend
/// socket on a thread of its own, until it is stopped.
///
/// Give it endpoints, and it makes and binds the sockets of a ``Kind``:
///
/// ```swift
/// let queue = try Device(.queue, frontend: "tcp://*:5559", backend: "tcp://*:5560")
/// …
/// queue.stop()
/// ```
///
/// or give it sockets you have already configured and bound or connected (CURVE keys,
/// high-water marks, …); they move onto the device's thread:
///
/// ```swift
/// let frontend = try RouterSocket(context: context)
/// try frontend.setOption(.receiveHighWaterMark, 10_000)
/// try frontend.bind(to: "tcp://*:5559")
/// let backend = try DealerSocket(context: context)
/// try backend.bind(to: "ipc:///tmp/workers")
/// let queue = try Device(frontend: frontend, backend: backend)
/// ```
///
/// The three kinds are ``Kind/queue`` (ROUTER frontend, DEALER backend: shared request/reply
/// queue), ``Kind/forwarder`` (XSUB frontend, XPUB backend: pub/sub relay) and
/// ``Kind/streamer`` (PULL frontend, PUSH backend: pipeline relay).
///
/// The device ends on ``stop()`` (the proxy's `TERMINATE` command), or when its context is
/// shut down (``Context/shutdown()``). Its thread then closes every socket of the device.
/// ``stop()`` waits for that; releasing the last reference to a running device does not: it
/// sends `TERMINATE` and returns at once, and the device's thread ends and closes its
/// sockets (releasing their endpoints) a moment later. ``Context/terminate()`` ends the
/// device too: it shuts the context down, which ends the proxy.
///
/// A device is thread safe: any thread may stop it, wait for it or read its statistics.
public final class Device: Sendable {
    /// The kind of device: which socket types face which side.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        internal enum Variant: Hashable, Sendable {
            case queue, forwarder, streamer
        }

        internal let variant: Variant

        /// The device's name: `queue`, `forwarder` or `streamer`.
        public var description: String {
            switch variant {
            case .queue: "queue"
            case .forwarder: "forwarder"
            case .streamer: "streamer"
            }
        }

        /// ROUTER frontend (clients connect REQ or DEALER), DEALER backend (services connect
        /// REP or DEALER). The C name is `ZMQ_QUEUE`.
        public static var queue: Kind { Kind(variant: .queue) }
        /// XSUB frontend (publishers connect), XPUB backend (subscribers connect).
        /// The C name is `ZMQ_FORWARDER`.
        public static var forwarder: Kind { Kind(variant: .forwarder) }
        /// PULL frontend (producers connect PUSH), PUSH backend (consumers connect PULL).
        /// The C name is `ZMQ_STREAMER`.
        public static var streamer: Kind { Kind(variant: .streamer) }

        /// The kind whose socket types these are, if any.
        internal init?(frontend: CInt, backend: CInt) {
            switch (frontend, backend) {
            case (ZMQ_ROUTER, ZMQ_DEALER): variant = .queue
            case (ZMQ_XSUB, ZMQ_XPUB): variant = .forwarder
            case (ZMQ_PULL, ZMQ_PUSH): variant = .streamer
            default: return nil
            }
        }

        private init(variant: Variant) {
            self.variant = variant
        }
    }

    /// The kind of device, or `nil` for a device made from sockets of another pair of types
    /// (such as a ROUTER frontend with a PUSH backend).
    public let kind: Kind?
    /// The context of the device's frontend socket, which also holds its control sockets.
    public let context: Context
    /// The frontend endpoint as bound (or, for a socket you gave, as last bound or
    /// connected), with wildcards resolved: `tcp://127.0.0.1:*` reads back with its port.
    public let frontendEndpoint: String
    /// The backend endpoint as bound (or, for a socket you gave, as last bound or
    /// connected), with wildcards resolved.
    public let backendEndpoint: String
    /// The capture endpoint as bound (or last bound or connected), with wildcards resolved;
    /// `nil` without a capture socket.
    public let captureEndpoint: String?

    /// The caller side of the proxy's control pair, shared with the proxy's thread.
    internal let steering: Steering
    /// The thread running the proxy; it owns the frontend, backend, capture and the proxy's
    /// side of the control pair.
    internal let thread: SocketThread<Void, ZMQError>

    private static let instanceCounter = Atomic<Int>(0)

    /// Binds a device's sockets and starts forwarding on a thread of its own.
    ///
    /// - Parameters:
    ///   - kind: ``Kind/queue``, ``Kind/forwarder`` or ``Kind/streamer``.
    ///   - frontend: The endpoint to bind the frontend socket to.
    ///   - backend: The endpoint to bind the backend socket to.
    ///   - capture: An optional endpoint to bind a PUB socket to that receives a copy of every
    ///     forwarded frame.
    ///   - context: The context to create the sockets in.
    /// - Throws: The error of ``Socket/bind(to:)`` for the endpoint that failed, unchanged
    ///   (every socket made so far is then closed, so nothing stays bound),
    ///   ``ZMQError/contextTerminated`` if the context is shut down, or the errors of
    ///   ``SocketThread/init(name:_:)`` if no thread can be started.
    ///
    /// The corresponding C functions are `zmq_bind` and `zmq_proxy_steerable`.
    public convenience init(
        _ kind: Kind,
        frontend: String,
        backend: String,
        capture: String? = nil,
        context: Context = .shared
    ) throws(ZMQError) {
        // Each socket closes as it goes out of scope, so a failed bind leaves nothing bound.
        func bound<K: SocketKind>(_: K.Type, to endpoint: String) throws(ZMQError) -> Socket<K> {
            let socket = try Socket<K>(context: context)
            try socket.bind(to: endpoint)
            return socket
        }
        func boundCapture() throws(ZMQError) -> PublisherSocket? {
            guard let capture else { return nil }
            return try bound(SocketType.Pub.self, to: capture)
        }
        switch kind.variant {
        case .queue:
            let front = try bound(SocketType.Router.self, to: frontend)
            let back = try bound(SocketType.Dealer.self, to: backend)
            try self.init(frontend: front, backend: back, capture: boundCapture())
        case .forwarder:
            let front = try bound(SocketType.XSub.self, to: frontend)
            let back = try bound(SocketType.XPub.self, to: backend)
            try self.init(frontend: front, backend: back, capture: boundCapture())
        case .streamer:
            let front = try bound(SocketType.Pull.self, to: frontend)
            let back = try bound(SocketType.Push.self, to: backend)
            try self.init(frontend: front, backend: back, capture: boundCapture())
        }
    }

    /// Starts forwarding between two sockets you have configured and bound or connected,
    /// which move onto the device's thread.
    ///
    /// The frontend's messages go to the backend, and, when both sockets can, the backend's
    /// back to the frontend. The device's ``kind`` is the one these socket types make, if any.
    ///
    /// - Parameters:
    ///   - frontend: The socket facing clients; it must have been bound or connected.
    ///   - backend: The socket facing services; it must have been bound or connected.
    /// - Throws: ``ZMQError/invalidArgument`` if a socket was never bound or connected (it
    ///   could carry nothing, and once it has moved here nothing can attach it any more),
    ///   ``ZMQError/contextTerminated`` if the frontend's context is shut down, or the errors
    ///   of ``SocketThread/init(name:_:)`` if no thread can be started. The sockets are
    ///   closed then.
    ///
    /// The corresponding C function is `zmq_proxy_steerable`.
    public convenience init<Frontend: ReceivingKind, Backend: SendingKind>(
        frontend: consuming sending Socket<Frontend>,
        backend: consuming sending Socket<Backend>
    ) throws(ZMQError) {
        try self.init(frontend: frontend, backend: backend, capture: PublisherSocket?.none)
    }

    /// Starts forwarding between two sockets you have configured and bound or connected,
    /// copying every forwarded frame to a capture socket; all three move onto the device's
    /// thread.
    ///
    /// - Parameters:
    ///   - frontend: The socket facing clients; it must have been bound or connected.
    ///   - backend: The socket facing services; it must have been bound or connected.
    ///   - capture: A socket that receives a copy of every forwarded frame, such as a PUB
    ///     socket feeding a logger; it must have been bound or connected. libzmq's proxy sends
    ///     to it with a blocking send, so choose one that never blocks: a PUB drops what its
    ///     subscribers can't take, but a PUSH or DEALER with no peer, or at its high-water
    ///     mark, stalls the device until the context is shut down (``stop()`` then can't end it).
    /// - Throws: ``ZMQError/invalidArgument`` if a socket was never bound or connected,
    ///   ``ZMQError/contextTerminated`` if the frontend's context is shut down, or the errors
    ///   of ``SocketThread/init(name:_:)`` if no thread can be started. The sockets are
    ///   closed then.
    ///
    /// The corresponding C function is `zmq_proxy_steerable`.
    public convenience init<Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind>(
        frontend: consuming sending Socket<Frontend>,
        backend: consuming sending Socket<Backend>,
        capture: consuming sending Socket<Capture>
    ) throws(ZMQError) {
        try self.init(frontend: frontend, backend: backend, capture: Optional(capture))
    }

    private init<Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind>(
        frontend: consuming sending Socket<Frontend>,
        backend: consuming sending Socket<Backend>,
        capture: consuming sending Socket<Capture>?
    ) throws(ZMQError) {
        func unattached(_ side: String) -> ZMQError {
            ZMQError(.invalidArgument, context: ErrorContext(
                action: .call("Device(frontend:backend:)"),
                reason: "the \(side) socket is neither bound nor connected, and nothing could attach it once the device owns it"))
        }
        guard let frontendEndpoint = frontend.lastEndpoint else { throw unattached("frontend") }
        guard let backendEndpoint = backend.lastEndpoint else { throw unattached("backend") }
        var captureEndpoint: String?
        if let endpoint = capture?.lastEndpoint {
            captureEndpoint = endpoint
        } else if capture != nil {
            throw unattached("capture")
        }
        let context = frontend.context
        let id = Self.instanceCounter.add(1, ordering: .relaxed).newValue
        let controlEndpoint = "inproc://zeromq-swift-device-\(id)"
        let control = try PairSocket(context: context)
        try control.bind(to: controlEndpoint)
        let steer = try PairSocket(context: context)
        // statistics() waits this long at a time for a reply before checking that the proxy
        // is still there to give one.
        try steer.setOption(.receiveTimeout, .milliseconds(100))
        try steer.connect(to: controlEndpoint)

        let steering = Steering(steer)
        let kind = Kind(frontend: Frontend.rawType, backend: Backend.rawType)
        let sockets = ProxySockets(frontend: frontend, backend: backend, capture: capture, control: control)
        thread = try SocketThread(name: kind.map { "zmq-\($0)" } ?? "zmq-device") {
            [sockets = consume sockets] () throws(ZMQError) in
            defer { steering.proxyEnded() }
            try sockets.run()
        }
        self.kind = kind
        self.context = context
        self.frontendEndpoint = frontendEndpoint
        self.backendEndpoint = backendEndpoint
        self.captureEndpoint = captureEndpoint
        self.steering = steering
    }

    /// Sends the proxy `TERMINATE` without waiting: the device's thread ends and closes its
    /// sockets on its own.
    deinit {
        steering.terminate()
    }

    /// Stops the device and waits until its thread has closed its sockets.
    ///
    /// Any thread may call it, as often as it likes; calls after the first, and calls after
    /// the device ended on its own, only wait for the end. It blocks (briefly), so from async
    /// code prefer releasing the device, which stops it without waiting.
    ///
    /// The corresponding C call is the steerable proxy's `TERMINATE` command
    /// (`zmq_proxy_steerable`).
    public func stop() {
        steering.terminate()
        _ = try? thread.join()
    }

    /// Blocks until the device ends, through ``stop()`` or a context shutdown.
    ///
    /// - Throws: ``ZMQError/contextTerminated`` if the device ended because its context was
    ///   shut down; nothing if it was stopped.
    ///
    /// The corresponding C function is `zmq_proxy_steerable`, whose return this waits for.
    public func wait() throws(ZMQError) {
        try thread.join()
    }

    /// Whether the device has ended and closed its sockets.
    public var isFinished: Bool { thread.isFinished }

    /// The proxy's message and byte counters so far.
    ///
    /// libzmq 4.3 counts a multipart message once, with the bytes of all its frames.
    ///
    /// - Returns: The counters, or `nil` if the device has ended or is stopping, or gave no
    ///   reply within a second (a proxy stalled on a blocking capture socket never replies).
    ///
    /// The corresponding C call is the steerable proxy's `STATISTICS` command.
    public func statistics() -> ProxyStatistics? {
        steering.statistics()
    }
}

/// The sockets the proxy's thread owns: the device's frontend, backend and capture, and the
/// proxy's side of the control pair. Moved onto that thread once, and closed there.
private struct ProxySockets<Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind>: ~Copyable {
    let frontend: Socket<Frontend>
    let backend: Socket<Backend>
    let capture: Socket<Capture>?
    let control: PairSocket

    /// Runs the proxy until TERMINATE or a context shutdown. A signal that interrupts it
    /// restarts it, which resets its counters.
    func run() throws(ZMQError) {
        let captureHandle: UnsafeMutableRawPointer? = switch capture {
        case .some(let socket): socket.handle
        case .none: nil
        }
        _ = try valueOrError(retryOnInterrupt: true) {
            zmq_proxy_steerable(frontend.handle, backend.handle, captureHandle, control.handle)
        }
    }
}

/// The caller side of a device's control pair, used under a lock by whichever thread or task
/// steers (any may), and closed by the proxy's thread once the proxy has ended.
///
/// A STATISTICS round trip never holds the lock while it waits: the caller that sends the
/// request waits for the reply outside the lock (a blocking caller polls the control
/// socket's descriptor, an async caller parks on the event thread) and looks for it under
/// the lock; callers that come meanwhile share that request's answer instead of sending
/// their own, so no reply is ever taken by the wrong caller.
internal final class Steering: Sendable {
    private struct State: ~Copyable {
        /// The caller side of the control pair; `nil` once closed.
        var socket: PairSocket?
        /// Whether TERMINATE was sent.
        var isStopping = false
        /// The STATISTICS request in flight, if any.
        var request: Completion<ProxyStatistics?>?
        /// The control socket's waiter, once an async caller has waited on it; woken when the
        /// proxy ends, since its socket then closes under it.
        var waiter: SocketWaiter?
    }

    /// How a statistics call goes on after its look under the lock.
    private enum Start {
        /// The device has ended or is stopping.
        case unavailable
        /// Another call's request is in flight: wait for its answer.
        case join(Completion<ProxyStatistics?>)
        /// This call sent the request: wait for the reply until the deadline.
        case drive(Completion<ProxyStatistics?>, deadline: ContinuousClock.Instant, descriptor: CInt, waiter: SocketWaiter?)
    }

    private let state: Mutex<State>
    /// Set by the proxy's thread as the proxy returns, so that a statistics call waiting for
    /// a reply that will never come gives up.
    private let hasEnded = Atomic<Bool>(false)

    init(_ socket: consuming sending PairSocket) {
        state = Mutex(State(socket: socket))
    }

    /// Sends TERMINATE once, without blocking. If the context is shut down the send fails,
    /// and the proxy is ending anyway.
    func terminate() {
        state.withLock { state in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            guard !state.isStopping, !hasEnded.load(ordering: .acquiring) else { return }
            state.isStopping = true
            guard let socket = state.socket.take() else { return }
            _ = try? socket.send(ProxyCommand.terminate.rawValue, .dontWait)
            state.socket = consume socket
        }
    }

    /// Called on the proxy's thread once the proxy has returned: closes the caller side.
    func proxyEnded() {
        hasEnded.store(true, ordering: .releasing)
        let waiter = state.withLock { state in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            state.socket.take()?.close()
            return state.waiter
        }
        waiter?.signal()
    }

    /// How long a statistics call waits for the proxy's reply in all. A proxy stalled on a
    /// blocking capture socket never answers.
    private static let replyDeadline: Duration = .seconds(1)

    /// Asks the running proxy for its counters and waits, blocking, for the reply.
    func statistics() -> ProxyStatistics? {
        switch begin(async: false) {
        case .unavailable:
            return nil
        case .join(let request):
            // The caller driving the request ends it within its deadline; the margin only
            // keeps this wait bounded should that caller be held up.
            return request.wait(timeout: Self.replyDeadline + .milliseconds(500)) ?? nil
        case .drive(let request, let deadline, let descriptor, _):
            while true {
                if let result = lookForReply() { return finish(request, result) }
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { return finish(request, nil) }
                // The descriptor is readable when libzmq has news for the socket; a short
                // slice also notices the proxy's end, whose socket closes under the poll.
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, CInt(min(remaining, .milliseconds(100)).roundedUpMilliseconds))
            }
        }
    }

    /// Asks the running proxy for its counters and waits for the reply without blocking the
    /// thread.
    func statistics() async -> ProxyStatistics? {
        switch begin(async: true) {
        case .unavailable:
            return nil
        case .join(let request):
            return await request.value()
        case .drive(let request, let deadline, _, let waiter):
            guard let waiter else { return finish(request, nil) }
            let deadlineNanoseconds = monotonicNanoseconds()
                + UInt64(ContinuousClock.now.duration(to: deadline).roundedUpMilliseconds) * 1_000_000
            while true {
                if let result = lookForReply() { return finish(request, result) }
                do {
                    let woken = try await waiter.wait(deadline: deadlineNanoseconds) { () throws(ZMQError) -> Bool in
                        hasEnded.load(ordering: .acquiring) || hasReplyEvent()
                    }
                    if !woken { return finish(request, lookForReply() ?? nil) }
                } catch {
                    // Cancelled: give up, and let callers sharing the request give up too.
                    return finish(request, nil)
                }
            }
        }
    }

    /// Looks under the lock, and either joins the request in flight or sends a new one.
    private func begin(async: Bool) -> Start {
        state.withLock { state -> Start in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            guard !state.isStopping, !hasEnded.load(ordering: .acquiring) else { return .unavailable }
            if let request = state.request { return .join(request) }
            guard let socket = state.socket.take() else { return .unavailable }
            // Only STATISTICS requests get replies on this pair: anything waiting now is the
            // late reply to a call that gave up. Drop it, so that it isn't taken for this one's.
            var stale = Multipart(capacity: 8)
            while (try? socket.receive(into: &stale, .dontWait)) == true {}
            let sent = (try? socket.send(ProxyCommand.statistics.rawValue, .dontWait)) == true
            let descriptor = (try? getInt32(socket.handle, ZMQ_FD)) ?? -1
            var waiter: SocketWaiter?
            if async {
                waiter = try? socket.owner.registeredWaiter()
                state.waiter = waiter
            }
            state.socket = consume socket
            guard sent else { return .unavailable }
            let request = Completion<ProxyStatistics?>()
            state.request = request
            return .drive(request, deadline: .now + Self.replyDeadline, descriptor: descriptor, waiter: waiter)
        }
    }

    /// Whether the control socket has a message to read. Looked at under the lock.
    private func hasReplyEvent() -> Bool {
        state.withLock { state in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            guard let socket = state.socket.take() else { return true }
            let events = (try? getInt32(socket.handle, ZMQ_EVENTS)) ?? CInt(ZMQ_POLLIN)
            state.socket = consume socket
            return events & CInt(ZMQ_POLLIN) != 0
        }
    }

    /// Looks for the reply under the lock.
    ///
    /// - Returns: `nil` to keep waiting; `.some(nil)` when no reply can come (the proxy
    ///   ended, the socket failed, or the reply is malformed); the counters otherwise.
    private func lookForReply() -> ProxyStatistics?? {
        state.withLock { state -> ProxyStatistics?? in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            guard let socket = state.socket.take() else { return .some(nil) }
            var reply = Multipart(capacity: 8)
            let received = try? socket.receive(into: &reply, .dontWait)
            state.socket = consume socket
            switch received {
            case true?: return .some(Self.counters(in: reply))
            case false?: return hasEnded.load(ordering: .acquiring) ? .some(nil) : nil
            case nil: return .some(nil)
            }
        }
    }

    /// Ends the request in flight with `result`, for this call and those that joined it.
    private func finish(_ request: Completion<ProxyStatistics?>, _ result: ProxyStatistics?) -> ProxyStatistics? {
        state.withLock { state in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            if state.request === request { state.request = nil }
        }
        request.complete(result)
        return result
    }

    /// The counters of a STATISTICS reply: eight 64-bit frames.
    private static func counters(in reply: borrowing Multipart) -> ProxyStatistics? {
        guard reply.count == 8 else { return nil }
        var counters = [UInt64]()
        counters.reserveCapacity(8)
        for index in 0..<8 {
            guard reply.size(at: index) == 8 else { return nil }
            counters.append(reply.withUnsafeBytes(at: index) { $0.loadUnaligned(as: UInt64.self) })
        }
        return ProxyStatistics(reply: counters)
    }
}
