extension Device {
    /// Waits, without blocking the thread, until the device ends; cancelling the waiting
    /// task stops the device.
    ///
    /// The async counterpart of ``wait()``. The device forwards on its own thread (libzmq's
    /// proxy is a blocking loop); this only awaits its end. When the waiting task is
    /// cancelled, the device is sent `TERMINATE` through its control socket, and the call
    /// returns once the device has ended and closed its sockets.
    ///
    /// ```swift
    /// let queue = try Device(frontend: frontend, backend: backend)
    /// async let forwarding: Void = queue.wait()       // runs until cancelled
    /// print(await queue.statistics() as Any)           // while it runs
    /// ```
    ///
    /// - Throws: ``ZMQError/contextTerminated`` if the device ended because its context was
    ///   shut down; nothing if it was stopped or the task cancelled.
    ///
    /// The corresponding C function is `zmq_proxy_steerable`, whose return this awaits.
    public func wait() async throws(ZMQError) {
        let steering = self.steering
        let thread = self.thread
        let outcome = await withTaskCancellationHandler {
            await thread.result()
        } onCancel: {
            steering.terminate()
        }
        try outcome.get()
    }

    /// The proxy's message and byte counters so far, asked for without blocking the thread.
    ///
    /// The async counterpart of ``statistics()``, with the same results; calls made while
    /// one is waiting for the proxy's reply share that reply.
    ///
    /// A call that shares another's request waits for that request's end (at most about a
    /// second). After a call that gave up, its late reply can still be on its way, and the
    /// next call may then report those slightly older counters.
    ///
    /// - Returns: The counters, or `nil` if the device has ended or is stopping, gave no reply
    ///   within a second, or the task that sent the request was cancelled while waiting.
    ///
    /// The corresponding C call is the steerable proxy's `STATISTICS` command.
    public func statistics() async -> ProxyStatistics? {
        await steering.statistics()
    }
}

/// Runs a proxy between two sockets until the context is shut down or the calling task is
/// cancelled, without blocking the calling thread.
///
/// The async counterpart of ``proxy(frontend:backend:)``. The sockets move onto a thread of
/// their own, where libzmq's proxy forwards (see ``Device``); the task awaits the end.
/// Cancelling the task stops the proxy through its control socket, and the call returns once
/// the proxy has ended and closed the sockets. To read the proxy's counters while it runs,
/// make a ``Device`` and await its ``Device/wait()-5ythk`` instead.
///
/// ```swift
/// let proxying = Task { try await proxy(frontend: frontend, backend: backend) }
/// …
/// proxying.cancel()       // stops the proxy; the task then ends
/// ```
///
/// - Parameters:
///   - frontend: The socket facing clients; it must have been bound or connected.
///   - backend: The socket facing services; it must have been bound or connected.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down; the errors of
///   ``Device/init(frontend:backend:)``.
///
/// The corresponding C function is `zmq_proxy_steerable`.
public func proxy<Frontend: ReceivingKind, Backend: SendingKind>(
    frontend: consuming sending Socket<Frontend>,
    backend: consuming sending Socket<Backend>
) async throws(ZMQError) {
    let device = try Device(frontend: frontend, backend: backend)
    try await device.wait()
}

/// Runs a proxy between two sockets, copying every forwarded frame to a capture socket,
/// until the context is shut down or the calling task is cancelled, without blocking the
/// calling thread.
///
/// See ``proxy(frontend:backend:)-5t9g5``; the capture socket
/// must never block (a PUB socket), since libzmq sends to it with a blocking send.
///
/// - Parameters:
///   - frontend: The socket facing clients; it must have been bound or connected.
///   - backend: The socket facing services; it must have been bound or connected.
///   - capture: The socket that gets a copy of every forwarded frame.
/// - Throws: ``ZMQError/contextTerminated`` when the context is shut down; the errors of
///   ``Device/init(frontend:backend:capture:)``.
///
/// The corresponding C function is `zmq_proxy_steerable`.
public func proxy<Frontend: ReceivingKind, Backend: SendingKind, Capture: SendingKind>(
    frontend: consuming sending Socket<Frontend>,
    backend: consuming sending Socket<Backend>,
    capture: consuming sending Socket<Capture>
) async throws(ZMQError) {
    let device = try Device(frontend: frontend, backend: backend, capture: capture)
    try await device.wait()
}
