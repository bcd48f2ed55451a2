internal import CZeroMQ

extension Socket {
    /// Starts monitoring the socket's connection events and returns the monitor to read them
    /// from, already connected.
    ///
    /// This is the safe way to monitor a socket (pyzmq's `get_monitor_socket()`): the
    /// monitor's reader is connected before libzmq publishes anything, so no event is missed
    /// and libzmq never waits for a reader. Call it before `bind` or `connect` to see those
    /// events too.
    ///
    /// ```swift
    /// var monitor = try server.monitor(events: [.accepted, .disconnected])
    /// try server.bind(to: "tcp://127.0.0.1:*")
    /// ```
    ///
    /// The monitor always reports ``MonitorEvent/Kind/monitorStopped`` as its last event (see
    /// ``SocketMonitor``). A socket has at most one monitor at a time: starting another one,
    /// here or with ``startMonitor(on:events:)``, stops this one. libzmq reports no connection
    /// events for `inproc://` endpoints.
    ///
    /// - Parameter events: The events to report; every event by default.
    /// - Returns: The monitor, which owns its reading socket.
    /// - Throws: ``ZMQError/contextTerminated`` if the context is shut down,
    ///   ``ZMQError/tooManyOpenFiles`` if the context holds ``ContextOption/maxSockets``
    ///   sockets already (the monitor needs two).
    ///
    /// The corresponding C function is `zmq_socket_monitor`.
    public func monitor(events: MonitorEvents = .all) throws(ZMQError) -> sending SocketMonitor {
        // Built from Sendable values only (the socket's address as a number), so the monitor
        // is a value of its own that may move to another task than this socket's.
        try SocketMonitor(monitoring: UInt(bitPattern: handle), context: context, events: events)
    }

    /// Starts publishing the socket's connection events on an `inproc://` endpoint, for a
    /// ``PairSocket`` of your own to read.
    ///
    /// Prefer ``monitor(events:)``, which returns a monitor that cannot fall into the traps
    /// below. With this call, read the events with ``Socket/receiveMonitorEvent(_:)`` on a
    /// ``PairSocket`` that connects to `endpoint`, and mind libzmq's rules:
    ///
    /// - **Connect the reader before anything happens.** libzmq delivers each event with a
    ///   blocking send: until a reader is connected, the thread that reports an event waits.
    ///   A `bind` right after this call (which reports ``MonitorEvents/listening``) blocks for
    ///   ever, and an event from libzmq's I/O thread stalls every connection that thread
    ///   serves. The same happens once the reader's queue holds about two thousand events
    ///   (over inproc, libzmq adds the reader's ``SocketOption/receiveHighWaterMark`` to the
    ///   monitor's own, 1,000 each by default), so read promptly or set that option to 0 (no
    ///   limit) before connecting the reader.
    /// - **Stop monitoring before closing the reader.** After the reader is gone, the next
    ///   event blocks libzmq the same way. Call ``stopMonitor()`` (or close the monitored
    ///   socket) first, and read until ``MonitorEvent/Kind/monitorStopped``.
    ///
    /// ``MonitorEvents/monitorStopped`` is always added to `events`, so that stopping the
    /// monitor wakes a reader blocked in a receive. Starting a monitor stops the previous one.
    /// libzmq reports no connection events for `inproc://` endpoints.
    ///
    /// - Parameters:
    ///   - endpoint: An `inproc://` endpoint to publish events on; libzmq binds it.
    ///   - events: The events to report.
    /// - Throws: ``ZMQError/protocolNotSupported`` for a transport other than `inproc://`,
    ///   ``ZMQError/addressInUse`` if the endpoint is already bound,
    ///   ``ZMQError/invalidArgument`` for a malformed endpoint,
    ///   ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_socket_monitor`.
    public func startMonitor(on endpoint: String, events: MonitorEvents = .all) throws(ZMQError) {
        let requested = events.union(.monitorStopped)
        _ = try withEndpoint(endpoint, .monitor) { zmq_socket_monitor(handle, $0, CInt(requested.rawValue)) }
    }

    /// Stops monitoring the socket.
    ///
    /// The monitor's reader receives ``MonitorEvent/Kind/monitorStopped`` as its last event;
    /// a reader blocked in a receive wakes up. The call does nothing when the socket is not
    /// monitored.
    ///
    /// With ``startMonitor(on:events:)``, call it while the reader is still connected: libzmq
    /// sends that last event with a blocking send, so with no reader this call waits until
    /// the context is shut down. A ``SocketMonitor`` is always connected.
    ///
    /// - Throws: ``ZMQError/contextTerminated`` if the context is shut down (which has
    ///   stopped the monitor already).
    ///
    /// The corresponding C function is `zmq_socket_monitor` with no endpoint.
    public func stopMonitor() throws(ZMQError) {
        _ = try valueOrError { zmq_socket_monitor(handle, nil, 0) }
    }
}

extension Socket where Kind == SocketType.Pair {
    /// Receives one event published by ``Socket/startMonitor(on:events:)``.
    ///
    /// The event's ``MonitorEvent/peerAddress`` is read from the descriptor of a
    /// ``MonitorEvent/Kind/connected(fileDescriptor:)`` or
    /// ``MonitorEvent/Kind/accepted(fileDescriptor:)`` TCP connection when it is received;
    /// this call keeps no state, so other events carry none (``SocketMonitor`` remembers it
    /// for the connection's later events).
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The event, or `nil` when none was ready (with ``ReceiveFlags/dontWait``, or
    ///   when ``SocketOption/receiveTimeout`` expired).
    /// - Throws: ``ZMQError/invalidArgument`` if the message received is not a monitor event
    ///   (it is consumed), and the errors of receiving, such as
    ///   ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_msg_recv`, once per frame.
    public func receiveMonitorEvent(_ flags: ReceiveFlags = []) throws(ZMQError) -> MonitorEvent? {
        var frames = Multipart(capacity: 2)
        guard let raw = try RawMonitorEvent.receive(on: handle, into: &frames, flags: flags.rawValue) else {
            return nil
        }
        let kind = MonitorEvent.Kind(event: raw.event, value: raw.value)
        return MonitorEvent(
            kind: kind,
            endpoint: raw.endpoint,
            peerAddress: PeerTracker.peerAddress(of: kind, endpoint: raw.endpoint)
        )
    }
}
