// Imported publicly because `valueOrError` and `valueOrWouldBlock` are inlined into the
// `@inlinable` send and receive paths; see the note at the top of Message.swift.
public import CZeroMQ

// `zmq_errno()` is read straight after the failing call, before any other work can overwrite
// the thread's errno (the same rule NIO's `Posix` enum follows): here for most calls, and in
// the few places that must clean up after a failed call (a failed `zmq_msg_init_size`, a
// failed `zmq_socket`), right after the call and before the clean-up.

/// Runs a libzmq call that returns -1 on failure, retrying on `EINTR` when asked to.
///
/// - Returns: The call's non-negative result.
/// - Throws: The call's error as a ``ZMQError``.
@inlinable @inline(__always)
internal func valueOrError(
    retryOnInterrupt: Bool = true,
    _ body: () -> CInt
) throws(ZMQError) -> CInt {
    while true {
        let result = Mocking.intercept(body)
        if result != -1 { return result }
        let code = zmq_errno()
        if code == EINTR && retryOnInterrupt { continue }
        throw ZMQError(rawValue: code)
    }
}

/// Runs a libzmq call that may report "would block", returning `nil` for `EAGAIN`.
///
/// - Returns: The call's non-negative result, or `nil` when it would block.
/// - Throws: Any other error as a ``ZMQError``.
@inlinable @inline(__always)
internal func valueOrWouldBlock(
    retryOnInterrupt: Bool = true,
    _ body: () -> CInt
) throws(ZMQError) -> CInt? {
    while true {
        let result = Mocking.intercept(body)
        if result != -1 { return result }
        let code = zmq_errno()
        if code == EAGAIN { return nil }
        if code == EINTR && retryOnInterrupt { continue }
        throw ZMQError(rawValue: code)
    }
}

/// Runs a libzmq call that returns a pointer, or `nil` with errno set on failure.
internal func pointerOrError(
    _ body: () -> UnsafeMutableRawPointer?
) throws(ZMQError) -> UnsafeMutableRawPointer {
    if let pointer = body() { return pointer }
    throw ZMQError(rawValue: zmq_errno())
}
