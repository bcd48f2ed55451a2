// This file imports CZeroMQ publicly: the hot paths below are `@inlinable`, so that a
// client's send/receive loop compiles down to the libzmq calls themselves, and an inlinable
// body can only call C through a public import (the trade-off swift-system's Stat.swift
// documents). No C type appears in a public signature; see Benchmarks/RESULTS.md for the
// instruction counts that justify it.
public import CZeroMQ

/// A ZeroMQ message frame that owns a libzmq `zmq_msg_t`.
///
/// A message is a noncopyable value that stores the `zmq_msg_t` inline, so creating, sending
/// and receiving one allocates nothing beyond what libzmq itself allocates (nothing at all for
/// payloads of up to 33 bytes, which libzmq keeps inside the struct). Its payload is closed
/// exactly once, when the message's lifetime ends.
///
/// Reuse one message in a loop to receive without allocating:
///
/// ```swift
/// var message = Message()
/// while try socket.receive(into: &message) {
///     message.withUnsafeBytes { bytes in handle(bytes) }
/// }
/// ```
///
/// A message may move to another thread; libzmq reference-counts shared payloads atomically.
public struct Message: ~Copyable, Sendable {
    @usableFromInline
    internal var raw: zmq_msg_t

    /// Creates an empty message, ready to receive into.
    ///
    /// The corresponding C function is `zmq_msg_init`.
    @inlinable
    public init() {
        raw = zmq_msg_t()
        zmq_msg_init(&raw)
    }

    /// Creates a message with an uninitialized payload of the given size, to fill in place
    /// with ``withUnsafeMutableBytes(_:)``.
    ///
    /// - Parameter count: The payload size in bytes.
    /// - Throws: ``ZMQError/outOfMemory`` if the payload cannot be allocated,
    ///   ``ZMQError/invalidArgument`` for a negative size.
    ///
    /// The corresponding C function is `zmq_msg_init_size`.
    @inlinable @inline(__always)
    public init(count: Int) throws(ZMQError) {
        // Initialize in place: the struct is the caller's zmq_msg_t, as in C.
        raw = zmq_msg_t()
        try Self.initialize(&raw, count: count)
    }

    /// Replaces the payload with a new, uninitialized one of the given size, in place.
    ///
    /// This is the allocation-free way to send a fresh payload from one reused message in a
    /// loop (a sent message is left empty): the `zmq_msg_t` is rebuilt where it lies, so
    /// nothing is copied. Fill the payload with ``withUnsafeMutableBytes(_:)``.
    ///
    /// - Parameter count: The new payload size in bytes.
    /// - Throws: ``ZMQError/outOfMemory`` if the payload cannot be allocated,
    ///   ``ZMQError/invalidArgument`` for a negative size; the message is then empty.
    ///
    /// The corresponding C functions are `zmq_msg_close` and `zmq_msg_init_size` (cppzmq's
    /// `message_t::rebuild`).
    @inlinable @inline(__always)
    public mutating func rebuild(count: Int) throws(ZMQError) {
        zmq_msg_close(&raw)
        try Self.initialize(&raw, count: count)
    }

    /// Initializes a `zmq_msg_t` with a payload of `count` bytes; on failure, leaves it a
    /// valid empty message (so `deinit` can close it) and throws.
    @inlinable @inline(__always)
    internal static func initialize(_ raw: inout zmq_msg_t, count: Int) throws(ZMQError) {
        guard count >= 0 else {
            zmq_msg_init(&raw)
            throw .invalidArgument
        }
        if zmq_msg_init_size(&raw, count) != 0 {
            let error = ZMQError(rawValue: zmq_errno())
            zmq_msg_init(&raw)
            throw error
        }
    }

    /// Creates a message holding a copy of the given bytes.
    ///
    /// - Parameter bytes: The payload.
    /// - Throws: ``ZMQError/outOfMemory`` if the payload cannot be allocated.
    ///
    /// The corresponding C function is `zmq_msg_init_size`.
    public init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        try self.init(count: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            zmq_msg_data(&raw).copyMemory(from: source, byteCount: bytes.count)
        }
    }

    /// Creates a message holding a copy of a byte sequence, such as an `[UInt8]`.
    ///
    /// - Parameter bytes: The payload.
    /// - Throws: ``ZMQError/outOfMemory`` if the payload cannot be allocated.
    public init(copying bytes: some Sequence<UInt8>) throws(ZMQError) {
        if let count = bytes.withContiguousStorageIfAvailable({ $0.count }) {
            try self.init(count: count)
            withUnsafeMutableBytes { target in
                _ = bytes.withContiguousStorageIfAvailable { target.copyMemory(from: UnsafeRawBufferPointer($0)) }
            }
        } else {
            let array = Array(bytes)
            try self.init(count: array.count)
            withUnsafeMutableBytes { target in
                array.withUnsafeBytes { target.copyMemory(from: $0) }
            }
        }
    }

    /// Creates a message holding the UTF-8 bytes of a string, with no terminating NUL.
    ///
    /// - Parameter string: The payload.
    /// - Throws: ``ZMQError/outOfMemory`` if the payload cannot be allocated.
    public init(_ string: String) throws(ZMQError) {
        try self.init(copying: string.utf8)
    }

    /// Wraps an existing `zmq_msg_t`, taking over its ownership.
    @usableFromInline
    internal init(raw: zmq_msg_t) {
        self.raw = raw
    }

    @inlinable
    deinit {
        // `self` is immutable in a deinit; close a bitwise copy, which is what libzmq's own
        // zmq_msg_move does to a zmq_msg_t (it holds no pointer into itself).
        var raw = raw
        zmq_msg_close(&raw)
    }

    /// The payload size in bytes.
    ///
    /// The corresponding C function is `zmq_msg_size`.
    @inlinable
    public var count: Int {
        withUnsafePointer(to: raw) { zmq_msg_size($0) }
    }

    /// Whether the payload is empty.
    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Whether more frames of the same multipart message follow this one.
    ///
    /// Valid after a receive. The corresponding C function is `zmq_msg_more`.
    @inlinable
    public var hasMore: Bool {
        withUnsafePointer(to: raw) { zmq_msg_more($0) != 0 }
    }

    /// Calls a closure with a view of the payload, without copying it.
    ///
    /// - Parameter body: A closure that reads the payload. The buffer is valid only for the
    ///   duration of the call.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    ///
    /// The corresponding C functions are `zmq_msg_data` and `zmq_msg_size`.
    @inlinable
    public func withUnsafeBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // zmq_msg_data only reads the struct, though its C signature is not const. When the
        // compiler hands over a temporary copy, a small payload's bytes are in that temporary,
        // which lives until the closure returns.
        try withUnsafePointer(to: raw) { (message) throws(Failure) -> Result in
            let data = zmq_msg_data(UnsafeMutablePointer(mutating: message))
            return try body(UnsafeRawBufferPointer(start: data, count: zmq_msg_size(message)))
        }
    }

    /// Calls a closure with a mutable view of the payload, to fill it in place.
    ///
    /// Write only to a message you created and have not sent: a received payload may be shared.
    ///
    /// - Parameter body: A closure that writes the payload. The buffer is valid only for the
    ///   duration of the call.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    @inlinable
    public mutating func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let count = zmq_msg_size(&raw)
        return try body(UnsafeMutableRawBufferPointer(start: zmq_msg_data(&raw), count: count))
    }

    /// A copy of the payload as an array of bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// The payload decoded as UTF-8; invalid sequences become U+FFFD.
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Replaces the payload with another message's, which becomes empty.
    ///
    /// No bytes are copied.
    ///
    /// The corresponding C function is `zmq_msg_move`.
    public mutating func move(from other: inout Message) {
        zmq_msg_move(&raw, &other.raw)
    }

    /// Makes this message share another message's payload, without copying the bytes.
    ///
    /// libzmq reference-counts large payloads and copies small ones.
    ///
    /// - Parameter other: The message whose payload to share; it is left unchanged.
    ///
    /// The corresponding C function is `zmq_msg_copy`.
    public mutating func share(_ other: inout Message) {
        zmq_msg_copy(&raw, &other.raw)
    }

    /// Empties the message, releasing its payload; the message stays usable.
    public mutating func removeAll() {
        zmq_msg_close(&raw)
        zmq_msg_init(&raw)
    }

    /// Reads a metadata property of a received message.
    ///
    /// Standard properties are `"Socket-Type"`, `"Routing-Id"`, `"User-Id"` and
    /// `"Peer-Address"`; a ZAP handler may add others. Only received messages carry metadata.
    ///
    /// - Parameter property: The property's name, spelled exactly (names are case-sensitive).
    /// - Returns: The value, or `nil` if the message has no such property.
    ///
    /// The corresponding C function is `zmq_msg_gets`.
    public func metadata(_ property: String) -> String? {
        withUnsafePointer(to: raw) { message in
            property.withCString { zmq_msg_gets(message, $0) }.map { String(cString: $0) }
        }
    }

    /// The address of the peer that sent this message, such as `"127.0.0.1"`, when the
    /// transport has one. Reads the `Peer-Address` metadata property.
    public var peerAddress: String? { metadata("Peer-Address") }

    /// The ZeroMQ socket type of the peer that sent this message, such as `"REQ"`.
    /// Reads the `Socket-Type` metadata property.
    public var peerSocketType: String? { metadata("Socket-Type") }

    /// The identity the ZAP handler gave the peer that sent this message, such as a PLAIN
    /// username or, with ``Authenticator``, a CURVE client's public key in Z85. Reads the
    /// `User-Id` metadata property; `nil` when it is missing or empty (a peer that was not
    /// authenticated, or a NULL peer).
    public var userID: String? {
        guard let userID = metadata("User-Id"), !userID.isEmpty else { return nil }
        return userID
    }
}
