internal import CZeroMQ

extension Socket where Kind: ReceivingKind {
    /// The socket's incoming frames as an asynchronous sequence of byte arrays.
    ///
    /// ```swift
    /// for try await frame in socket.messages {
    ///     print(String(decoding: frame, as: UTF8.self))
    /// }
    /// ```
    ///
    /// The sequence pulls: each step receives one frame when the loop asks for it, so nothing
    /// is buffered beyond libzmq's own queue (bounded by its high-water mark). A frame already
    /// queued is returned without suspending. The sequence ends when the context is shut down,
    /// or when the socket's ``SocketOption/receiveTimeout`` passes with no frame. When the
    /// loop's task is cancelled, the next step (or the one waiting) throws
    /// `CancellationError`, and a frame that had not been returned stays in the socket.
    ///
    /// Each element is a copy of the frame's payload. To receive without allocating, await
    /// ``receive(into:_:)-64v2b`` with a reused ``Message`` instead; for whole multipart
    /// messages, use ``multipartMessages``.
    ///
    /// The sequence belongs to the socket's owner, like the socket: it is not `Sendable`. It
    /// keeps the libzmq socket open for as long as it lives, even past ``close()``; iterate it
    /// where you use the socket, and let both go together.
    public var messages: SocketMessages { SocketMessages(owner: owner) }

    /// The socket's incoming multipart messages as an asynchronous sequence, each element one
    /// whole message as an array of frames.
    ///
    /// It behaves as ``messages`` does, a whole message at a time: all its frames or none.
    public var multipartMessages: SocketMultipartMessages { SocketMultipartMessages(owner: owner) }
}

/// A socket's incoming frames as an asynchronous sequence; see ``Socket/messages``.
public struct SocketMessages: AsyncSequence {
    /// A frame's payload.
    public typealias Element = [UInt8]
    /// `CancellationError` or a ``ZMQError``.
    public typealias Failure = any Error

    internal let owner: SocketOwner

    /// Creates the sequence's iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(owner: owner) }

    /// Receives the frames one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        internal let owner: SocketOwner
        internal var isFinished = false

        /// Receives the next frame, waiting for it without blocking the thread.
        ///
        /// - Returns: The frame's payload, or `nil` once the context is shut down or the
        ///   socket's receive timeout passed.
        /// - Throws: `CancellationError` when the task is cancelled; any other ``ZMQError``.
        public mutating func next() async throws -> [UInt8]? {
            guard !isFinished else { return nil }
            var message = Message()
            if try await owner.receiveForSequence(into: &message) { return message.bytes }
            isFinished = true
            return nil
        }

        /// Receives the next frame, waiting for it without blocking the thread.
        ///
        /// - Parameter actor: The caller's isolation, which the wait keeps.
        /// - Returns: The frame's payload, or `nil` at the end.
        /// - Throws: `CancellationError` when the task is cancelled; any other ``ZMQError``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [UInt8]? {
            try await next()
        }
    }
}

/// A socket's incoming multipart messages as an asynchronous sequence; see
/// ``Socket/multipartMessages``.
public struct SocketMultipartMessages: AsyncSequence {
    /// A whole message: each frame's payload, in order.
    public typealias Element = [[UInt8]]
    /// `CancellationError` or a ``ZMQError``.
    public typealias Failure = any Error

    internal let owner: SocketOwner

    /// Creates the sequence's iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(owner: owner) }

    /// Receives the messages one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        internal let owner: SocketOwner
        internal var isFinished = false

        /// Receives the next whole message, waiting for it without blocking the thread.
        ///
        /// - Returns: The message's frames, or `nil` once the context is shut down or the
        ///   socket's receive timeout passed.
        /// - Throws: `CancellationError` when the task is cancelled; any other ``ZMQError``.
        public mutating func next() async throws -> [[UInt8]]? {
            guard !isFinished else { return nil }
            var parts = Multipart()
            if try await owner.receiveForSequence(into: &parts) { return parts.allBytes }
            isFinished = true
            return nil
        }

        /// Receives the next whole message, waiting for it without blocking the thread.
        ///
        /// - Parameter actor: The caller's isolation, which the wait keeps.
        /// - Returns: The message's frames, or `nil` at the end.
        /// - Throws: `CancellationError` when the task is cancelled; any other ``ZMQError``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> [[UInt8]]? {
            try await next()
        }
    }
}

extension SocketOwner {
    /// Receives a frame, trying first and waiting only on "would block" (the body of the async
    /// `receive(into:)` that is not inlined into callers).
    func receive(into message: inout Message, flags: CInt) async throws -> Bool {
        let handle = self.handle
        let raw = flags | ZMQ_DONTWAIT
        if try valueOrWouldBlock({ zmq_msg_recv(&message.raw, handle, raw) }) != nil { return true }
        if flags & ZMQ_DONTWAIT != 0 { return false }
        return try await retryWhenReady(.readable) { () throws(ZMQError) -> Bool? in
            try valueOrWouldBlock { zmq_msg_recv(&message.raw, handle, raw) } != nil ? true : nil
        } ?? false
    }

    /// Receives a whole multipart message, trying first and waiting only on "would block";
    /// the body of `Socket.receive(into: inout Multipart) async`.
    func receive(into parts: inout Multipart, flags: CInt) async throws -> Bool {
        let handle = self.handle
        let raw = flags | ZMQ_DONTWAIT
        if try parts.receive(on: handle, flags: raw) { return true }
        if flags & ZMQ_DONTWAIT != 0 { return false }
        return try await retryWhenReady(.readable) { () throws(ZMQError) -> Bool? in
            try parts.receive(on: handle, flags: raw) ? true : nil
        } ?? false
    }

    /// One step of a message sequence: checks for cancellation, then receives a frame.
    ///
    /// - Returns: `false` at the end of the sequence (context shut down, receive timeout).
    func receiveForSequence(into message: inout Message) async throws -> Bool {
        try Task.checkCancellation()
        do {
            return try await receive(into: &message, flags: 0)
        } catch let error as ZMQError where error == .contextTerminated {
            return false
        }
    }

    /// One step of a multipart message sequence; see `receiveForSequence(into:)`.
    func receiveForSequence(into parts: inout Multipart) async throws -> Bool {
        try Task.checkCancellation()
        do {
            return try await receive(into: &parts, flags: 0)
        } catch let error as ZMQError where error == .contextTerminated {
            return false
        }
    }
}
