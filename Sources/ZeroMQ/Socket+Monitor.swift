internal import CZeroMQ

/// Connection events a socket monitor reports.
///
/// The corresponding C flags are the `ZMQ_EVENT_*` constants.
public struct MonitorEvents: OptionSet, Hashable, Sendable {
    /// The libzmq event bits.
    public let rawValue: UInt16

    /// Creates events from libzmq's event bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A connection to a peer was made. `ZMQ_EVENT_CONNECTED`.
    public static var connected: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECTED)) }
    /// A connect is in progress. `ZMQ_EVENT_CONNECT_DELAYED`.
    public static var connectDelayed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED)) }
    /// A connect is being retried. `ZMQ_EVENT_CONNECT_RETRIED`.
    public static var connectRetried: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED)) }
    /// A bind succeeded. `ZMQ_EVENT_LISTENING`.
    public static var listening: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_LISTENING)) }
    /// A bind failed. `ZMQ_EVENT_BIND_FAILED`.
    public static var bindFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED)) }
    /// A connection was accepted. `ZMQ_EVENT_ACCEPTED`.
    public static var accepted: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPTED)) }
    /// Accepting a connection failed. `ZMQ_EVENT_ACCEPT_FAILED`.
    public static var acceptFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED)) }
    /// A listening or connecting descriptor was closed. `ZMQ_EVENT_CLOSED`.
    public static var closed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSED)) }
    /// Closing a descriptor failed. `ZMQ_EVENT_CLOSE_FAILED`.
    public static var closeFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSE_FAILED)) }
    /// A session with a peer ended. `ZMQ_EVENT_DISCONNECTED`.
    public static var disconnected: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED)) }
    /// Monitoring stopped. `ZMQ_EVENT_MONITOR_STOPPED`.
    public static var monitorStopped: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED)) }
    /// A ZMTP handshake failed for a reason other than protocol or authentication.
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`.
    public static var handshakeFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) }
    /// A ZMTP handshake succeeded. `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`.
    public static var handshakeSucceeded: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED)) }
    /// A ZMTP handshake failed on a protocol error. `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
    public static var handshakeFailedProtocol: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)) }
    /// A ZMTP handshake failed authentication. `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
    public static var handshakeFailedAuthentication: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)) }
    /// Every event. `ZMQ_EVENT_ALL`.
    public static var all: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ALL)) }
}

/// One event reported by a socket monitor.
public struct MonitorEvent: Hashable, Sendable {
    /// What happened (exactly one bit of ``MonitorEvents``).
    public let event: MonitorEvents
    /// The event's value: a file descriptor, an error number or a retry interval, depending on
    /// the event.
    public let value: UInt32
    /// The endpoint the event concerns.
    public let endpoint: String
}

extension Socket {
    /// Starts reporting connection events to a PAIR socket that connects to `endpoint`.
    ///
    /// Connect a ``PairSocket`` to the same `inproc://` endpoint and read events with
    /// ``Socket/receiveMonitorEvent(_:)``.
    ///
    /// - Parameters:
    ///   - endpoint: An `inproc://` endpoint to publish events on.
    ///   - events: The events to report.
    /// - Throws: ``ZMQError/protocolNotSupported`` for a transport other than `inproc://`.
    ///
    /// The corresponding C function is `zmq_socket_monitor`.
    public func startMonitor(on endpoint: String, events: MonitorEvents = .all) throws(ZMQError) {
        _ = try withEndpoint(endpoint, .monitor) { zmq_socket_monitor(handle, $0, CInt(events.rawValue)) }
    }

    /// Stops reporting connection events.
    ///
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_socket_monitor` with no endpoint.
    public func stopMonitor() throws(ZMQError) {
        _ = try valueOrError { zmq_socket_monitor(handle, nil, 0) }
    }
}

extension Socket where Kind == SocketType.Pair {
    /// Receives one event from a socket monitor (see ``Socket/startMonitor(on:events:)``).
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The event, or `nil` when none was ready.
    /// - Throws: ``ZMQError/invalidArgument`` if the frames are not a monitor event, and the
    ///   errors of receiving.
    public func receiveMonitorEvent(_ flags: ReceiveFlags = []) throws(ZMQError) -> MonitorEvent? {
        var parts = Multipart(capacity: 2)
        guard try receive(into: &parts, flags) else { return nil }
        guard parts.count == 2, parts.size(at: 0) == 6 else { throw .invalidArgument }
        let (event, value) = parts.withUnsafeBytes(at: 0) { bytes in
            (bytes.loadUnaligned(as: UInt16.self), bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        return MonitorEvent(event: MonitorEvents(rawValue: event), value: value, endpoint: parts.string(at: 1))
    }
}
