/// The process's async event thread as a task executor: tasks that prefer it run on that one
/// thread, between its epoll waits, as channels run on their event loop in swift-nio.
///
/// By default a task suspended in an async send or receive is resumed by the event thread
/// on Swift's global executor: a second thread wakes up to run it, and on Linux libdispatch
/// allocates for each such hand-off. A task that prefers this executor is resumed on the
/// event thread itself, the thread that saw its socket become ready: one wake-up instead of
/// two, and no allocation. Use it for a socket's hot loop:
///
/// ```swift
/// try await withTaskExecutorPreference(try AsyncEventLoopExecutor.shared()) {
///     var message = Message()
///     while try await pull.receive(into: &message) {
///         try await push.send(&message)
///     }
/// }
/// ```
///
/// or for a whole task, with `Task(executorPreference:)`. Measured at 64-byte messages
/// (Benchmarks/RESULTS.md), it brings the async path to the blocking one's throughput and
/// latency or better.
///
/// **Everything such a task does runs on the event thread**, which serves every async socket
/// of the process. So it must not block: no blocking socket call (an `await`ed call never
/// blocks), no `Device/stop()`, no `sleep`, no long computation. Child tasks inherit the
/// preference; give CPU-heavy children `Task(executorPreference: globalConcurrentExecutor)`
/// or run them in a plain `Task.detached`. A task that runs here never stalls libzmq (which
/// has its own I/O threads), but it delays the wake-ups of every other async socket for as
/// long as it runs.
///
/// Where async sockets are not supported (there is no epoll), ``shared()`` throws
/// ``ZMQError/notSupported``.
public final class AsyncEventLoopExecutor: TaskExecutor {
    private let loop: EventLoop

    private init(_ loop: EventLoop) {
        self.loop = loop
    }

    /// The executor of the process's event thread, which it starts if need be.
    ///
    /// - Returns: The one executor of the process.
    /// - Throws: The error that kept the event thread from starting (out of threads or file
    ///   descriptors), or ``ZMQError/notSupported`` where there is no epoll.
    public static func shared() throws(ZMQError) -> AsyncEventLoopExecutor {
        try instance.get()
    }

    /// The executor, made with the event thread.
    internal static let instance: Result<AsyncEventLoopExecutor, ZMQError> = EventLoop.shared.map(AsyncEventLoopExecutor.init)

    /// Queues a job to run on the event thread.
    ///
    /// - Parameter job: The job, run on the event thread's next pass.
    public func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job))
    }
}
