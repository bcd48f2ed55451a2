internal import CZeroMQ

/// The connection events a socket monitor can report, as a set.
///
/// Pass a set to ``Socket/monitor(events:)`` or ``Socket/startMonitor(on:events:)`` to choose
/// what to hear about; each ``MonitorEvent/Kind`` belongs to one member (its
/// ``MonitorEvent/Kind/flag``). Printing a set shows the members' names, such as
/// `[.connected, .accepted]`, and bits this library has no name for in hexadecimal.
///
/// A set of events is a value and is safe to share between threads.
///
/// The corresponding C flags are the `ZMQ_EVENT_*` constants.
public struct MonitorEvents: OptionSet, Hashable, Sendable {
    /// The libzmq event bits.
    public let rawValue: UInt16

    /// Creates events from libzmq's event bits.
    ///
    /// - Parameter rawValue: A combination of `ZMQ_EVENT_*` bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A connection to a peer was made. The C flag is `ZMQ_EVENT_CONNECTED`.
    public static var connected: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECTED)) }
    /// A connect could not complete at once and goes on in the background. The C flag is
    /// `ZMQ_EVENT_CONNECT_DELAYED`.
    public static var connectDelayed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED)) }
    /// A connect failed and will be retried. The C flag is `ZMQ_EVENT_CONNECT_RETRIED`.
    public static var connectRetried: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED)) }
    /// A bind succeeded. The C flag is `ZMQ_EVENT_LISTENING`.
    public static var listening: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_LISTENING)) }
    /// A bind failed. The C flag is `ZMQ_EVENT_BIND_FAILED`.
    public static var bindFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED)) }
    /// A connection from a peer was accepted. The C flag is `ZMQ_EVENT_ACCEPTED`.
    public static var accepted: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPTED)) }
    /// Accepting a connection failed. The C flag is `ZMQ_EVENT_ACCEPT_FAILED`.
    public static var acceptFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED)) }
    /// A listening or connecting descriptor was closed. The C flag is `ZMQ_EVENT_CLOSED`.
    public static var closed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSED)) }
    /// Closing a descriptor failed. The C flag is `ZMQ_EVENT_CLOSE_FAILED`.
    public static var closeFailed: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_CLOSE_FAILED)) }
    /// A connection to a peer broke. The C flag is `ZMQ_EVENT_DISCONNECTED`.
    public static var disconnected: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED)) }
    /// Monitoring stopped. A monitor always reports it, as its last event, whether or not the
    /// set asks for it. The C flag is `ZMQ_EVENT_MONITOR_STOPPED`.
    public static var monitorStopped: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED)) }
    /// A ZMTP handshake succeeded. The C flag is `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`.
    public static var handshakeSucceeded: MonitorEvents {
        MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
    }
    /// A ZMTP handshake failed for a reason other than a protocol or authentication error,
    /// such as the peer hanging up. The C flag is `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`.
    public static var handshakeFailedNoDetail: MonitorEvents {
        MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
    }
    /// A ZMTP handshake failed on a protocol error, between the peers or between the server
    /// and its ZAP handler. The C flag is `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`.
    public static var handshakeFailedProtocol: MonitorEvents {
        MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
    }
    /// A ZMTP handshake failed authentication: the ZAP handler refused the peer. The C flag is
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`.
    public static var handshakeFailedAuthentication: MonitorEvents {
        MonitorEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
    }
    /// Every way a ZMTP handshake can fail: ``handshakeFailedNoDetail``,
    /// ``handshakeFailedProtocol`` and ``handshakeFailedAuthentication``.
    public static var handshakeFailed: MonitorEvents {
        [.handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuthentication]
    }
    /// Every event, including any a later libzmq adds. The C flag is `ZMQ_EVENT_ALL`.
    public static var all: MonitorEvents { MonitorEvents(rawValue: UInt16(ZMQ_EVENT_ALL)) }
}

extension MonitorEvents: CustomStringConvertible {
    /// The members' names as an option-set literal, such as `[.connected, .accepted]`;
    /// `[.all]` for ``all``, and unnamed bits in hexadecimal (`[.listening, 0x8000]`).
    public var description: String {
        if self == .all { return "[.all]" }
        return describeOptionSet(UInt64(rawValue), names: [
            (UInt64(ZMQ_EVENT_CONNECTED), "connected"),
            (UInt64(ZMQ_EVENT_CONNECT_DELAYED), "connectDelayed"),
            (UInt64(ZMQ_EVENT_CONNECT_RETRIED), "connectRetried"),
            (UInt64(ZMQ_EVENT_LISTENING), "listening"),
            (UInt64(ZMQ_EVENT_BIND_FAILED), "bindFailed"),
            (UInt64(ZMQ_EVENT_ACCEPTED), "accepted"),
            (UInt64(ZMQ_EVENT_ACCEPT_FAILED), "acceptFailed"),
            (UInt64(ZMQ_EVENT_CLOSED), "closed"),
            (UInt64(ZMQ_EVENT_CLOSE_FAILED), "closeFailed"),
            (UInt64(ZMQ_EVENT_DISCONNECTED), "disconnected"),
            (UInt64(ZMQ_EVENT_MONITOR_STOPPED), "monitorStopped"),
            (UInt64(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), "handshakeFailedNoDetail"),
            (UInt64(ZMQ_EVENT_HANDSHAKE_SUCCEEDED), "handshakeSucceeded"),
            (UInt64(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), "handshakeFailedProtocol"),
            (UInt64(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), "handshakeFailedAuthentication"),
        ])
    }
}

/// Formats an option set's bits as an option-set literal: the named members in the order
/// given, then any remaining bits in hexadecimal, such as `[.readable, 0x40]`.
///
/// Shared by the option sets' `description`s (``MonitorEvents``, ``PollEvents``).
internal func describeOptionSet(_ bits: UInt64, names: [(bits: UInt64, name: String)]) -> String {
    var remaining = bits
    var parts: [String] = []
    for (member, name) in names where member != 0 && bits & member == member {
        parts.append("." + name)
        remaining &= ~member
    }
    if remaining != 0 { parts.append("0x" + String(remaining, radix: 16)) }
    return "[" + parts.joined(separator: ", ") + "]"
}
