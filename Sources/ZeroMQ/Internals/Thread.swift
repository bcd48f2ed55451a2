// `timespec` is declared by the C library's headers, which CZeroMQ's header includes too;
// under MemberImportVisibility, a build with `-sanitize=thread` attributes it to CZeroMQ
// and rejects its members without this import.
internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The library's one thread helper and its one blocking primitive. `SocketThread` (public) is
// built on them, and everything else that needs a thread (a `Device`'s proxy, the background
// `zmq_ctx_term` of a released `Context`) goes through `SocketThread`. The library depends on
// nothing but libzmq and the C library, hence pthreads.

/// A one-shot result that threads wait for, blocking or asynchronously.
///
/// Blocking waits use a pthread condition variable; asynchronous waits park a continuation
/// that ``complete(_:)`` resumes on the completing thread, so an `await` never holds a thread
/// of Swift's cooperative pool.
///
/// It is `Sendable`, checked by the compiler for everything it can see. The four stored
/// properties the compiler can't check are `nonisolated(unsafe)`: a condition variable must
/// wait on a pthread mutex, so the state it guards can't sit in a `Mutex` (which has no
/// condition variable), and the pthread objects live behind pointers because a class's
/// stored property has no stable address. The pointers never change after `init`; `value`
/// and `waiters` are read and written only while `mutex` is locked.
internal final class Completion<Value: Sendable>: Sendable {
    private nonisolated(unsafe) let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private nonisolated(unsafe) let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private nonisolated(unsafe) var value: Value?
    private nonisolated(unsafe) var waiters: [UnsafeContinuation<Value, Never>] = []

    init() {
        pthread_mutex_init(mutex, nil)
        #if canImport(Darwin)
        pthread_cond_init(condition, nil)
        #else
        // Timed waits measure against the monotonic clock, so a change of the wall clock
        // neither shortens nor stretches them.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Records the value and wakes every waiter, blocked or suspended. Only the first call
    /// has an effect.
    func complete(_ newValue: Value) {
        pthread_mutex_lock(mutex)
        guard value == nil else {
            pthread_mutex_unlock(mutex)
            return
        }
        value = newValue
        let suspended = waiters
        waiters = []
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        for continuation in suspended { continuation.resume(returning: newValue) }
    }

    /// Blocks until ``complete(_:)`` has been called, then returns its value.
    func wait() -> Value {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let value { return value }
            pthread_cond_wait(condition, mutex)
        }
    }

    /// Blocks until ``complete(_:)`` has been called or `timeout` has passed.
    ///
    /// - Returns: The value, or `nil` if it did not come in time.
    func wait(timeout: Duration) -> Value? {
        // A century is for ever here, and keeps `now + timeout` from overflowing (a trap).
        let deadline = ContinuousClock.now + min(timeout, .seconds(100 * 365 * 86_400))
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let value { return value }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            timedWait(for: remaining)
        }
    }

    /// Suspends the calling task until ``complete(_:)`` has been called, without blocking
    /// its thread, then returns the value.
    func value() async -> Value {
        await withUnsafeContinuation { continuation in
            pthread_mutex_lock(mutex)
            if let value {
                pthread_mutex_unlock(mutex)
                continuation.resume(returning: value)
            } else {
                waiters.append(continuation)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// The value, if ``complete(_:)`` has been called.
    var result: Value? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return value
    }

    /// Waits on the condition for at most `duration` (a spurious or early wake-up is fine:
    /// the caller loops). The mutex must be locked.
    private func timedWait(for duration: Duration) {
        // Longer than a day at a time gains nothing and keeps the arithmetic far from overflow.
        let step = min(duration, .seconds(86_400))
        let (seconds, attoseconds) = step.components
        #if canImport(Darwin)
        var relative = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        pthread_cond_timedwait_relative_np(condition, mutex, &relative)
        #else
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(now.tv_sec) + Int(seconds)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            wholeSeconds += 1
        }
        var deadline = timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
        pthread_cond_timedwait(condition, mutex, &deadline)
        #endif
    }
}

/// The closure a new thread runs, and the name it takes, handed to the thread through
/// `pthread_create`'s argument.
private final class ThreadStart {
    let name: String?
    /// Runs the thread's work and returns what to do once the work, and everything it
    /// captured, has been released.
    var work: (() -> () -> Void)?

    init(name: String?, work: @escaping () -> () -> Void) {
        self.name = name
        self.work = work
    }
}

/// Starts `work` on a new detached thread.
///
/// `work` does the thread's job and returns a second closure, which the thread calls after it
/// has released `work` and everything `work` captured (the sockets it owned are then closed).
/// `pthread_create` is a full memory barrier, which is what libzmq asks of a socket that moves
/// to another thread.
///
/// - Parameters:
///   - name: The thread's name, cut to what the system allows (15 bytes on Linux).
///   - work: The job.
/// - Throws: ``ZMQError/tooManyThreads`` when the system can't create another thread now
///   (`EAGAIN`), or the error number `pthread_create` reports otherwise. `work` is then
///   released without running.
internal func startThread(
    named name: String?,
    _ work: sending @escaping () -> () -> Void
) throws(ZMQError) {
    let start = Unmanaged.passRetained(ThreadStart(name: name, work: work)).toOpaque()
    #if canImport(Darwin)
    var thread: pthread_t?
    #else
    var thread = pthread_t()
    #endif
    // `pthread_create` returns its error instead of setting errno; it is turned into the
    // errno convention here so that the debug-only fault hook can stand in for it.
    let result = Mocking.intercept {
        let code = pthread_create(&thread, nil, { argument in
            #if canImport(Darwin)
            runThread(argument)
            #else
            runThread(argument!)
            #endif
            return nil
        }, start)
        if code == 0 { return 0 }
        errno = code
        return -1
    }
    guard result == 0 else {
        let code = errno
        // Releases the closure, and with it anything it captured, unrun.
        Unmanaged<ThreadStart>.fromOpaque(start).release()
        let error: ZMQError = code == EAGAIN ? .tooManyThreads : ZMQError(rawValue: code)
        throw error.adding(action: .call("start a thread"))
    }
    #if canImport(Darwin)
    if let thread { pthread_detach(thread) }
    #else
    pthread_detach(thread)
    #endif
}

/// The body of every thread `startThread` creates.
private func runThread(_ argument: UnsafeMutableRawPointer) {
    let start = Unmanaged<ThreadStart>.fromOpaque(argument).takeRetainedValue()
    if let name = start.name { setCurrentThreadName(name) }
    let finish = performWork(of: start)
    finish()
}

/// Runs the start's work and releases it, so that what it captured is gone on return.
private func performWork(of start: ThreadStart) -> () -> Void {
    guard let work = start.work.take() else { return {} }
    return work()
}

/// Names the calling thread, cut to the longest name the system takes (15 bytes on Linux,
/// 63 on Darwin) at a character boundary.
private func setCurrentThreadName(_ name: String) {
    #if canImport(Darwin)
    let limit = 63
    #else
    let limit = 15
    #endif
    var bytes = 0
    var end = name.startIndex
    for index in name.indices {
        let next = name.index(after: index)
        let size = name.utf8.distance(from: index, to: next)
        guard bytes + size <= limit else { break }
        bytes += size
        end = next
    }
    let shortened = String(name[..<end])
    #if canImport(Darwin)
    _ = pthread_setname_np(shortened)
    #else
    // Glibc declares `pthread_setname_np` only under _GNU_SOURCE, which Swift's Glibc module
    // doesn't define; the function itself writes the name to this file (see proc(5)).
    let file = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard file >= 0 else { return }
    _ = shortened.utf8CString.withUnsafeBufferPointer { write(file, $0.baseAddress, $0.count - 1) }
    close(file)
    #endif
}
