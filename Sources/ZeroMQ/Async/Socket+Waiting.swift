internal import CZeroMQ

// The slow path every async operation shares: the operation was tried and would have
// blocked, so the owner waits for the socket's readiness on the event thread, then tries
// again. The fast paths (try first, return at once) are `@inlinable` in the files next to
// this one and reach this only on "would block".

extension SocketOwner {
    /// The socket's waiter, made and registered with the event thread on first use.
    func registeredWaiter() throws(ZMQError) -> SocketWaiter {
        if let waiter { return waiter }
        let loop = try EventLoop.shared.get()
        let descriptor = try getInt32(handle, ZMQ_FD)
        let waiter = SocketWaiter(descriptor: descriptor)
        try loop.register(waiter)
        self.waiter = waiter
        return waiter
    }
}

/// What an async operation waits for.
@usableFromInline
internal enum Readiness {
    /// `ZMQ_POLLIN`, bounded by `ZMQ_RCVTIMEO`.
    case readable
    /// `ZMQ_POLLOUT`, bounded by `ZMQ_SNDTIMEO`.
    case writable

    var events: CInt {
        switch self {
        case .readable: CInt(ZMQ_POLLIN)
        case .writable: CInt(ZMQ_POLLOUT)
        }
    }

    var timeoutOption: CInt {
        switch self {
        case .readable: ZMQ_RCVTIMEO
        case .writable: ZMQ_SNDTIMEO
        }
    }
}

extension Socket {
    /// Waits until `attempt`, a non-blocking operation that returns `nil` for "would block",
    /// succeeds. Called after a first attempt would have blocked.
    ///
    /// The socket's send or receive timeout keeps its blocking meaning: with a timeout of `T`,
    /// the result is `nil` once `T` has passed without success (`0` means do not wait).
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting (the operation
    ///   then did nothing); what `attempt` throws.
    @usableFromInline
    internal func retryWhenReady<Success>(
        _ readiness: Readiness,
        _ attempt: () throws(ZMQError) -> Success?
    ) async throws -> Success? {
        try await owner.retryWhenReady(readiness, attempt)
    }

    /// The socket's `ZMQ_EVENTS`. Reading it also processes libzmq's pending commands for the
    /// socket, which is what re-arms the edge-triggered `ZMQ_FD`.
    internal static func events(of handle: UnsafeMutableRawPointer) throws(ZMQError) -> CInt {
        try getInt32(handle, ZMQ_EVENTS)
    }
}

extension SocketOwner {
    /// See `Socket.retryWhenReady`.
    func retryWhenReady<Success>(
        _ readiness: Readiness,
        _ attempt: () throws(ZMQError) -> Success?
    ) async throws -> Success? {
        let waiter = try registeredWaiter()
        let deadline = try Self.deadline(for: readiness, of: handle)
        if deadline == 0 { return nil }
        let handle = self.handle
        while true {
            let woken = try await waiter.wait(deadline: deadline) { () throws(ZMQError) -> Bool in
                try getInt32(handle, ZMQ_EVENTS) & readiness.events != 0
            }
            if let success = try attempt() { return success }
            if !woken { return nil }
        }
    }

    /// The deadline the socket's send or receive timeout sets from now: `nil` for none, `0`
    /// for "don't wait".
    private static func deadline(for readiness: Readiness, of handle: UnsafeMutableRawPointer) throws(ZMQError) -> UInt64? {
        let milliseconds = try getInt32(handle, readiness.timeoutOption)
        if milliseconds < 0 { return nil }
        if milliseconds == 0 { return 0 }
        return monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
    }
}
