internal import CZeroMQ

/// A value a socket option can hold.
///
/// The library provides the conformances: `Int`, `Bool`, `Duration`, `[UInt8]`, `String`,
/// ``CurveKey``, ``PollEvents``, ``SocketTypeCode``, `Int32`, and `Optional` of `Int`, `Bool`
/// and `Duration` (for options where libzmq's `-1` means "none" or "for ever").
public protocol SocketOptionValue: Sendable {
    /// Reads the option from a libzmq socket. Not for direct use.
    static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Self
    /// Writes the option to a libzmq socket. Not for direct use.
    func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError)
}

/// A socket option value whose absence libzmq spells `-1`, so that `Optional` of it is an
/// option value too.
public protocol NegativeOneMeansNoneValue: SocketOptionValue {}

/// A typed, settable socket option, used with ``Socket/setOption(_:_:)`` and
/// ``Socket/option(_:)``.
///
/// Options are static members, so the value type is inferred:
///
/// ```swift
/// try socket.setOption(.linger, .milliseconds(100))
/// try socket.setOption(.receiveHighWaterMark, 10_000)
/// let timeout = try socket.option(.receiveTimeout)   // Duration?
/// ```
public struct SocketOption<Value: SocketOptionValue>: Hashable, Sendable {
    /// The libzmq option number (`ZMQ_LINGER`, …).
    public let rawValue: CInt

    /// Creates an option from its libzmq number and value type; prefer the named options.
    public init(rawValue: CInt) { self.rawValue = rawValue }
}

/// A typed, read-only socket property, used with ``Socket/property(_:)``.
///
/// Setting a property does not compile.
public struct SocketProperty<Value: SocketOptionValue>: Hashable, Sendable {
    /// The libzmq option number (`ZMQ_TYPE`, …).
    public let rawValue: CInt

    /// Creates a property from its libzmq number and value type; prefer the named properties.
    public init(rawValue: CInt) { self.rawValue = rawValue }
}

extension Socket {
    /// Sets a socket option.
    ///
    /// - Parameters:
    ///   - option: The option, such as ``SocketOption/linger``.
    ///   - value: The new value.
    /// - Throws: ``ZMQError/invalidArgument`` when the value is out of range (a negative
    ///   high-water mark, a negative duration) or the option does not apply to this socket type;
    ///   ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C function is `zmq_setsockopt`.
    public func setOption<Value>(_ option: SocketOption<Value>, _ value: Value) throws(ZMQError) {
        try value._write(to: handle, option: option.rawValue)
    }

    /// Reads a socket option.
    ///
    /// - Parameter option: The option, such as ``SocketOption/receiveTimeout``.
    /// - Returns: The option's current value.
    /// - Throws: ``ZMQError/invalidArgument`` when the option can't be read on this socket type
    ///   (some options, such as ``SocketOption/connectRoutingID``, are write-only).
    ///
    /// The corresponding C function is `zmq_getsockopt`.
    public func option<Value>(_ option: SocketOption<Value>) throws(ZMQError) -> Value {
        try Value._read(from: handle, option: option.rawValue)
    }

    /// Reads a read-only socket property.
    ///
    /// - Parameter property: The property, such as ``SocketProperty/lastEndpoint``.
    /// - Returns: The property's value.
    /// - Throws: ``ZMQError/contextTerminated`` and the errors `zmq_getsockopt` reports.
    ///
    /// The corresponding C function is `zmq_getsockopt`.
    public func property<Value>(_ property: SocketProperty<Value>) throws(ZMQError) -> Value {
        try Value._read(from: handle, option: property.rawValue)
    }

    /// Sets a write-only option from raw bytes; used by the socket-specific setters.
    internal func setBytes(_ bytes: UnsafeRawBufferPointer, option: CInt) throws(ZMQError) {
        _ = try valueOrError { zmq_setsockopt(handle, option, bytes.baseAddress, bytes.count) }
    }

    /// Sets a Boolean option; used by the socket-specific setters.
    internal func setFlag(_ value: Bool, option: CInt) throws(ZMQError) {
        try value._write(to: handle, option: option)
    }
}

// MARK: - Wire formats

/// Options whose integer value libzmq stores as `int64_t`.
private func isInt64(_ option: CInt) -> Bool { option == ZMQ_MAXMSGSIZE }

/// Options whose duration libzmq counts in whole seconds rather than milliseconds.
private func isInSeconds(_ option: CInt) -> Bool {
    option == ZMQ_TCP_KEEPALIVE_IDLE || option == ZMQ_TCP_KEEPALIVE_INTVL
}

private func readInt32(_ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) -> CInt {
    var value: CInt = 0
    var size = MemoryLayout<CInt>.size
    _ = try valueOrError { zmq_getsockopt(socket, option, &value, &size) }
    return value
}

private func writeInt32(_ value: CInt, _ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) {
    var value = value
    _ = try valueOrError { zmq_setsockopt(socket, option, &value, MemoryLayout<CInt>.size) }
}

private func readInteger(_ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) -> Int64 {
    guard isInt64(option) else { return Int64(try readInt32(socket, option)) }
    var value: Int64 = 0
    var size = MemoryLayout<Int64>.size
    _ = try valueOrError { zmq_getsockopt(socket, option, &value, &size) }
    return value
}

private func writeInteger(_ value: Int64, _ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) {
    if isInt64(option) {
        var value = value
        _ = try valueOrError { zmq_setsockopt(socket, option, &value, MemoryLayout<Int64>.size) }
    } else {
        guard let narrow = CInt(exactly: value) else { throw .invalidArgument }
        try writeInt32(narrow, socket, option)
    }
}

private func readBytes(_ socket: UnsafeMutableRawPointer, _ option: CInt, capacity: Int) throws(ZMQError) -> [UInt8] {
    // libzmq refuses a buffer too small for the value with EINVAL; grow and retry (a SOCKS
    // proxy address, say, has no length limit).
    var capacity = capacity
    while true {
        do {
            return try readBytesOnce(socket, option, capacity: capacity)
        } catch .invalidArgument where capacity < 1 << 20 {
            capacity *= 16
        }
    }
}

private func readBytesOnce(_ socket: UnsafeMutableRawPointer, _ option: CInt, capacity: Int) throws(ZMQError) -> [UInt8] {
    var size = capacity
    var buffer = [UInt8](repeating: 0, count: capacity)
    _ = try buffer.withUnsafeMutableBytes { raw in
        Result<CInt, ZMQError> { () throws(ZMQError) in
            try valueOrError { zmq_getsockopt(socket, option, raw.baseAddress, &size) }
        }
    }.get()
    buffer.removeSubrange(min(size, capacity)...)
    return buffer
}

// MARK: - Conformances

extension Int: NegativeOneMeansNoneValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Int {
        Int(try readInteger(socket, option))
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try writeInteger(Int64(self), socket, option)
    }
}

extension Int32: SocketOptionValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Int32 {
        try readInt32(socket, option)
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try writeInt32(self, socket, option)
    }
}

extension Bool: NegativeOneMeansNoneValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Bool {
        try readInt32(socket, option) != 0
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try writeInt32(self ? 1 : 0, socket, option)
    }
}

extension Duration: NegativeOneMeansNoneValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Duration {
        let raw = try readInt32(socket, option)
        return isInSeconds(option) ? .seconds(raw) : .milliseconds(raw)
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        guard self >= .zero else { throw .invalidArgument }
        if isInSeconds(option) {
            // The kernel takes whole seconds from 1 to 32767 here, and libzmq drops the
            // connection quietly when it refuses a value, so refuse it up front.
            guard components.attoseconds == 0, (1...32767).contains(components.seconds) else {
                throw .invalidArgument
            }
            try writeInt32(CInt(components.seconds), socket, option)
        } else {
            guard let raw = CInt(exactly: wholeMilliseconds) else { throw .invalidArgument }
            try writeInt32(raw, socket, option)
        }
    }
}

extension Optional: SocketOptionValue where Wrapped: NegativeOneMeansNoneValue {
    /// Reads the option from a libzmq socket; `-1` reads as `nil`. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> Self {
        if try readInteger(socket, option) == -1 { return nil }
        return try Wrapped._read(from: socket, option: option)
    }
    /// Writes the option to a libzmq socket; `nil` writes `-1`. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        switch self {
        case .none: try writeInteger(-1, socket, option)
        case .some(let value): try value._write(to: socket, option: option)
        }
    }
}

extension Array: SocketOptionValue where Element == UInt8 {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> [UInt8] {
        try readBytes(socket, option, capacity: 256)
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        _ = try withUnsafeBytes { bytes in
            Result<CInt, ZMQError> { () throws(ZMQError) in
                try valueOrError { zmq_setsockopt(socket, option, bytes.baseAddress, bytes.count) }
            }
        }.get()
    }
}

extension String: SocketOptionValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> String {
        var bytes = try readBytes(socket, option, capacity: 4096)
        if bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try Array(utf8)._write(to: socket, option: option)
    }
}

extension SocketTypeCode: SocketOptionValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> SocketTypeCode {
        SocketTypeCode(rawValue: try readInt32(socket, option))
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try writeInt32(rawValue, socket, option)
    }
}

extension PollEvents: SocketOptionValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> PollEvents {
        PollEvents(rawValue: Int16(truncatingIfNeeded: try readInt32(socket, option)))
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try writeInt32(CInt(rawValue), socket, option)
    }
}

extension CurveKey: SocketOptionValue {
    /// Reads the option from a libzmq socket. Not for direct use.
    public static func _read(from socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) -> CurveKey {
        try CurveKey(bytes: readBytes(socket, option, capacity: CurveKey.byteCount))
    }
    /// Writes the option to a libzmq socket. Not for direct use.
    public func _write(to socket: UnsafeMutableRawPointer, option: CInt) throws(ZMQError) {
        try bytes._write(to: socket, option: option)
    }
}
