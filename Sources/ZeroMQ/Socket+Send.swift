// This file imports CZeroMQ publicly because its hot paths are `@inlinable`; see the note at
// the top of Message.swift.
public import CZeroMQ

extension Socket where Kind: SendingKind {
    /// Sends a message frame, leaving `message` empty and ready for reuse.
    ///
    /// On success libzmq takes the payload and `message` becomes empty. When the send would
    /// block, or fails, `message` is left intact and still yours.
    ///
    /// - Parameters:
    ///   - message: The frame to send.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    ///   - retryOnInterrupt: Whether to retry when a signal interrupts the call.
    /// - Returns: `true` when the frame was queued; `false` when the call would block (with
    ///   ``SendFlags/dontWait``, or when ``SocketOption/sendTimeout`` expired). "Would block" is
    ///   a normal result, not an error.
    /// - Throws: ``ZMQError/invalidState`` when the socket can't send now (a REQ socket
    ///   awaiting its reply), ``ZMQError/hostUnreachable`` for an unroutable ROUTER message with
    ///   mandatory routing, ``ZMQError/contextTerminated``, ``ZMQError/interrupted`` when
    ///   `retryOnInterrupt` is `false`.
    ///
    /// The corresponding C function is `zmq_msg_send`.
    @inlinable @discardableResult
    public func send(
        _ message: inout Message,
        _ flags: SendFlags = [],
        retryOnInterrupt: Bool = true
    ) throws(ZMQError) -> Bool {
        try valueOrWouldBlock(retryOnInterrupt: retryOnInterrupt) {
            zmq_msg_send(&message.raw, handle, flags.rawValue)
        } != nil
    }

    /// Sends a message frame, consuming it.
    ///
    /// - Parameters:
    ///   - message: The frame to send; released whether or not it is sent.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:retryOnInterrupt:)-(Message,_,_)``.
    ///
    /// The corresponding C function is `zmq_msg_send`.
    @inlinable @discardableResult
    public func send(_ message: consuming Message, _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        var message = message
        return try send(&message, flags)
    }

    /// Sends a copy of the bytes in a buffer as one frame.
    ///
    /// - Parameters:
    ///   - bytes: The payload; libzmq copies it before returning.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:retryOnInterrupt:)-(Message,_,_)``.
    ///
    /// The corresponding C function is `zmq_send`.
    @inlinable @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        try valueOrWouldBlock { zmq_send(handle, bytes.baseAddress, bytes.count, flags.rawValue) } != nil
    }

    /// Sends a copy of a byte sequence, such as an `[UInt8]`, as one frame.
    ///
    /// - Parameters:
    ///   - bytes: The payload.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:retryOnInterrupt:)-(Message,_,_)``.
    @discardableResult
    public func send<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        try withBytes(of: bytes) { (buffer) throws(ZMQError) in try send(buffer, flags) }
    }

    /// Sends a string's UTF-8 bytes, with no terminating NUL, as one frame.
    ///
    /// - Parameters:
    ///   - string: The payload.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:retryOnInterrupt:)-(Message,_,_)``.
    @discardableResult
    public func send(_ string: String, _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        try withBytes(of: string.utf8) { (buffer) throws(ZMQError) in try send(buffer, flags) }
    }
}
