// This file imports CZeroMQ publicly because its fast paths are `@inlinable`; see the note at
// the top of Message.swift.
public import CZeroMQ

extension Socket where Kind: SendingKind {
    /// Sends a message frame, suspending the task (not blocking its thread) while the
    /// socket's high-water mark is reached; on success `message` is left empty.
    ///
    /// The async counterpart of ``send(_:_:retryOnInterrupt:)-(Message,_,_)``, with the same
    /// meaning of its result. When there is room, the frame is queued at once, without
    /// suspending; otherwise the task waits on the process's event thread until there is
    /// room (back-pressure: nothing is dropped, nothing spins).
    ///
    /// - Parameters:
    ///   - message: The frame to send.
    ///   - flags: ``SendFlags/dontWait`` to return at once when there is no room,
    ///     ``SendFlags/sendMore`` when more frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when there was no room with
    ///   ``SendFlags/dontWait``, or when the socket's ``SocketOption/sendTimeout`` passed.
    /// - Throws: `CancellationError` when the task is cancelled while it waits (nothing was
    ///   queued and `message` is still yours); ``ZMQError/contextTerminated`` when the
    ///   context is shut down, also while waiting; the other errors of the blocking call.
    ///
    /// The corresponding C function is `zmq_msg_send` with `ZMQ_DONTWAIT`.
    @inlinable @discardableResult
    public func send(_ message: inout Message, _ flags: SendFlags = []) async throws -> Bool {
        let raw = flags.rawValue | ZMQ_DONTWAIT
        if try valueOrWouldBlock({ zmq_msg_send(&message.raw, handle, raw) }) != nil { return true }
        if flags.contains(.dontWait) { return false }
        return try await retryWhenReady(.writable) { () throws(ZMQError) -> Bool? in
            try valueOrWouldBlock { zmq_msg_send(&message.raw, handle, raw) } != nil ? true : nil
        } ?? false
    }

    /// Sends a message frame, consuming it, suspending while there is no room.
    ///
    /// - Parameters:
    ///   - message: The frame to send; released whether or not it is sent.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when it was not (see
    ///   ``send(_:_:)``).
    /// - Throws: The errors of ``send(_:_:)``.
    @inlinable @discardableResult
    public func send(_ message: consuming Message, _ flags: SendFlags = []) async throws -> Bool {
        var message = message
        return try await send(&message, flags)
    }

    /// Sends a copy of a byte sequence, such as an `[UInt8]`, as one frame, suspending while
    /// there is no room.
    ///
    /// - Parameters:
    ///   - bytes: The payload.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when it was not.
    /// - Throws: The errors of ``send(_:_:)``.
    @discardableResult
    public func send<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ flags: SendFlags = []) async throws -> Bool {
        var message = try Message(copying: bytes)
        return try await send(&message, flags)
    }

    /// Sends a string's UTF-8 bytes as one frame, suspending while there is no room.
    ///
    /// - Parameters:
    ///   - string: The payload.
    ///   - flags: ``SendFlags/dontWait`` to return at once, ``SendFlags/sendMore`` when more
    ///     frames of the same message follow.
    /// - Returns: `true` when the frame was queued; `false` when it was not.
    /// - Throws: The errors of ``send(_:_:)``.
    @discardableResult
    public func send(_ string: String, _ flags: SendFlags = []) async throws -> Bool {
        var message = try Message(string)
        return try await send(&message, flags)
    }

    /// Sends a multipart message atomically, suspending while there is no room; on success
    /// `parts` is left empty and ready for reuse.
    ///
    /// The whole message or none of it: the task waits, if it must, before the first frame,
    /// and once the first frame is queued libzmq takes the rest without waiting. A cancelled
    /// or refused send leaves `parts` intact.
    ///
    /// - Parameters:
    ///   - parts: The frames to send, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when there is no room.
    /// - Returns: `true` when the message was queued; `false` when it was not (see
    ///   ``send(_:_:)``).
    /// - Throws: ``ZMQError/invalidArgument`` for an empty multipart message; the errors of
    ///   ``send(_:_:)`` and ``send(_:_:)``.
    ///
    /// The corresponding C function is `zmq_msg_send`, once per frame.
    @discardableResult
    public func send(_ parts: inout Multipart, _ flags: SendFlags = []) async throws -> Bool {
        let raw = (flags.rawValue & ~ZMQ_SNDMORE) | ZMQ_DONTWAIT
        if try parts.send(on: handle, flags: raw) { return true }
        if flags.contains(.dontWait) { return false }
        let handle = self.handle
        return try await retryWhenReady(.writable) { () throws(ZMQError) -> Bool? in
            try parts.send(on: handle, flags: raw) ? true : nil
        } ?? false
    }

    /// Sends a multipart message atomically, consuming it, suspending while there is no room.
    ///
    /// - Parameters:
    ///   - parts: The frames to send, at least one; released whether or not they are sent.
    ///   - flags: ``SendFlags/dontWait`` to return at once when there is no room.
    /// - Returns: `true` when the message was queued; `false` when it was not.
    /// - Throws: The errors of ``send(_:_:)``.
    @discardableResult
    public func send(_ parts: consuming Multipart, _ flags: SendFlags = []) async throws -> Bool {
        var parts = parts
        return try await send(&parts, flags)
    }

    /// Sends strings as one multipart message, one UTF-8 frame each, atomically, suspending
    /// while there is no room.
    ///
    /// - Parameters:
    ///   - parts: The frames' payloads, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when there is no room.
    /// - Returns: `true` when the message was queued; `false` when it was not.
    /// - Throws: The errors of ``send(_:_:)-88giv``.
    @discardableResult
    public func send(multipart parts: [String], _ flags: SendFlags = []) async throws -> Bool {
        var multipart = try Multipart(parts)
        return try await send(&multipart, flags)
    }

    /// Sends copies of byte sequences as one multipart message, atomically, suspending while
    /// there is no room.
    ///
    /// - Parameters:
    ///   - parts: The frames' payloads, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when there is no room.
    /// - Returns: `true` when the message was queued; `false` when it was not.
    /// - Throws: The errors of ``send(_:_:)-88giv``.
    @discardableResult
    public func send<Parts: Sequence>(
        multipart parts: Parts,
        _ flags: SendFlags = []
    ) async throws -> Bool where Parts.Element: Sequence<UInt8> {
        var multipart = try Multipart(copying: parts)
        return try await send(&multipart, flags)
    }
}
