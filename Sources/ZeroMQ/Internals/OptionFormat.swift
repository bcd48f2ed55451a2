internal import CZeroMQ

// How each kind of socket option travels to and from libzmq: the width of its integer, its
// unit, its length limits, whether -1 means "none", whether it can be read back, and whether
// its value may appear in an error message. A `SocketOption` carries one of these, so the
// value types (`Int`, `Duration`, …) need no libzmq-facing conformances.

/// The wire format of a socket option whose Swift value is `Value`.
internal struct OptionFormat<Value>: Sendable {
    typealias Read = @Sendable (_ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) -> Value
    typealias Write = @Sendable (_ socket: UnsafeMutableRawPointer, _ option: CInt, _ value: Value) throws(ZMQError) -> Void

    /// Reads the value; throws at once for a write-only option.
    let read: Read
    /// Writes the value, refusing values libzmq would misread.
    let write: Write
    /// The value as text for an error message, or `nil` for a secret.
    let describe: (@Sendable (Value) -> String)?

    init(read: @escaping Read, write: @escaping Write, describe: (@Sendable (Value) -> String)? = { "\($0)" }) {
        self.read = read
        self.write = write
        self.describe = describe
    }

    /// The same format, but write-only: reading throws at once instead of asking libzmq
    /// (which answers EINVAL, indistinguishable from a buffer that is too small).
    var writeOnly: OptionFormat {
        OptionFormat(read: { _, _ throws(ZMQError) in
            throw ZMQError(.invalidArgument, reason: "the option is write-only")
        }, write: write, describe: describe)
    }

    /// The same format, but its values are secrets that never appear in an error.
    var secret: OptionFormat {
        OptionFormat(read: read, write: write, describe: nil)
    }
}

// MARK: - Integers

extension OptionFormat where Value == Int {
    /// A C `int`, any value.
    static var integer: Self {
        Self(read: { socket, option throws(ZMQError) in Int(try getInt32(socket, option)) },
             write: { socket, option, value throws(ZMQError) in try setInt32(socket, option, int32(value)) })
    }

    /// A C `int` that must not be negative: a count or a size.
    static var count: Self {
        Self(read: { socket, option throws(ZMQError) in Int(try getInt32(socket, option)) },
             write: { socket, option, value throws(ZMQError) in
                 guard value >= 0 else { throw ZMQError(.invalidArgument, reason: "must not be negative") }
                 try setInt32(socket, option, int32(value))
             })
    }
}

extension OptionFormat where Value == Int? {
    /// A C `int` (or an `int64_t`) where -1 means "none" and other values must not be negative.
    static func optionalCount(is64Bit: Bool = false) -> Self {
        Self(read: { socket, option throws(ZMQError) in
            let raw = is64Bit ? try getInt64(socket, option) : Int64(try getInt32(socket, option))
            return raw == -1 ? nil : Int(raw)
        }, write: { socket, option, value throws(ZMQError) in
            guard let value else {
                return is64Bit ? try setInt64(socket, option, -1) : try setInt32(socket, option, -1)
            }
            guard value >= 0 else { throw ZMQError(.invalidArgument, reason: "must not be negative (nil means none)") }
            if is64Bit { try setInt64(socket, option, Int64(value)) } else { try setInt32(socket, option, int32(value)) }
        }, describe: { $0.map { "\($0)" } ?? "nil" })
    }
}

extension OptionFormat where Value == Int32 {
    /// A C `int`, read as it is (a file descriptor).
    static var cInt: Self {
        Self(read: { socket, option throws(ZMQError) in try getInt32(socket, option) },
             write: { socket, option, value throws(ZMQError) in try setInt32(socket, option, value) })
    }
}

extension OptionFormat where Value == Bool {
    /// A C `int` that is 0 or 1.
    static var bool: Self {
        Self(read: { socket, option throws(ZMQError) in try getInt32(socket, option) != 0 },
             write: { socket, option, value throws(ZMQError) in try setInt32(socket, option, value ? 1 : 0) })
    }
}

extension OptionFormat where Value == Bool? {
    /// A C `int` that is 0 or 1, or -1 for the operating system's default.
    static var optionalBool: Self {
        Self(read: { socket, option throws(ZMQError) in
            let raw = try getInt32(socket, option)
            return raw == -1 ? nil : raw != 0
        }, write: { socket, option, value throws(ZMQError) in
            try setInt32(socket, option, value.map { $0 ? 1 : 0 } ?? -1)
        }, describe: { $0.map { "\($0)" } ?? "nil" })
    }
}

// MARK: - Durations

extension OptionFormat where Value == Duration {
    /// A C `int` of milliseconds, rounded up; zero allowed.
    static var milliseconds: Self {
        Self(read: { socket, option throws(ZMQError) in .milliseconds(try getInt32(socket, option)) },
             write: { socket, option, value throws(ZMQError) in
                 try setInt32(socket, option, try millisecondsValue(value))
             })
    }

    /// A C `int` of milliseconds that libzmq keeps in tenths of a second (the heartbeat TTL
    /// travels in a 16-bit field of deciseconds): rounded up to a whole tenth, so that a
    /// positive duration never becomes "no limit".
    static var deciseconds: Self {
        Self(read: { socket, option throws(ZMQError) in .milliseconds(try getInt32(socket, option)) },
             write: { socket, option, value throws(ZMQError) in
                 guard value >= .zero else { throw ZMQError(.invalidArgument, reason: "must not be negative") }
                 // Compared before any arithmetic, so that no duration can overflow it.
                 guard value <= .milliseconds(Int64(UInt16.max) * 100) else {
                     throw ZMQError(.invalidArgument, reason: "must be at most 6553.5 seconds")
                 }
                 let tenths = (value.roundedUpMilliseconds + 99) / 100
                 try setInt32(socket, option, CInt(tenths * 100))
             })
    }
}

extension OptionFormat where Value == Duration? {
    /// A C `int` of milliseconds, rounded up, where -1 (`nil`) means "for ever" or "none".
    static var optionalMilliseconds: Self {
        Self(read: { socket, option throws(ZMQError) in
            let raw = try getInt32(socket, option)
            return raw == -1 ? nil : .milliseconds(raw)
        }, write: { socket, option, value throws(ZMQError) in
            try setInt32(socket, option, try value.map(millisecondsValue) ?? -1)
        }, describe: { $0.map { "\($0)" } ?? "nil" })
    }

    /// A C `int` of whole seconds from 1 to 32767 (the kernel's TCP keepalive limits; libzmq
    /// drops the connection quietly when the kernel refuses a value), rounded up; -1 (`nil`)
    /// keeps the operating system's default.
    static var optionalSeconds: Self {
        Self(read: { socket, option throws(ZMQError) in
            let raw = try getInt32(socket, option)
            return raw == -1 ? nil : .seconds(raw)
        }, write: { socket, option, value throws(ZMQError) in
            guard let value else { return try setInt32(socket, option, -1) }
            let seconds = value.roundedUpSeconds
            guard value > .zero, seconds <= 32767 else {
                throw ZMQError(.invalidArgument, reason: "must be from 1 to 32767 seconds (nil keeps the system's default)")
            }
            try setInt32(socket, option, CInt(seconds))
        }, describe: { $0.map { "\($0)" } ?? "nil" })
    }
}

/// A non-negative duration as libzmq's C `int` of milliseconds, rounded up.
internal func millisecondsValue(_ duration: Duration) throws(ZMQError) -> CInt {
    guard duration >= .zero else {
        throw ZMQError(.invalidArgument, reason: "must not be negative")
    }
    guard let milliseconds = CInt(exactly: duration.roundedUpMilliseconds) else {
        throw ZMQError(.invalidArgument, reason:
            "must be at most 2147483647 ms (about 24.8 days), the most libzmq holds; nil waits for ever")
    }
    return milliseconds
}

// MARK: - Bytes and strings

extension OptionFormat where Value == [UInt8] {
    /// Bytes of any length.
    static var bytes: Self {
        Self(read: { socket, option throws(ZMQError) in try getBytes(socket, option, capacity: 256) },
             write: { socket, option, value throws(ZMQError) in try setBytes(socket, option, value) },
             describe: describeBytes)
    }

    /// A routing id: 1 to 255 bytes, not starting with a zero byte (libzmq reserves those for
    /// the ids it generates, and a peer would be routed by an id that clashes with them).
    static var routingID: Self {
        Self(read: { socket, option throws(ZMQError) in try getBytes(socket, option, capacity: 255, growing: false) },
             write: { socket, option, value throws(ZMQError) in
                 guard (1...255).contains(value.count) else {
                     throw ZMQError(.invalidArgument, reason: "a routing id must be 1 to 255 bytes long, not \(value.count)")
                 }
                 guard value[0] != 0 else {
                     throw ZMQError(.invalidArgument, reason:
                         "a routing id must not start with a zero byte; libzmq reserves those for the ids it generates")
                 }
                 try setBytes(socket, option, value)
             },
             describe: describeBytes)
    }
}

extension OptionFormat where Value == String {
    /// A string of any length, such as a ZAP domain or a SOCKS proxy address.
    static var string: Self {
        Self(read: { socket, option throws(ZMQError) in
            var bytes = try getBytes(socket, option, capacity: 256)
            if bytes.last == 0 { bytes.removeLast() }
            return String(decoding: bytes, as: UTF8.self)
        }, write: { socket, option, value throws(ZMQError) in
            try setBytes(socket, option, Array(value.utf8))
        }, describe: { "'\($0)'" })
    }
}

extension OptionFormat where Value == CurvePublicKey {
    /// A 32-byte CURVE public key, read and written in binary.
    static var curvePublicKey: Self {
        Self(read: { socket, option throws(ZMQError) in
            try CurvePublicKey(bytes: getBytes(socket, option, capacity: CurvePublicKey.byteCount, growing: false))
        }, write: { socket, option, value throws(ZMQError) in
            try setBytes(socket, option, value.bytes)
        })
    }
}

extension OptionFormat where Value == CurveSecretKey {
    /// A 32-byte CURVE secret key, read and written in binary, never described.
    static var curveSecretKey: Self {
        Self(read: { socket, option throws(ZMQError) in
            try CurveSecretKey(bytes: getBytes(socket, option, capacity: CurveSecretKey.byteCount, growing: false))
        }, write: { socket, option, value throws(ZMQError) in
            try setBytes(socket, option, value.revealedBytes)
        }, describe: nil)
    }
}

// MARK: - Read-only values

extension OptionFormat where Value == SocketTypeCode {
    /// A socket type constant.
    static var socketType: Self {
        Self(read: { socket, option throws(ZMQError) in SocketTypeCode(rawValue: try getInt32(socket, option)) },
             write: { socket, option, value throws(ZMQError) in try setInt32(socket, option, value.rawValue) })
    }
}

extension OptionFormat where Value == PollEvents {
    /// Poll flags (`ZMQ_EVENTS`).
    static var pollEvents: Self {
        Self(read: { socket, option throws(ZMQError) in
            PollEvents(rawValue: Int16(truncatingIfNeeded: try getInt32(socket, option)))
        }, write: { socket, option, value throws(ZMQError) in try setInt32(socket, option, CInt(value.rawValue)) })
    }
}

// MARK: - The libzmq calls

/// An `Int` as a C `int`, or an error saying it does not fit.
private func int32(_ value: Int) throws(ZMQError) -> CInt {
    guard let narrow = CInt(exactly: value) else {
        throw ZMQError(.invalidArgument, reason: "must fit in a C int (\(CInt.min) to \(CInt.max))")
    }
    return narrow
}

internal func getInt32(_ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) -> CInt {
    var value: CInt = 0
    var size = MemoryLayout<CInt>.size
    _ = try valueOrError { zmq_getsockopt(socket, option, &value, &size) }
    return value
}

internal func setInt32(_ socket: UnsafeMutableRawPointer, _ option: CInt, _ value: CInt) throws(ZMQError) {
    var value = value
    _ = try valueOrError { zmq_setsockopt(socket, option, &value, MemoryLayout<CInt>.size) }
}

private func getInt64(_ socket: UnsafeMutableRawPointer, _ option: CInt) throws(ZMQError) -> Int64 {
    var value: Int64 = 0
    var size = MemoryLayout<Int64>.size
    _ = try valueOrError { zmq_getsockopt(socket, option, &value, &size) }
    return value
}

private func setInt64(_ socket: UnsafeMutableRawPointer, _ option: CInt, _ value: Int64) throws(ZMQError) {
    var value = value
    _ = try valueOrError { zmq_setsockopt(socket, option, &value, MemoryLayout<Int64>.size) }
}

internal func setBytes(_ socket: UnsafeMutableRawPointer, _ option: CInt, _ bytes: [UInt8]) throws(ZMQError) {
    try withBytes(of: bytes) { (buffer) throws(ZMQError) in
        _ = try valueOrError { zmq_setsockopt(socket, option, buffer.baseAddress, buffer.count) }
    }
}

/// Reads a bytes or string option.
///
/// libzmq answers a buffer too small for the value with EINVAL and does not say how large the
/// value is (a last endpoint or a SOCKS proxy address has no length limit), so with `growing`
/// the buffer grows and the call is retried, up to 1 MiB. Options with a fixed limit (routing
/// ids, keys) are read once with a buffer of that limit, and write-only options never get
/// here: their format throws first.
private func getBytes(
    _ socket: UnsafeMutableRawPointer,
    _ option: CInt,
    capacity: Int,
    growing: Bool = true
) throws(ZMQError) -> [UInt8] {
    var capacity = capacity
    while true {
        var size = capacity
        var buffer = [UInt8](repeating: 0, count: capacity)
        do {
            try withMutableBytes(of: &buffer) { (raw) throws(ZMQError) in
                _ = try valueOrError { zmq_getsockopt(socket, option, raw.baseAddress, &size) }
            }
            buffer.removeSubrange(min(size, capacity)...)
            return buffer
        } catch .invalidArgument where growing && capacity < 1 << 20 {
            capacity *= 16
        }
    }
}

/// Bytes as text for an error message: quoted when they are printable ASCII, hex otherwise.
private let describeBytes: @Sendable ([UInt8]) -> String = { bytes in
    if !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
        return "'\(String(decoding: bytes, as: UTF8.self))'"
    }
    let hex = bytes.prefix(32).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
    return bytes.isEmpty ? "no bytes" : "0x\(hex)\(bytes.count > 32 ? "…" : "") (\(bytes.count) bytes)"
}
