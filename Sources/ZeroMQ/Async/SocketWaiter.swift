internal import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One socket's link to the event thread: where its owner parks while the socket is not
/// ready, and what wakes it.
///
/// Only the task that owns the socket waits here, one wait at a time (the socket is
/// noncopyable and not `Sendable`, so the compiler sees to that). Three things wake it: the
/// event thread when the socket's `ZMQ_FD` fires (or an ``OutboundWriter`` with a message
/// for the socket), the task's cancellation, and the wait's deadline. Whatever woke it, the
/// owner then re-tries its operation and re-reads `ZMQ_EVENTS` before it parks again, so a
/// spurious wake-up costs one retry and a missed edge can't happen: an edge that comes in
/// between the owner's check and its parking leaves `signalled` set, and the owner then
/// doesn't park at all.
internal final class SocketWaiter: Sendable {
    /// Why a parked owner was resumed.
    enum Wake {
        /// The socket's state may have changed; try again.
        case ready
        /// The owner's task was cancelled.
        case cancelled
        /// The wait's deadline passed.
        case timedOut
    }

    private struct State {
        /// The owner's parked continuation, if it is parked.
        var continuation: UnsafeContinuation<Wake, Never>?
        /// A wake-up came while the owner was not parked.
        var signalled = false
        /// The owner's task was cancelled during the current wait.
        var cancelled = false
        /// The deadline of the parked wait, if it has one.
        var deadline: UInt64?
        /// The earliest deadline this waiter has an entry for in the event thread's timers.
        var queuedDeadline: UInt64?
    }

    /// The socket's `ZMQ_FD`.
    let descriptor: CInt
    private let state = Mutex(State())

    init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    /// Waits until the socket may be ready again.
    ///
    /// - Parameters:
    ///   - deadline: When to give up (monotonic nanoseconds), or `nil` for never.
    ///   - isReady: Checks, on the owner's thread, whether waiting is needed at all (reads
    ///     `ZMQ_EVENTS`, looks at queued outbound messages). It runs after the wake-up flags
    ///     are reset, so anything that happens after it is seen.
    /// - Returns: `true` to try again, `false` when the deadline passed.
    /// - Throws: `CancellationError` when the task is cancelled; what `isReady` throws.
    func wait(deadline: UInt64?, until isReady: () throws(ZMQError) -> Bool) async throws -> Bool {
        state.withLock { state in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            state.signalled = false
            state.cancelled = false
        }
        if try isReady() { return true }
        if let deadline, monotonicNanoseconds() >= deadline { return false }
        let reason = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in park(continuation, deadline: deadline) }
        } onCancel: {
            self.wake(.cancelled)
        }
        switch reason {
        case .ready: return true
        case .timedOut: return false
        case .cancelled: throw CancellationError()
        }
    }

    private func park(_ continuation: UnsafeContinuation<Wake, Never>, deadline: UInt64?) {
        enum Next { case park, resume(Wake), schedule(UInt64) }
        let next = state.withLock { state -> Next in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            if state.cancelled { return .resume(.cancelled) }
            if state.signalled {
                state.signalled = false
                return .resume(.ready)
            }
            // One owner, one wait at a time: the compiler sees to it, and this checks it.
            precondition(state.continuation == nil, "two tasks wait on one socket at once")
            state.continuation = continuation
            guard let deadline else { return .park }
            state.deadline = deadline
            if let queued = state.queuedDeadline, queued <= deadline { return .park }
            state.queuedDeadline = deadline
            return .schedule(deadline)
        }
        switch next {
        case .park: break
        case .resume(let wake): continuation.resume(returning: wake)
        case .schedule(let deadline): schedule(at: deadline)
        }
    }

    /// Wakes the parked owner, or tells its next wait not to park. Safe from any thread.
    func signal() {
        wake(.ready)
    }

    private func wake(_ reason: Wake) {
        let continuation = state.withLock { state -> UnsafeContinuation<Wake, Never>? in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            if let continuation = state.continuation.take() {
                state.deadline = nil
                return continuation
            }
            if reason == .cancelled { state.cancelled = true } else { state.signalled = true }
            return nil
        }
        continuation?.resume(returning: reason)
    }

    /// Called by the event thread when an entry of this waiter's comes due: times out the
    /// parked wait if its deadline has passed, or asks again for a later one.
    func timerExpired(_ entry: UInt64, now: UInt64) -> UInt64? {
        enum Next { case nothing, resume(UnsafeContinuation<Wake, Never>), reschedule(UInt64) }
        let next = state.withLock { state -> Next in
            ThreadSanitizer.acquire(self)
            defer { ThreadSanitizer.release(self) }
            if state.queuedDeadline == entry { state.queuedDeadline = nil }
            guard let deadline = state.deadline else { return .nothing }
            if deadline <= now {
                state.deadline = nil
                return state.continuation.take().map(Next.resume) ?? .nothing
            }
            if let queued = state.queuedDeadline, queued <= deadline { return .nothing }
            state.queuedDeadline = deadline
            return .reschedule(deadline)
        }
        switch next {
        case .nothing: return nil
        case .resume(let continuation):
            continuation.resume(returning: .timedOut)
            return nil
        case .reschedule(let deadline): return deadline
        }
    }

    private func schedule(at deadline: UInt64) {
        if case .success(let loop) = EventLoop.shared { loop.schedule(self, at: deadline) }
    }
}
