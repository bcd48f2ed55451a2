/// A typed, settable socket option, used with ``Socket/setOption(_:_:)-(SocketOption<Value>,Value)`` and
/// ``Socket/option(_:)``.
///
/// Options are static members, so the value type is inferred:
///
/// ```swift
/// try socket.setOption(.linger, .milliseconds(100))
/// try socket.setOption(.receiveHighWaterMark, 10_000)
/// let timeout = try socket.option(.receiveTimeout)   // Duration?
/// ```
///
/// Each option carries its own wire format (how libzmq stores it: a C `int`, an `int64_t`,
/// milliseconds or seconds, bytes with a length limit), the way cppzmq's option tags do, so
/// the value types themselves know nothing about libzmq. An error from setting or reading an
/// option names the option, and the rejected value unless it is a secret.
///
/// Durations are sent to libzmq in whole milliseconds (a few options in seconds; see each),
/// rounded up, so that a positive duration never becomes zero ("don't wait"): 500 µs waits
/// 1 ms and 1.9 ms waits 2 ms. libzmq holds them in a C `int`, so the longest is
/// 2,147,483,647 ms (about 24 days and 20 hours); a longer one throws
/// ``ZMQError/invalidArgument`` naming the option. Use `nil` to wait for ever.
///
/// An option is a value and is safe to share between threads.
public struct SocketOption<Value>: Hashable, Sendable, CustomStringConvertible {
    /// The libzmq option number (`ZMQ_LINGER`, …).
    public let rawValue: CInt

    /// The option's name in this library, such as `"linger"`.
    public let name: String

    /// The option's C name, such as `"ZMQ_LINGER"`.
    public let cName: String

    /// How the value travels to and from libzmq.
    internal let format: OptionFormat<Value>

    internal init(_ rawValue: CInt, _ name: String, _ cName: String, _ format: OptionFormat<Value>) {
        self.rawValue = rawValue
        self.name = name
        self.cName = cName
        self.format = format
    }

    /// The option's name and C name, such as `linger (ZMQ_LINGER)`.
    public var description: String { "\(name) (\(cName))" }

    /// Options are equal when they have the same libzmq number.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the libzmq number.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    internal var errorName: ErrorContext.OptionName { .init(name: name, cName: cName) }
}

/// A typed, read-only socket property, used with ``Socket/property(_:)``.
///
/// Setting a property does not compile.
///
/// A property is a value and is safe to share between threads.
public struct SocketProperty<Value>: Hashable, Sendable, CustomStringConvertible {
    /// The libzmq option number (`ZMQ_TYPE`, …).
    public let rawValue: CInt

    /// The property's name in this library, such as `"lastEndpoint"`.
    public let name: String

    /// The property's C name, such as `"ZMQ_LAST_ENDPOINT"`.
    public let cName: String

    /// How the value is read from libzmq.
    internal let format: OptionFormat<Value>

    internal init(_ rawValue: CInt, _ name: String, _ cName: String, _ format: OptionFormat<Value>) {
        self.rawValue = rawValue
        self.name = name
        self.cName = cName
        self.format = format
    }

    /// The property's name and C name, such as `lastEndpoint (ZMQ_LAST_ENDPOINT)`.
    public var description: String { "\(name) (\(cName))" }

    /// Properties are equal when they have the same libzmq number.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the libzmq number.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

// MARK: - Options libzmq has and this library does not name

extension SocketOption where Value == Int {
    /// An option this library does not name, held by libzmq as a C `int`.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .integer)
    }
}

extension SocketOption where Value == Bool {
    /// An option this library does not name, held by libzmq as a C `int` that is 0 or 1.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .bool)
    }
}

extension SocketOption where Value == [UInt8] {
    /// An option this library does not name, held by libzmq as bytes.
    ///
    /// The library can't tell whether such an option holds a secret (a key, a password), so
    /// its value never appears in an error.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .bytes.secret)
    }
}

extension SocketOption where Value == String {
    /// An option this library does not name, held by libzmq as a string.
    ///
    /// The library can't tell whether such an option holds a secret (a key, a password), so
    /// its value never appears in an error.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .string.secret)
    }
}

extension SocketProperty where Value == Int {
    /// A property this library does not name, held by libzmq as a C `int`.
    ///
    /// - Parameters:
    ///   - rawValue: The libzmq option number.
    ///   - name: A name for error messages; the number by default.
    public init(rawValue: CInt, name: String? = nil) {
        self.init(rawValue, name ?? "option \(rawValue)", "option \(rawValue)", .integer)
    }
}

// MARK: - Setting and reading

extension Socket {
    /// Sets a socket option.
    ///
    /// - Parameters:
    ///   - option: The option, such as ``SocketOption/linger``.
    ///   - value: The new value.
    /// - Throws: ``ZMQError/invalidArgument`` when the value is out of range (a negative
    ///   high-water mark, a negative duration or one longer than libzmq holds, a routing id
    ///   starting with a zero byte) or the option does not apply to this socket type;
    ///   ``ZMQError/contextTerminated``. The error names the option and, unless it is a
    ///   secret, the value.
    ///
    /// The corresponding C function is `zmq_setsockopt`.
    public func setOption<Value>(_ option: SocketOption<Value>, _ value: Value) throws(ZMQError) {
        do {
            try option.format.write(handle, option.rawValue, value)
        } catch {
            throw error.adding(action: .setOption, option: option.errorName, value: option.format.describe?(value))
        }
    }

    /// Sets a bytes option, such as ``SocketOption/routingID``, to a string's UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - option: The option.
    ///   - value: The new value, as text.
    /// - Throws: The errors of ``setOption(_:_:)``.
    ///
    /// The corresponding C function is `zmq_setsockopt`.
    public func setOption(_ option: SocketOption<[UInt8]>, _ value: String) throws(ZMQError) {
        try setOption(option, Array(value.utf8))
    }

    /// Reads a socket option.
    ///
    /// - Parameter option: The option, such as ``SocketOption/receiveTimeout``.
    /// - Returns: The option's current value.
    /// - Throws: ``ZMQError/invalidArgument`` at once for a write-only option (such as
    ///   ``SocketOption/connectRoutingID``) or one this socket type doesn't have;
    ///   ``ZMQError/contextTerminated``. The error names the option.
    ///
    /// The corresponding C function is `zmq_getsockopt`.
    public func option<Value>(_ option: SocketOption<Value>) throws(ZMQError) -> Value {
        do {
            return try option.format.read(handle, option.rawValue)
        } catch {
            throw error.adding(action: .readOption, option: option.errorName)
        }
    }

    /// Reads a read-only socket property.
    ///
    /// - Parameter property: The property, such as ``SocketProperty/lastEndpoint``.
    /// - Returns: The property's value.
    /// - Throws: ``ZMQError/contextTerminated`` and the errors `zmq_getsockopt` reports; the
    ///   error names the property.
    ///
    /// The corresponding C function is `zmq_getsockopt`.
    public func property<Value>(_ property: SocketProperty<Value>) throws(ZMQError) -> Value {
        do {
            return try property.format.read(handle, property.rawValue)
        } catch {
            throw error.adding(action: .readOption, option: .init(name: property.name, cName: property.cName))
        }
    }
}
