internal import CZeroMQ

/// A typed, settable context option, read with ``Context/option(_:)`` and set with
/// ``Context/setOption(_:_:)``.
///
/// An option is a value and is safe to share between threads.
public struct ContextOption<Value>: Hashable, Sendable, CustomStringConvertible {
    /// The libzmq option number (`ZMQ_IO_THREADS`, …).
    public let rawValue: CInt

    /// The option's name in this library, such as `"ioThreads"`.
    public let name: String

    /// The option's C name, such as `"ZMQ_IO_THREADS"`.
    public let cName: String

    /// How the value becomes libzmq's `int` and back.
    internal let format: ContextOptionFormat<Value>

    internal init(_ rawValue: CInt, _ name: String, _ cName: String, _ format: ContextOptionFormat<Value>) {
        self.rawValue = rawValue
        self.name = name
        self.cName = cName
        self.format = format
    }

    /// The option's name and C name, such as `ioThreads (ZMQ_IO_THREADS)`.
    public var description: String { "\(name) (\(cName))" }

    /// Options are equal when they have the same libzmq number.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the libzmq number.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension ContextOption where Value == Int {
    /// An option this library does not name, held by libzmq as a non-negative `int`.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .count)
    }

    /// The size of libzmq's I/O thread pool. The C option is `ZMQ_IO_THREADS`.
    public static var ioThreads: Self { Self(ZMQ_IO_THREADS, "ioThreads", "ZMQ_IO_THREADS", .count) }
    /// The most sockets the context may hold at once. The C option is `ZMQ_MAX_SOCKETS`.
    public static var maxSockets: Self { Self(ZMQ_MAX_SOCKETS, "maxSockets", "ZMQ_MAX_SOCKETS", .count) }
    /// The largest message size the context's sockets accept. The C option is `ZMQ_MAX_MSGSZ`.
    public static var maxMessageSize: Self { Self(ZMQ_MAX_MSGSZ, "maxMessageSize", "ZMQ_MAX_MSGSZ", .count) }
}

extension ContextOption where Value == Bool {
    /// An option this library does not name, held by libzmq as an `int` that is 0 or 1.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .bool)
    }

    /// Whether new sockets use IPv6. The C option is `ZMQ_IPV6`.
    public static var ipv6: Self { Self(ZMQ_IPV6, "ipv6", "ZMQ_IPV6", .bool) }
    /// Whether `zmq_ctx_term` honours linger (libzmq's default, `true`). The C option is
    /// `ZMQ_BLOCKY`.
    public static var blocky: Self { Self(ZMQ_BLOCKY, "blocky", "ZMQ_BLOCKY", .bool) }
}

/// A typed, read-only context property, read with ``Context/property(_:)``.
///
/// A property is a value and is safe to share between threads.
public struct ContextProperty<Value>: Hashable, Sendable, CustomStringConvertible {
    /// The libzmq option number.
    public let rawValue: CInt

    /// The property's name in this library, such as `"socketLimit"`.
    public let name: String

    /// The property's C name, such as `"ZMQ_SOCKET_LIMIT"`.
    public let cName: String

    /// How the value is read from libzmq's `int`.
    internal let format: ContextOptionFormat<Value>

    internal init(_ rawValue: CInt, _ name: String, _ cName: String, _ format: ContextOptionFormat<Value>) {
        self.rawValue = rawValue
        self.name = name
        self.cName = cName
        self.format = format
    }

    /// The property's name and C name, such as `socketLimit (ZMQ_SOCKET_LIMIT)`.
    public var description: String { "\(name) (\(cName))" }

    /// Properties are equal when they have the same libzmq number.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the libzmq number.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension ContextProperty where Value == Int {
    /// The largest number of sockets libzmq allows for ``ContextOption/maxSockets``.
    /// The C option is `ZMQ_SOCKET_LIMIT`.
    public static var socketLimit: Self { Self(ZMQ_SOCKET_LIMIT, "socketLimit", "ZMQ_SOCKET_LIMIT", .count) }
    /// The size of a `zmq_msg_t` in bytes. The C option is `ZMQ_MSG_T_SIZE`.
    public static var messageStructSize: Self { Self(ZMQ_MSG_T_SIZE, "messageStructSize", "ZMQ_MSG_T_SIZE", .count) }
}

/// How a context option's value becomes libzmq's `int` (`zmq_ctx_set` takes nothing else)
/// and back.
internal struct ContextOptionFormat<Value>: Sendable {
    /// The value from libzmq's `int`.
    let decode: @Sendable (CInt) -> Value
    /// libzmq's `int` for the value; throws the reason when it has none.
    let encode: @Sendable (Value) throws(ZMQError) -> CInt
}

extension ContextOptionFormat where Value == Int {
    /// A non-negative `int`.
    static var count: Self {
        Self(decode: { Int($0) }, encode: { value throws(ZMQError) in
            guard value >= 0 else { throw ZMQError(.invalidArgument, reason: "must not be negative") }
            guard let raw = CInt(exactly: value) else {
                throw ZMQError(.invalidArgument, reason: "must be at most \(CInt.max)")
            }
            return raw
        })
    }
}

extension ContextOptionFormat where Value == Bool {
    /// An `int` that is 0 or 1.
    static var bool: Self {
        Self(decode: { $0 != 0 }, encode: { $0 ? 1 : 0 })
    }
}
