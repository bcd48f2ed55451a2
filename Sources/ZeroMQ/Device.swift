internal import CZeroMQ
import Synchronization

/// A classic ZeroMQ device: a proxy that binds a frontend and a backend endpoint and forwards
/// between them on a background thread until it is stopped.
///
/// ```swift
/// let queue = try Device(.queue, frontend: "tcp://*:5559", backend: "tcp://*:5560")
/// …
/// queue.stop()
/// ```
///
/// The three kinds are ``Kind/queue`` (ROUTER frontend, DEALER backend: shared request/reply
/// queue), ``Kind/forwarder`` (XSUB frontend, XPUB backend: pub/sub relay) and
/// ``Kind/streamer`` (PULL frontend, PUSH backend: pipeline relay).
///
/// The device's sockets belong to its context. Stop the device before terminating the
/// context with ``Context/terminate()``; shutting the context down with
/// ``Context/shutdown()`` also ends it.
///
/// A device is thread safe: any thread may stop it, wait for it or read its statistics.
public final class Device: Sendable {
    /// The kind of device: which socket types face which side.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        internal let frontendType: CInt
        internal let backendType: CInt
        /// The device's name: `queue`, `forwarder` or `streamer`.
        public let description: String

        /// ROUTER frontend (clients connect REQ or DEALER), DEALER backend (services connect
        /// REP or DEALER). The C name is `ZMQ_QUEUE`.
        public static var queue: Kind { Kind(frontendType: ZMQ_ROUTER, backendType: ZMQ_DEALER, description: "queue") }
        /// XSUB frontend (publishers connect), XPUB backend (subscribers connect).
        /// The C name is `ZMQ_FORWARDER`.
        public static var forwarder: Kind { Kind(frontendType: ZMQ_XSUB, backendType: ZMQ_XPUB, description: "forwarder") }
        /// PULL frontend (producers connect PUSH), PUSH backend (consumers connect PULL).
        /// The C name is `ZMQ_STREAMER`.
        public static var streamer: Kind { Kind(frontendType: ZMQ_PULL, backendType: ZMQ_PUSH, description: "streamer") }
    }

    /// The kind of device.
    public let kind: Kind
    /// The context that owns the device's sockets.
    public let context: Context
    /// The frontend endpoint as bound, with wildcards resolved (so `tcp://127.0.0.1:*` reads
    /// back with its port).
    public let frontendEndpoint: String
    /// The backend endpoint as bound, with wildcards resolved.
    public let backendEndpoint: String
    /// The capture endpoint as bound, with wildcards resolved; `nil` without capture.
    public let captureEndpoint: String?

    /// The caller side of the proxy's control pair, and whether TERMINATE was sent; guarded,
    /// because any thread may steer.
    private let controller: Mutex<Controller>
    private let finished = Completion<Result<Void, ZMQError>>()

    private enum Controller: @unchecked Sendable {
        /// The proxy may be running; the socket steers it.
        case running(UnsafeMutableRawPointer)
        /// TERMINATE was sent; the socket is closed once the proxy thread has ended.
        case stopping(UnsafeMutableRawPointer)
        /// The control socket is closed.
        case stopped
    }

    /// How long ``statistics()`` waits at a time for the proxy's reply before checking that
    /// the device is still running.
    private static let replyPollInterval: CInt = 100

    private static let instanceCounter = Atomic<Int>(0)

    /// Binds a device's two sockets and starts forwarding on a background thread.
    ///
    /// - Parameters:
    ///   - kind: ``Kind/queue``, ``Kind/forwarder`` or ``Kind/streamer``.
    ///   - frontend: The endpoint to bind the frontend socket to.
    ///   - backend: The endpoint to bind the backend socket to.
    ///   - capture: An optional endpoint to bind a PUB socket to that receives a copy of every
    ///     forwarded frame.
    ///   - context: The context to create the sockets in.
    /// - Throws: The errors of ``Socket/bind(to:)`` for either endpoint (nothing is left bound
    ///   then), ``ZMQError/contextTerminated``, or ``ZMQError/outOfMemory`` if no thread can
    ///   be started.
    ///
    /// The corresponding C function is `zmq_proxy_steerable`.
    public init(
        _ kind: Kind,
        frontend: String,
        backend: String,
        capture: String? = nil,
        context: Context = .shared
    ) throws(ZMQError) {
        self.kind = kind
        self.context = context
        var opened: [UnsafeMutableRawPointer] = []
        func open(_ type: CInt, bindingTo endpoint: String?) throws(ZMQError) -> UnsafeMutableRawPointer {
            let socket = try context.makeSocket(type: type)
            opened.append(socket)
            if let endpoint { _ = try withEndpoint(endpoint, .bind) { zmq_bind(socket, $0) } }
            return socket
        }
        func lastEndpoint(_ socket: UnsafeMutableRawPointer) -> String {
            (try? OptionFormat<String>.string.read(socket, ZMQ_LAST_ENDPOINT)) ?? ""
        }
        let sockets: (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer?, UnsafeMutableRawPointer, UnsafeMutableRawPointer)
        do {
            let front = try open(kind.frontendType, bindingTo: frontend)
            let back = try open(kind.backendType, bindingTo: backend)
            let tap = try capture.map { (endpoint) throws(ZMQError) in try open(ZMQ_PUB, bindingTo: endpoint) }
            let id = Self.instanceCounter.add(1, ordering: .relaxed).newValue
            let controlEndpoint = "inproc://zeromq-swift-device-\(id)"
            let control = try open(ZMQ_PAIR, bindingTo: controlEndpoint)
            let steer = try open(ZMQ_PAIR, bindingTo: nil)
            var interval = Self.replyPollInterval
            _ = try valueOrError { zmq_setsockopt(steer, ZMQ_RCVTIMEO, &interval, MemoryLayout<CInt>.size) }
            _ = try withEndpoint(controlEndpoint, .connect) { zmq_connect(steer, $0) }
            sockets = (front, back, tap, control, steer)
        } catch {
            for socket in opened { zmq_close(socket) }
            throw error
        }
        frontendEndpoint = lastEndpoint(sockets.0)
        backendEndpoint = lastEndpoint(sockets.1)
        captureEndpoint = sockets.2.map(lastEndpoint)
        controller = Mutex(.running(sockets.4))

        let proxySockets = ProxySockets(
            frontend: sockets.0, backend: sockets.1, capture: sockets.2, control: sockets.3)
        let finished = self.finished
        let started = detachThread {
            let result = proxySockets.run()
            proxySockets.close()
            finished.complete(result)
        }
        guard started else {
            // `deinit` runs after this throw: leave it nothing to stop or wait for.
            proxySockets.close()
            controller.withLock { state in
                zmq_close(sockets.4)
                state = .stopped
            }
            finished.complete(.success(()))
            throw .outOfMemory
        }
    }

    deinit {
        stop()
    }

    /// Stops the device and waits until its thread has closed its sockets.
    ///
    /// Any thread may call it, as often as it likes; calls after the first, and calls after
    /// the device ended on its own, only wait for the end.
    ///
    /// The device is stopped with the proxy's `TERMINATE` command.
    public func stop() {
        controller.withLock { state in
            guard case .running(let socket) = state else { return }
            // If the context is shut down, the proxy is ending anyway and the send fails.
            _ = try? valueOrError { zmq_send(socket, "TERMINATE", 9, 0) }
            state = .stopping(socket)
        }
        _ = finished.wait()
        controller.withLock { state in
            switch state {
            case .running(let socket), .stopping(let socket):
                zmq_close(socket)
                state = .stopped
            case .stopped:
                break
            }
        }
    }

    /// Blocks until the device ends, through ``stop()`` or a context shutdown.
    ///
    /// - Throws: ``ZMQError/contextTerminated`` if the device ended because its context was
    ///   shut down; nothing if it was stopped.
    public func wait() throws(ZMQError) {
        try finished.wait().get()
    }

    /// Whether the device has ended.
    public var isFinished: Bool { finished.result != nil }

    /// The proxy's message and byte counters so far.
    ///
    /// libzmq 4.3 counts a multipart message once, with the bytes of all its frames.
    ///
    /// - Returns: The counters, or `nil` if the device has ended or is stopping.
    public func statistics() -> ProxyStatistics? {
        controller.withLock { state -> ProxyStatistics? in
            guard case .running(let socket) = state, finished.result == nil else { return nil }
            guard (try? valueOrError({ zmq_send(socket, "STATISTICS", 10, 0) })) != nil else { return nil }
            var counters = [UInt64](repeating: 0, count: 8)
            for index in 0..<8 {
                // The reply is one atomic multipart message: once its first frame is in, the
                // rest is too. Until then, keep checking that the proxy is still there to reply.
                while true {
                    var value: UInt64 = 0
                    let received: CInt?
                    do {
                        received = try valueOrWouldBlock { zmq_recv(socket, &value, 8, 0) }
                    } catch {
                        return nil
                    }
                    if let size = received {
                        guard size == 8 else { return nil }
                        counters[index] = value
                        break
                    }
                    if finished.result != nil { return nil }
                }
            }
            return ProxyStatistics(reply: counters)
        }
    }
}

/// The proxy thread's sockets, handed to it once (thread creation is the memory barrier
/// libzmq requires for moving sockets between threads).
private struct ProxySockets: @unchecked Sendable {
    let frontend: UnsafeMutableRawPointer
    let backend: UnsafeMutableRawPointer
    let capture: UnsafeMutableRawPointer?
    let control: UnsafeMutableRawPointer

    /// Runs the proxy until TERMINATE or a context shutdown. A signal that interrupts it
    /// restarts it, which resets its counters.
    func run() -> Result<Void, ZMQError> {
        Result { () throws(ZMQError) in
            _ = try valueOrError(retryOnInterrupt: true) {
                zmq_proxy_steerable(frontend, backend, capture, control)
            }
        }
    }

    func close() {
        zmq_close(frontend)
        zmq_close(backend)
        if let capture { zmq_close(capture) }
        zmq_close(control)
    }
}
