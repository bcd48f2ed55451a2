internal import CZeroMQ

extension SocketMonitor {
    /// Receives the next event, suspending the task (not blocking its thread) until one
    /// arrives.
    ///
    /// The async counterpart of ``receiveEvent(_:)``, with the same results: the last event
    /// is always ``MonitorEvent/Kind/monitorStopped``, after which the call returns `nil`.
    ///
    /// - Returns: The event, or `nil` once monitoring has stopped, or when the monitor's
    ///   socket's ``SocketOption/receiveTimeout`` passed with no event.
    /// - Throws: `CancellationError` when the task is cancelled while waiting (an event that
    ///   arrives stays queued for the next call); ``ZMQError/invalidArgument`` when a message
    ///   received is not a monitor event.
    public mutating func receiveEvent() async throws -> MonitorEvent? {
        while true {
            if let event = try receiveEventNow() { return event }
            if isStopped { return nil }
            let woken = try await socket.owner.retryWhenReady(.readable) { () throws(ZMQError) -> Bool? in
                try getInt32(socket.handle, ZMQ_EVENTS) & CInt(ZMQ_POLLIN) != 0 ? true : nil
            }
            if woken == nil { return nil }
        }
    }

    /// The blocking call with ``ReceiveFlags/dontWait``, named apart so that async code can
    /// reach it.
    private mutating func receiveEventNow() throws(ZMQError) -> MonitorEvent? {
        try receiveEvent(.dontWait)
    }
}

/// A monitor's events as an asynchronous sequence, in the order libzmq reported them, ending
/// after ``MonitorEvent/Kind/monitorStopped``. Make one with ``Socket/monitorEvents(_:)``, or
/// from a monitor with ``init(_:)``.
///
/// It pulls: each step receives one event when the loop asks for it. When the loop's task
/// is cancelled, the step waiting throws `CancellationError`. The sequence belongs to one
/// task at a time, like the monitor it owns.
public struct MonitorEventSequence: AsyncSequence {
    /// A typed monitor event.
    public typealias Element = MonitorEvent
    /// `CancellationError` or a ``ZMQError``.
    public typealias Failure = any Error

    /// Holds the noncopyable monitor for the copyable sequence and its iterators, which all
    /// read the same monitor.
    internal final class Storage {
        var monitor: SocketMonitor
        init(_ monitor: consuming SocketMonitor) { self.monitor = monitor }
    }

    internal let storage: Storage

    /// Turns a monitor into the sequence of its events.
    ///
    /// ```swift
    /// let monitor = try server.monitor(events: [.accepted, .disconnected])
    /// let events = MonitorEventSequence(monitor)
    /// try server.bind(to: "tcp://127.0.0.1:*")
    /// Task {
    ///     for try await event in events { log(event) }      // ends when monitoring stops
    /// }
    /// ```
    ///
    /// The sequence owns the monitor. It may move to another task than the monitored
    /// socket's, since it reads only the monitor's own socket. Dropping it before the end
    /// drops the monitor, which never blocks libzmq (see ``SocketMonitor``).
    ///
    /// - Parameter monitor: The monitor to read.
    public init(_ monitor: consuming sending SocketMonitor) {
        storage = Storage(monitor)
    }

    /// Creates the sequence's iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(storage: storage) }

    /// Receives the events one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        internal let storage: Storage

        /// Receives the next event, waiting without blocking the thread.
        ///
        /// - Returns: The event, or `nil` after ``MonitorEvent/Kind/monitorStopped``.
        /// - Throws: `CancellationError` when the task is cancelled; the errors of
        ///   ``SocketMonitor/receiveEvent()``.
        public mutating func next() async throws -> MonitorEvent? {
            try Task.checkCancellation()
            return try await storage.monitor.receiveEvent()
        }

        /// Receives the next event, waiting without blocking the thread.
        ///
        /// - Parameter actor: The caller's isolation, which the wait keeps.
        /// - Returns: The event, or `nil` after ``MonitorEvent/Kind/monitorStopped``.
        /// - Throws: `CancellationError` when the task is cancelled; the errors of
        ///   ``SocketMonitor/receiveEvent()``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> MonitorEvent? {
            try await next()
        }
    }
}

extension Socket {
    /// Starts monitoring the socket and returns its events as an asynchronous sequence.
    ///
    /// The same as `MonitorEventSequence(try monitor(events: events))`; see
    /// ``monitor(events:)`` and ``MonitorEventSequence``.
    ///
    /// ```swift
    /// let events = try client.monitorEvents([.connected, .disconnected])
    /// try client.connect(to: "tcp://127.0.0.1:5555")
    /// for try await event in events {
    ///     print(event)            // connected …, disconnected …, monitor stopped
    /// }
    /// ```
    ///
    /// - Parameter events: The events to report; every event by default.
    /// - Returns: The sequence, which ends after ``MonitorEvent/Kind/monitorStopped``.
    /// - Throws: The errors of ``monitor(events:)``.
    ///
    /// The corresponding C function is `zmq_socket_monitor`.
    public func monitorEvents(_ events: MonitorEvents = .all) throws(ZMQError) -> sending MonitorEventSequence {
        MonitorEventSequence(try monitor(events: events))
    }
}
