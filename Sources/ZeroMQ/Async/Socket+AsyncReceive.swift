// This file imports CZeroMQ publicly because its fast paths are `@inlinable`; see the note at
// the top of Message.swift.
public import CZeroMQ

extension Socket where Kind: ReceivingKind {
    /// Receives the next frame into a message, suspending the task (not blocking its thread)
    /// until one arrives.
    ///
    /// The async counterpart of ``receive(into:_:retryOnInterrupt:)``, with the same meaning
    /// of its result. When a frame is already queued, it is received at once, without
    /// suspending; otherwise the task waits on the process's event thread for the socket to
    /// become readable. Reusing one message in a loop allocates nothing, whether or not the
    /// task had to wait.
    ///
    /// - Parameters:
    ///   - message: The message to receive into.
    ///   - flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: `true` when a frame was received; `false` when none was ready with
    ///   ``ReceiveFlags/dontWait``, or when the socket's ``SocketOption/receiveTimeout``
    ///   passed.
    /// - Throws: `CancellationError` when the task is cancelled while it waits (the frame, if
    ///   any arrives, stays in the socket for the next receive; `message` is left empty, as
    ///   after any receive that gets nothing: libzmq releases its old payload first);
    ///   ``ZMQError/contextTerminated`` when the context is shut down, also while waiting;
    ///   the other errors of the blocking call.
    ///
    /// The corresponding C function is `zmq_msg_recv` with `ZMQ_DONTWAIT`.
    @inlinable @discardableResult
    public func receive(into message: inout Message, _ flags: ReceiveFlags = []) async throws -> Bool {
        let raw = flags.rawValue | ZMQ_DONTWAIT
        if try valueOrWouldBlock({ zmq_msg_recv(&message.raw, handle, raw) }) != nil { return true }
        if flags.contains(.dontWait) { return false }
        return try await retryWhenReady(.readable) { () throws(ZMQError) -> Bool? in
            try valueOrWouldBlock { zmq_msg_recv(&message.raw, handle, raw) } != nil ? true : nil
        } ?? false
    }

    /// Receives the next frame as a new message, suspending until one arrives.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The frame, or `nil` when none was ready (see
    ///   ``receive(into:_:)-64v2b``).
    /// - Throws: The errors of ``receive(into:_:)-64v2b``.
    public func receive(_ flags: ReceiveFlags = []) async throws -> Message? {
        var message = Message()
        guard try await receive(into: &message, flags) else { return nil }
        return message
    }

    /// Receives the next frame as an array of bytes, suspending until one arrives.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The payload, or `nil` when no frame was ready.
    /// - Throws: The errors of ``receive(into:_:)-64v2b``.
    public func receiveBytes(_ flags: ReceiveFlags = []) async throws -> [UInt8]? {
        guard let message = try await receive(flags) else { return nil }
        return message.bytes
    }

    /// Receives the next frame as a string (UTF-8; invalid sequences become U+FFFD),
    /// suspending until one arrives.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The payload, or `nil` when no frame was ready.
    /// - Throws: The errors of ``receive(into:_:)-64v2b``.
    public func receiveString(_ flags: ReceiveFlags = []) async throws -> String? {
        guard let message = try await receive(flags) else { return nil }
        return message.string
    }

    /// Receives one whole multipart message, replacing the frames in `parts`, suspending
    /// until one arrives.
    ///
    /// All frames or none: once the first frame is in, the rest is already queued. Reusing one
    /// ``Multipart`` in a loop allocates nothing in steady state, whether or not the task had
    /// to wait.
    ///
    /// - Parameters:
    ///   - parts: Where to put the frames.
    ///   - flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: `true` when a message was received; `false` when none was ready (`parts`
    ///   is then empty).
    /// - Throws: The errors of ``receive(into:_:)``; `parts` is then empty, and a
    ///   message that arrives later stays in the socket.
    ///
    /// The corresponding C function is `zmq_msg_recv`, once per frame.
    @discardableResult
    public func receive(into parts: inout Multipart, _ flags: ReceiveFlags = []) async throws -> Bool {
        try await owner.receive(into: &parts, flags: flags.rawValue)
    }

    /// Receives one whole multipart message as arrays of bytes, suspending until one arrives.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The frames' payloads, or `nil` when no message was ready.
    /// - Throws: The errors of ``receive(into:_:)-64v2b``.
    public func receiveMultipart(_ flags: ReceiveFlags = []) async throws -> [[UInt8]]? {
        var parts = Multipart()
        guard try await receive(into: &parts, flags) else { return nil }
        return parts.allBytes
    }
}
