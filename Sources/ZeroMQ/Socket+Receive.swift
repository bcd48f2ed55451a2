// This file imports CZeroMQ publicly because its hot paths are `@inlinable`; see the note at
// the top of Message.swift.
public import CZeroMQ

/// The outcome of receiving into a fixed buffer: how much was stored, and how large the
/// message really was.
public struct ReceivedSize: Hashable, Sendable {
    /// The number of bytes stored in the buffer.
    public let count: Int
    /// The full size of the message frame.
    public let messageSize: Int

    /// Creates a result from the stored and full sizes.
    @inlinable
    public init(count: Int, messageSize: Int) {
        self.count = count
        self.messageSize = messageSize
    }

    /// Whether the frame was larger than the buffer, so that its tail was dropped.
    public var isTruncated: Bool { messageSize > count }
}

extension Socket where Kind: ReceivingKind {
    /// Receives the next frame into a message, replacing its previous payload.
    ///
    /// Reusing one message for many receives allocates nothing in steady state for frames of up
    /// to 33 bytes. The whole frame is received; nothing is ever truncated. Check
    /// ``Message/hasMore`` to see whether more frames of a multipart message follow.
    ///
    /// - Parameters:
    ///   - message: The message to receive into.
    ///   - flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    ///   - retryOnInterrupt: Whether to retry when a signal interrupts the call.
    /// - Returns: `true` when a frame was received; `false` when none was ready (with
    ///   ``ReceiveFlags/dontWait``, or when ``SocketOption/receiveTimeout`` expired). "Would
    ///   block" is a normal result, not an error.
    /// - Throws: ``ZMQError/invalidState`` when the socket can't receive now (a REQ socket that
    ///   has not sent), ``ZMQError/contextTerminated`` when the context is shut down (also while
    ///   blocked here), ``ZMQError/interrupted`` when `retryOnInterrupt` is `false`.
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    @inlinable @discardableResult
    public func receive(
        into message: inout Message,
        _ flags: ReceiveFlags = [],
        retryOnInterrupt: Bool = true
    ) throws(ZMQError) -> Bool {
        try valueOrWouldBlock(retryOnInterrupt: retryOnInterrupt) {
            zmq_msg_recv(&message.raw, handle, flags.rawValue)
        } != nil
    }

    /// Receives the next frame as a new message.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The frame, or `nil` when none was ready (see
    ///   ``receive(into:_:retryOnInterrupt:)``).
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``.
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    public func receive(_ flags: ReceiveFlags = []) throws(ZMQError) -> Message? {
        var message = Message()
        guard try receive(into: &message, flags) else { return nil }
        return message
    }

    /// Receives the next frame into a caller-provided buffer, reporting truncation.
    ///
    /// The call never allocates. A frame larger than the buffer is truncated, and the result
    /// says so (``ReceivedSize/isTruncated``); use ``receive(into:_:retryOnInterrupt:)`` with
    /// a ``Message`` to receive frames of any size whole.
    ///
    /// - Parameters:
    ///   - buffer: Where to store the payload.
    ///   - flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The stored and full sizes, or `nil` when no frame was ready.
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``.
    ///
    /// The corresponding C function is `zmq_recv`.
    @inlinable
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer,
        _ flags: ReceiveFlags = []
    ) throws(ZMQError) -> ReceivedSize? {
        guard let size = try valueOrWouldBlock(retryOnInterrupt: true, {
            zmq_recv(handle, buffer.baseAddress, buffer.count, flags.rawValue)
        }) else { return nil }
        let messageSize = Int(size)
        return ReceivedSize(count: min(messageSize, buffer.count), messageSize: messageSize)
    }

    /// Receives the next frame as an array of bytes.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The payload, or `nil` when no frame was ready.
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``.
    public func receiveBytes(_ flags: ReceiveFlags = []) throws(ZMQError) -> [UInt8]? {
        guard let message = try receive(flags) else { return nil }
        return message.bytes
    }

    /// Receives the next frame as a string, decoding it as UTF-8 (invalid sequences become
    /// U+FFFD).
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The payload, or `nil` when no frame was ready.
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``.
    public func receiveString(_ flags: ReceiveFlags = []) throws(ZMQError) -> String? {
        guard let message = try receive(flags) else { return nil }
        return message.string
    }

    /// Whether the last frame received has more frames of the same multipart message after it.
    ///
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_RCVMORE`.
    public var hasMoreFrames: Bool {
        get throws(ZMQError) { try property(.receiveMore) }
    }
}
