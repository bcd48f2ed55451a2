internal import CZeroMQ

/// A value a context option can hold: `Int` or `Bool`.
public protocol ContextOptionValue: Sendable {
    /// Creates the value from libzmq's integer form. Not for direct use.
    init(_contextValue: CInt)
    /// The value in libzmq's integer form, or `nil` when it does not fit. Not for direct use.
    var _contextValue: CInt? { get }
}

extension Int: ContextOptionValue {
    /// Creates the value from libzmq's integer form. Not for direct use.
    public init(_contextValue: CInt) { self = Int(_contextValue) }
    /// The value in libzmq's integer form, or `nil` when it does not fit. Not for direct use.
    public var _contextValue: CInt? { self >= 0 ? CInt(exactly: self) : nil }
}

extension Bool: ContextOptionValue {
    /// Creates the value from libzmq's integer form. Not for direct use.
    public init(_contextValue: CInt) { self = _contextValue != 0 }
    /// The value in libzmq's integer form. Not for direct use.
    public var _contextValue: CInt? { self ? 1 : 0 }
}

/// A typed, settable context option, read with ``Context/option(_:)`` and set with
/// ``Context/setOption(_:_:)``.
public struct ContextOption<Value: ContextOptionValue>: Hashable, Sendable {
    /// The libzmq option number (`ZMQ_IO_THREADS`, …).
    public let rawValue: CInt

    /// Creates an option from its libzmq number; prefer the named options.
    public init(rawValue: CInt) { self.rawValue = rawValue }
}

extension ContextOption where Value == Int {
    /// The size of libzmq's I/O thread pool. The C option is `ZMQ_IO_THREADS`.
    public static var ioThreads: Self { Self(rawValue: ZMQ_IO_THREADS) }
    /// The most sockets the context may hold at once. The C option is `ZMQ_MAX_SOCKETS`.
    public static var maxSockets: Self { Self(rawValue: ZMQ_MAX_SOCKETS) }
    /// The largest message size the context's sockets accept. The C option is `ZMQ_MAX_MSGSZ`.
    public static var maxMessageSize: Self { Self(rawValue: ZMQ_MAX_MSGSZ) }
}

extension ContextOption where Value == Bool {
    /// Whether new sockets use IPv6. The C option is `ZMQ_IPV6`.
    public static var ipv6: Self { Self(rawValue: ZMQ_IPV6) }
    /// Whether `zmq_ctx_term` honours linger (libzmq's default, `true`). The C option is
    /// `ZMQ_BLOCKY`.
    public static var blocky: Self { Self(rawValue: ZMQ_BLOCKY) }
}

/// A typed, read-only context property, read with ``Context/property(_:)``.
public struct ContextProperty<Value: ContextOptionValue>: Hashable, Sendable {
    /// The libzmq option number.
    public let rawValue: CInt

    /// Creates a property from its libzmq number; prefer the named properties.
    public init(rawValue: CInt) { self.rawValue = rawValue }
}

extension ContextProperty where Value == Int {
    /// The largest number of sockets libzmq allows for ``ContextOption/maxSockets``.
    /// The C option is `ZMQ_SOCKET_LIMIT`.
    public static var socketLimit: Self { Self(rawValue: ZMQ_SOCKET_LIMIT) }
    /// The size of a `zmq_msg_t` in bytes. The C option is `ZMQ_MSG_T_SIZE`.
    public static var messageStructSize: Self { Self(rawValue: ZMQ_MSG_T_SIZE) }
}
