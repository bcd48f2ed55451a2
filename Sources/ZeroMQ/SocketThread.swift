/// A closure running on a thread of its own, which owns the sockets the closure captured.
///
/// A socket has one owner at a time. It can move into a `Task`, but not onto a `Thread`,
/// whose closure must be `@Sendable`, and a socket is not `Sendable`. `SocketThread` takes a
/// `sending` closure instead: the compiler checks that whatever the closure captures,
/// sockets included, is not used again by the code that started the thread. So a ROUTER
/// bound on the main thread can be handed to the thread that serves it:
///
/// ```swift
/// let router = try RouterSocket(context: context)
/// try router.bind(to: "tcp://*:5555")
/// let server = try SocketThread(name: "server") { [router = consume router] () throws(ZMQError) -> Int in
///     var served = 0
///     var request = Multipart()
///     while try router.receive(into: &request) {
///         try router.send(&request)
///         served += 1
///     }
///     return served
/// }
/// …
/// context.shutdown()                // the receive throws .contextTerminated
/// let served = try server.join()    // rethrows it, typed
/// ```
///
/// Using a socket after handing it over does not compile. The compiler reports "sending value
/// of non-Sendable type '() throws(ZMQError) -> Int' risks causing data races", naming the
/// closure's type (`'() -> ()'` for a closure that takes, returns and throws nothing), and,
/// after a consume capture, also "'router' used after consume". The thread starts behind a
/// full memory barrier (`pthread_create`), which is what libzmq asks of a socket that
/// changes threads.
///
/// Capture sockets with a consume capture list, as `[router = consume router]` above: the
/// closure then owns them outright. A plain capture compiles too and is checked just the
/// same, but the variable stays shared with the scope that declared it, so the socket is
/// closed only once that scope has ended as well as the thread.
///
/// When the closure returns or throws, it is released, and with it every socket it owned
/// (each is closed, with its linger applying in the background), before ``join()``,
/// ``join(timeout:)`` or ``value()`` report the outcome and ``isFinished`` turns true. Wait
/// for the outcome with ``join()`` (blocking), ``join(timeout:)`` (blocking at most that
/// long) or `await` ``value()``, which suspends without holding a thread of Swift's
/// cooperative pool.
///
/// Releasing a `SocketThread` neither stops nor waits for its thread: the closure runs to its
/// end. There is no way to cancel a thread from outside; end blocking work the way libzmq
/// offers, for example with ``Context/shutdown()`` or a steerable proxy's
/// ``ProxyCommand/terminate``.
///
/// The thread inherits the signal mask of the thread that creates it.
///
/// A `SocketThread` is thread safe: any thread or task may wait for it or read its state.
public final class SocketThread<Success: Sendable, Failure: Error>: Sendable {
    /// The name given to the thread, as passed to ``init(name:_:)``; `nil` if none.
    ///
    /// The system may keep only the start of it (15 bytes on Linux).
    public let name: String?

    private let completion = Completion<Result<Success, Failure>>()

    /// Starts `body` on a new thread, which takes ownership of everything `body` captures.
    ///
    /// - Parameters:
    ///   - name: A name for the thread, shown by debuggers, `top -H` and crash reports. The
    ///     system keeps at most 15 bytes of it on Linux (63 on Darwin), cut at a character
    ///     boundary.
    ///   - body: The work. What it returns or throws (typed as `Failure`) comes back from
    ///     ``join()`` and ``value()``.
    /// - Throws: ``ZMQError/tooManyThreads`` if the system can't create another thread (the
    ///   `EAGAIN` of `pthread_create`), ``ZMQError/invalidArgument`` if `name` contains a NUL
    ///   byte, or another error number `pthread_create` reports. `body` then never runs; it
    ///   is released, so the sockets it owned (by a consume capture) are closed.
    ///
    /// The corresponding C function is `pthread_create`.
    public init(
        name: String? = nil,
        _ body: sending @escaping () throws(Failure) -> Success
    ) throws(ZMQError) {
        if let name, name.utf8.contains(0) {
            throw ZMQError(.invalidArgument, context: ErrorContext(
                action: .call("start a thread"), reason: "a thread name must not contain a NUL byte"))
        }
        self.name = name
        let completion = self.completion
        try startThread(named: name) { () -> () -> Void in
            let result = Result<Success, Failure>(catching: body)
            return { completion.complete(result) }
        }
    }

    /// Blocks until the thread has finished, then returns what its closure returned.
    ///
    /// Any number of threads may join, at any time, as often as they like; all get the same
    /// outcome. Don't call it from async code, where it would hold a thread of the
    /// cooperative pool: `await` ``value()`` instead. Called from the thread's own closure, it
    /// would wait for ever.
    ///
    /// - Returns: The closure's result.
    /// - Throws: The error the closure threw.
    public func join() throws(Failure) -> Success {
        try completion.wait().get()
    }

    /// Blocks until the thread has finished or `timeout` has passed.
    ///
    /// - Parameter timeout: The longest to wait; zero or less only looks, and anything beyond
    ///   a century waits a century.
    /// - Returns: The closure's outcome, what it returned or threw, or `nil` if it is still
    ///   running.
    public func join(timeout: Duration) -> Result<Success, Failure>? {
        completion.wait(timeout: timeout)
    }

    /// Suspends until the thread has finished, then returns what its closure returned.
    ///
    /// This is ``join()`` for async code: the task suspends without blocking its thread (a
    /// thread of Swift's cooperative pool), and the finishing thread resumes it. Cancelling
    /// the awaiting task does not end the wait, nor the thread.
    ///
    /// - Returns: The closure's result.
    /// - Throws: The error the closure threw.
    public func value() async throws(Failure) -> Success {
        // A method rather than a `value` property like `Task`'s: Swift 6.3's compiler crashes
        // on a typed-throws getter whose error type is `Never` used in a throwing closure.
        try await completion.value().get()
    }

    /// Suspends until the thread has finished, then returns its closure's outcome.
    internal func result() async -> Result<Success, Failure> {
        await completion.value()
    }

    /// Whether the closure has returned or thrown and its captures have been released.
    public var isFinished: Bool {
        completion.result != nil
    }
}
