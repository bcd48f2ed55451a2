internal import CZeroMQ

/// One event reported by a socket monitor: what happened, on which endpoint, and with which
/// peer.
///
/// Read events with ``SocketMonitor/receiveEvent(_:)`` and match on ``kind``, whose cases
/// carry each event's value with its type:
///
/// ```swift
/// while let event = try monitor.receiveEvent() {
///     switch event.kind {
///     case .accepted:
///         print("client", event.peerAddress ?? "?", "on", event.endpoint)
///     case .handshakeFailed(.authentication(let status)):
///         print("refused with ZAP status", status)
///     case .monitorStopped:
///         return
///     default:
///         print(event)        // "disconnected tcp://127.0.0.1:5555 (fd 12, peer 127.0.0.1:50344)"
///     }
/// }
/// ```
///
/// An event is a value and is safe to share between threads.
///
/// The corresponding C function is `zmq_socket_monitor`, whose events are two frames: the
/// 16-bit event number with a 32-bit value, then the endpoint.
public struct MonitorEvent: Hashable, Sendable {
    /// What happened, with the event's value.
    public var kind: Kind
    /// The endpoint the event concerns, as libzmq reports it.
    ///
    /// A bound endpoint appears resolved (`tcp://0.0.0.0:5555` for `tcp://*:5555`); a connect
    /// endpoint appears as it was given. It is empty for ``Kind/monitorStopped``. libzmq 4.3
    /// reports ``Kind/bindFailed(_:)`` with the address only, without its transport
    /// (`127.0.0.1:5555` for `tcp://127.0.0.1:5555`).
    public var endpoint: String
    /// The peer's address, `host:port` (`[host]:port` for IPv6), for an event on a TCP
    /// connection; `nil` when there is none or the monitor could not tell.
    ///
    /// ``SocketMonitor`` reads it from the connection's file descriptor (`getpeername`) when
    /// it receives ``Kind/connected(fileDescriptor:)`` or ``Kind/accepted(fileDescriptor:)``,
    /// and remembers it for the rest of the connection: for ``Kind/disconnected(fileDescriptor:)``
    /// (libzmq has closed the descriptor by then) and for handshake events, when the endpoint
    /// has only that one connection open. See ``SocketMonitor`` for the limits.
    public var peerAddress: String?

    /// Creates an event, for instance to test code that handles events.
    ///
    /// - Parameters:
    ///   - kind: What happened.
    ///   - endpoint: The endpoint it concerns.
    ///   - peerAddress: The peer's `host:port`, if known.
    public init(kind: Kind, endpoint: String, peerAddress: String? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.peerAddress = peerAddress
    }

    /// What a socket monitor reports, with the value libzmq attaches to each event.
    ///
    /// File descriptors identify a connection or listener; libzmq may have closed the
    /// descriptor by the time the event is read, so use it as an identifier, not to read or
    /// write. Each case belongs to one member of ``MonitorEvents`` (its ``flag``).
    public enum Kind: Hashable, Sendable {
        /// A connection to a peer was made, on this descriptor. The C event is
        /// `ZMQ_EVENT_CONNECTED`.
        case connected(fileDescriptor: Int32)
        /// A connect could not complete at once and goes on in the background. The C event is
        /// `ZMQ_EVENT_CONNECT_DELAYED`.
        case connectDelayed
        /// A connect failed and will be tried again after `interval` (libzmq adds a random
        /// part to ``SocketOption/reconnectInterval``). The C event is
        /// `ZMQ_EVENT_CONNECT_RETRIED`.
        case connectRetried(interval: Duration)
        /// The socket is bound and listens on this descriptor. The C event is
        /// `ZMQ_EVENT_LISTENING`.
        case listening(fileDescriptor: Int32)
        /// A bind failed with this error (also thrown by ``Socket/bind(to:)``). The C event is
        /// `ZMQ_EVENT_BIND_FAILED`.
        case bindFailed(ZMQError)
        /// A connection from a peer was accepted, on this descriptor. The C event is
        /// `ZMQ_EVENT_ACCEPTED`.
        case accepted(fileDescriptor: Int32)
        /// Accepting a connection failed with this error, such as
        /// ``ZMQError/tooManyOpenFiles``. The C event is `ZMQ_EVENT_ACCEPT_FAILED`.
        case acceptFailed(ZMQError)
        /// A listening or connecting descriptor was closed. The C event is
        /// `ZMQ_EVENT_CLOSED`.
        case closed(fileDescriptor: Int32)
        /// Closing a descriptor failed with this error (ipc only). The C event is
        /// `ZMQ_EVENT_CLOSE_FAILED`.
        case closeFailed(ZMQError)
        /// The connection on this descriptor broke, or the peer closed it; libzmq closes the
        /// descriptor. The C event is `ZMQ_EVENT_DISCONNECTED`.
        case disconnected(fileDescriptor: Int32)
        /// Monitoring stopped: the monitor's last event. The C event is
        /// `ZMQ_EVENT_MONITOR_STOPPED`.
        case monitorStopped
        /// A connection's ZMTP handshake (and its security mechanism) succeeded. The C event
        /// is `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`.
        case handshakeSucceeded
        /// A connection's ZMTP handshake failed. The C events are
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`, `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` and
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
        case handshakeFailed(HandshakeFailure)
        /// An event this library does not know, with its raw number and value.
        case unknown(event: UInt16, value: UInt32)

        /// The member of ``MonitorEvents`` that selects this kind of event.
        public var flag: MonitorEvents {
            switch self {
            case .connected: .connected
            case .connectDelayed: .connectDelayed
            case .connectRetried: .connectRetried
            case .listening: .listening
            case .bindFailed: .bindFailed
            case .accepted: .accepted
            case .acceptFailed: .acceptFailed
            case .closed: .closed
            case .closeFailed: .closeFailed
            case .disconnected: .disconnected
            case .monitorStopped: .monitorStopped
            case .handshakeSucceeded: .handshakeSucceeded
            case .handshakeFailed(.noDetail): .handshakeFailedNoDetail
            case .handshakeFailed(.protocol): .handshakeFailedProtocol
            case .handshakeFailed(.authentication): .handshakeFailedAuthentication
            case .unknown(let event, _): MonitorEvents(rawValue: event)
            }
        }

        /// The descriptor the event carries, for the kinds that carry one.
        public var fileDescriptor: Int32? {
            switch self {
            case .connected(let fd), .listening(let fd), .accepted(let fd), .closed(let fd),
                 .disconnected(let fd):
                fd
            default:
                nil
            }
        }

        /// Decodes libzmq's event number and value.
        internal init(event: UInt16, value: UInt32) {
            let fd = Int32(bitPattern: value)
            let error = ZMQError(rawValue: CInt(bitPattern: value))
            switch CInt(event) {
            case ZMQ_EVENT_CONNECTED: self = .connected(fileDescriptor: fd)
            case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed
            case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried(interval: .milliseconds(Int64(value)))
            case ZMQ_EVENT_LISTENING: self = .listening(fileDescriptor: fd)
            case ZMQ_EVENT_BIND_FAILED: self = .bindFailed(error)
            case ZMQ_EVENT_ACCEPTED: self = .accepted(fileDescriptor: fd)
            case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed(error)
            case ZMQ_EVENT_CLOSED: self = .closed(fileDescriptor: fd)
            case ZMQ_EVENT_CLOSE_FAILED: self = .closeFailed(error)
            case ZMQ_EVENT_DISCONNECTED: self = .disconnected(fileDescriptor: fd)
            case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailed(.noDetail(error))
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailed(.protocol(ZMTPError(rawValue: value)))
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailed(.authentication(statusCode: Int(value)))
            default: self = .unknown(event: event, value: value)
            }
        }
    }

    /// Why a ZMTP handshake failed.
    public enum HandshakeFailure: Hashable, Sendable {
        /// The handshake failed without a protocol or authentication error, with this system
        /// error: typically the peer hung up mid-handshake (`EPIPE`, `ECONNRESET`), as a
        /// CURVE client whose server key is wrong sees it. The C event is
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`.
        case noDetail(ZMQError)
        /// A security-mechanism protocol error, between the peers or between the server and
        /// its ZAP handler. The C event is `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
        case `protocol`(ZMTPError)
        /// The ZAP handler refused the peer with this status code: 300 (try again later),
        /// 400 (refused) or 500 (internal error). Both sides report it: the server from its
        /// ZAP handler, the client from the server's ERROR command. The C event is
        /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
        case authentication(statusCode: Int)
    }
}

extension MonitorEvent: CustomStringConvertible {
    /// The event in words: what happened, the endpoint, the details in parentheses and the
    /// reason after a colon, such as "accepted tcp://127.0.0.1:5555 (fd 12, peer
    /// 127.0.0.1:50344)" or "bind failed 127.0.0.1:5555: Address already in use (EADDRINUSE)".
    public var description: String {
        var details: [String] = []
        var reason: String?
        let what: String
        switch kind {
        case .connected(let fd): what = "connected"; details.append("fd \(fd)")
        case .connectDelayed: what = "connect delayed"
        case .connectRetried(let interval):
            what = "connect retried"
            details.append("next attempt in \(interval.roundedUpMilliseconds) ms")
        case .listening(let fd): what = "listening"; details.append("fd \(fd)")
        case .bindFailed(let error): what = "bind failed"; reason = error.description
        case .accepted(let fd): what = "accepted"; details.append("fd \(fd)")
        case .acceptFailed(let error): what = "accept failed"; reason = error.description
        case .closed(let fd): what = "closed"; details.append("fd \(fd)")
        case .closeFailed(let error): what = "close failed"; reason = error.description
        case .disconnected(let fd): what = "disconnected"; details.append("fd \(fd)")
        case .monitorStopped: what = "monitor stopped"
        case .handshakeSucceeded: what = "handshake succeeded"
        case .handshakeFailed(.noDetail(let error)): what = "handshake failed"; reason = error.description
        case .handshakeFailed(.protocol(let error)): what = "handshake failed"; reason = error.description
        case .handshakeFailed(.authentication(let status)):
            what = "handshake failed"
            reason = "authentication refused with ZAP status \(status)"
        case .unknown(let event, let value):
            what = "event 0x" + String(event, radix: 16)
            details.append("value \(value)")
        }
        if let peerAddress { details.append("peer \(peerAddress)") }
        var text = what
        if !endpoint.isEmpty { text += " " + endpoint }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        if let reason { text += ": " + reason }
        return text
    }
}
