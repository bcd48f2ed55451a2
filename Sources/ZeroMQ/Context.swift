internal import CZeroMQ
import Synchronization

/// A ZeroMQ context: the container for a process's sockets and libzmq's I/O threads.
///
/// Create one context per process (or use ``shared``) and pass it to every thread or task that
/// makes sockets. Each socket keeps its context alive, so the context is terminated only once
/// the last reference to it is gone, its last socket included.
///
/// Releasing a context never blocks the thread that drops the last reference (in async code,
/// a thread of Swift's cooperative pool): libzmq's `zmq_ctx_term`, which waits while closed
/// sockets still have queued messages to deliver within their linger period, runs on a
/// background thread instead. Messages keep going out there for their linger period, as
/// long as the process lives; a program that exits right after releasing its context loses
/// what is still queued. To wait for delivery, call ``terminate()`` explicitly, which blocks
/// until every socket is closed and has delivered or dropped its messages. (With a `nil`
/// linger, that can be for ever; keep a finite linger, the default.)
///
/// To stop blocked work, call ``shutdown()`` from any thread: every blocking call on the
/// context's sockets, in every thread, then fails promptly with ``ZMQError/contextTerminated``,
/// and so does every later operation. ``terminate()`` does the same and then waits until all
/// sockets are closed.
///
/// Sockets made by a context linger for ``defaultLinger`` (one second unless you choose
/// otherwise) after ``Socket/close()`` to deliver queued messages, instead of libzmq's default of
/// waiting for ever.
///
/// A context is thread safe.
public final class Context: Sendable {
    /// The lifecycle of the libzmq context this object owns.
    private enum State {
        case running, shutDown, terminating, terminated
    }

    nonisolated(unsafe) internal let handle: UnsafeMutableRawPointer
    private let state = Mutex(State.running)
    /// Completed once `zmq_ctx_term` has returned, for callers of `terminate()` that lost the
    /// race to run it.
    private let terminated = Completion<Bool>()

    /// The linger period given to every new socket of this context; `nil` means wait for ever.
    ///
    /// A socket's pending outgoing messages are kept for this long after it is closed. Change
    /// it per socket with ``SocketOption/linger``.
    public let defaultLinger: Duration?

    /// A context shared by the whole process, created on first use with the default options.
    ///
    /// It is never terminated; it lives until the process exits. Sockets created without an
    /// explicit context use it.
    public static let shared: Context = {
        guard let handle = zmq_ctx_new() else {
            // zmq_ctx_new fails only when the process is out of memory or file descriptors.
            fatalError("ZeroMQ: cannot create the shared context: \(ZMQError(rawValue: zmq_errno()))")
        }
        return Context(handle: handle, defaultLinger: .seconds(1))
    }()

    private init(handle: UnsafeMutableRawPointer, defaultLinger: Duration?) {
        self.handle = handle
        self.defaultLinger = defaultLinger
    }

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - ioThreads: The number of libzmq I/O threads (default 1, enough for about a gigabyte
    ///     a second). `0` is valid for a context used only with `inproc://`.
    ///   - maxSockets: The most sockets the context may hold at once, or `nil` for libzmq's
    ///     default (1023).
    ///   - ipv6: Whether new sockets use IPv6 (and accept IPv4-mapped addresses).
    ///   - defaultLinger: How long a closed socket keeps trying to deliver queued messages;
    ///     `nil` waits for ever (libzmq's own default). One second unless you say otherwise.
    /// - Throws: ``ZMQError/invalidArgument`` for an out-of-range option, or the error
    ///   `zmq_ctx_new` reports.
    ///
    /// The corresponding C functions are `zmq_ctx_new` and `zmq_ctx_set`.
    public convenience init(
        ioThreads: Int = 1,
        maxSockets: Int? = nil,
        ipv6: Bool = false,
        defaultLinger: Duration? = .seconds(1)
    ) throws(ZMQError) {
        if let linger = defaultLinger {
            do {
                _ = try millisecondsValue(linger)
            } catch {
                throw error.adding(action: .call("Context(defaultLinger: \(linger))"))
            }
        }
        let handle = try pointerOrError { zmq_ctx_new() }
        self.init(handle: handle, defaultLinger: defaultLinger)
        // From here on, `deinit` terminates the context if an option is rejected.
        if ioThreads != 1 { try setOption(.ioThreads, ioThreads) }
        if let maxSockets { try setOption(.maxSockets, maxSockets) }
        if ipv6 { try setOption(.ipv6, true) }
    }

    /// Terminates the context on a background thread, so that releasing it never blocks.
    deinit {
        let needsTermination = state.withLock { $0 != .terminated }
        guard needsTermination else { return }
        // The address crosses to the thread as a number: a raw pointer is not Sendable, and
        // this one is still needed below should the thread not start.
        let address = UInt(bitPattern: handle)
        do {
            _ = try SocketThread(name: "zmq-ctx-term") {
                if let handle = UnsafeMutableRawPointer(bitPattern: address) { Self.terminate(handle) }
            }
        } catch {
            // No thread to hand the wait to: wait here rather than leak the context.
            Self.terminate(handle)
        }
    }

    /// Shuts the context down without waiting.
    ///
    /// Blocking calls on the context's sockets, in every thread, fail promptly with
    /// ``ZMQError/contextTerminated``, as does every later operation except closing a socket.
    /// Creating a socket afterwards throws that error too. Calling it again does nothing.
    ///
    /// This is the safe way to stop a program from a signal handler's thread.
    ///
    /// The corresponding C function is `zmq_ctx_shutdown`.
    public func shutdown() {
        state.withLock { state in
            guard state == .running else { return }
            state = .shutDown
            zmq_ctx_shutdown(handle)
        }
    }

    /// Shuts the context down and waits until every one of its sockets is closed.
    ///
    /// Blocking calls in other threads fail with ``ZMQError/contextTerminated``; those threads
    /// must then close their sockets for this call to return. Each socket's linger period
    /// applies: the call waits while closed sockets still deliver queued messages. Unlike
    /// releasing the context, which hands this wait to a background thread, it blocks the
    /// caller, so don't call it from async code on a thread of the cooperative pool. Don't
    /// call it while the calling thread still owns an open socket of this context: that
    /// socket cannot close, so the call would wait for ever. Calling it again, or releasing
    /// the context afterwards, does nothing more.
    ///
    /// The corresponding C function is `zmq_ctx_term`, retried when a signal interrupts it.
    public func terminate() {
        let mustTerminate = state.withLock { state -> Bool in
            guard state == .running || state == .shutDown else { return false }
            state = .terminating
            zmq_ctx_shutdown(handle)
            return true
        }
        guard mustTerminate else {
            // Another thread is terminating (or has terminated) the context: wait for it.
            _ = terminated.wait()
            return
        }
        Self.terminate(handle)
        state.withLock { $0 = .terminated }
        terminated.complete(true)
    }

    /// Whether ``shutdown()`` or ``terminate()`` has been called.
    public var isShutDown: Bool { state.withLock { $0 != .running } }

    private static func terminate(_ handle: UnsafeMutableRawPointer) {
        // EINTR is the only error zmq_ctx_term can report for a valid context, and the call
        // must then be repeated.
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    /// Creates a libzmq socket of the given type with the context's ``defaultLinger``, unless
    /// the context is shut down.
    internal func makeSocket(type: CInt) throws(ZMQError) -> UnsafeMutableRawPointer {
        let socket = try state.withLock { (state) throws(ZMQError) -> UnsafeMutableRawPointer in
            guard state == .running else { throw .contextTerminated }
            return try pointerOrError { zmq_socket(handle, type) }
        }
        // libzmq's own default is to linger for ever, which `nil` keeps.
        if let linger = defaultLinger {
            do {
                try SocketOption.linger.format.write(socket, ZMQ_LINGER, linger)
            } catch {
                zmq_close(socket)
                throw error
            }
        }
        return socket
    }

    /// Reads a context option.
    ///
    /// - Parameter option: The option to read, such as ``ContextOption/ioThreads``.
    /// - Returns: The option's current value.
    /// - Throws: ``ZMQError/invalidArgument`` if libzmq does not know the option;
    ///   ``ZMQError/contextTerminated`` once the context is terminated.
    ///
    /// The corresponding C function is `zmq_ctx_get`.
    public func option<Value>(_ option: ContextOption<Value>) throws(ZMQError) -> Value {
        do {
            return option.format.decode(try whileNotTerminated { zmq_ctx_get(handle, option.rawValue) })
        } catch {
            throw error.adding(action: .readOption, option: .init(name: option.name, cName: option.cName))
        }
    }

    /// Reads a read-only context property.
    ///
    /// - Parameter property: The property to read, such as ``ContextProperty/socketLimit``.
    /// - Returns: The property's value.
    /// - Throws: ``ZMQError/invalidArgument`` if libzmq does not know the property;
    ///   ``ZMQError/contextTerminated`` once the context is terminated.
    ///
    /// The corresponding C function is `zmq_ctx_get`.
    public func property<Value>(_ property: ContextProperty<Value>) throws(ZMQError) -> Value {
        do {
            return property.format.decode(try whileNotTerminated { zmq_ctx_get(handle, property.rawValue) })
        } catch {
            throw error.adding(action: .readOption, option: .init(name: property.name, cName: property.cName))
        }
    }

    /// Sets a context option.
    ///
    /// I/O thread options take effect only before the first socket is created.
    ///
    /// - Parameters:
    ///   - option: The option to set, such as ``ContextOption/maxSockets``.
    ///   - value: The new value.
    /// - Throws: ``ZMQError/invalidArgument`` for a value out of range, naming the option and
    ///   the value; ``ZMQError/contextTerminated`` once the context is terminated.
    ///
    /// The corresponding C function is `zmq_ctx_set`.
    public func setOption<Value>(_ option: ContextOption<Value>, _ value: Value) throws(ZMQError) {
        do {
            let raw = try option.format.encode(value)
            _ = try whileNotTerminated { zmq_ctx_set(handle, option.rawValue, raw) }
        } catch {
            throw error.adding(
                action: .setOption, option: .init(name: option.name, cName: option.cName), value: "\(value)")
        }
    }

    /// Runs a libzmq call on the context handle unless the context is being or has been
    /// terminated (`zmq_ctx_term` frees the handle as it returns).
    private func whileNotTerminated(_ body: () -> CInt) throws(ZMQError) -> CInt {
        try state.withLock { (state) throws(ZMQError) -> CInt in
            guard state == .running || state == .shutDown else { throw .contextTerminated }
            return try valueOrError(body)
        }
    }
}
