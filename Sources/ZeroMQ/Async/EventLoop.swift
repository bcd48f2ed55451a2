internal import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The async layer's engine: one thread for the whole process that turns readiness of each
// socket's `ZMQ_FD` into wake-ups, and the deadlines of timed waits into time-outs.
//
// It never calls libzmq itself. A libzmq socket may be used by one thread at a time, and
// `ZMQ_EVENTS` is an operation on the socket like any other, so everything that touches a
// socket runs in the task that owns it; this thread only resumes that task. (Tasks that prefer
// `AsyncEventLoopExecutor` run on this thread between its epoll waits: their calls are still
// their own, as the socket's owner.) Between two uses
// a socket may move to another thread of the pool: resuming a continuation goes through the
// executor's queue, a full memory barrier, which is what libzmq asks of a socket that moves.

#if os(Linux)

/// The process's event thread, started on the first wait of any async socket operation.
///
/// One thread serves every context: its work per wake-up is a table lookup and a
/// continuation resume, so one is enough for tens of thousands of sockets, and a per-context
/// thread would only add threads. It runs as long as the process.
internal final class EventLoop: Sendable {
    /// The event thread, or why it could not be started (out of file descriptors or threads);
    /// every async wait then throws that error.
    static let shared: Result<EventLoop, ZMQError> = Result { () throws(ZMQError) in try EventLoop() }

    /// The epoll instance watching every registered socket's `ZMQ_FD`, edge-triggered.
    private let epoll: CInt
    /// An eventfd, also watched, that wakes the thread when an earlier deadline comes in.
    private let wakeUp: CInt
    /// The registered waiters by file descriptor. A file descriptor is unique while its socket
    /// is open, and a waiter is removed before its socket closes; a stale event for a reused
    /// descriptor only wakes the new socket's owner spuriously, which every wait tolerates.
    private let waiters = Mutex<[CInt: SocketWaiter]>([:])
    /// Timed waits, earliest first.
    private let timers = Mutex(TimerQueue())
    /// Jobs of tasks that prefer this thread as their executor (``AsyncEventLoopExecutor``),
    /// run on it between two epoll waits.
    private let jobs = Mutex(JobQueue())
    /// Offsets into this object that name its three locks for ``ThreadSanitizer``.
    private static let waitersLock = 0
    private static let timersLock = 1
    private static let jobsLock = 2

    private init() throws(ZMQError) {
        epoll = epoll_create1(CInt(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            throw ZMQError(rawValue: errno).adding(action: .call("epoll_create1 for the async event thread"))
        }
        wakeUp = eventfd(0, CInt(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeUp >= 0 else {
            let error = ZMQError(rawValue: errno)
            close(epoll)
            throw error.adding(action: .call("eventfd for the async event thread"))
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeUp
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wakeUp, &event) == 0 else {
            let error = ZMQError(rawValue: errno)
            close(wakeUp)
            close(epoll)
            throw error.adding(action: .call("epoll_ctl for the async event thread"))
        }
        let epoll = self.epoll
        let wakeUp = self.wakeUp
        do {
            try startThread(named: "zmq-async") { [self] in
                run()
                return {}
            }
        } catch {
            close(wakeUp)
            close(epoll)
            throw error
        }
    }

    /// Stops watching a socket's `ZMQ_FD`, if the event thread runs.
    static func unregister(_ waiter: SocketWaiter) {
        if case .success(let loop) = shared { loop.unregister(waiter) }
    }

    /// Starts watching a socket's `ZMQ_FD` for its waiter.
    func register(_ waiter: SocketWaiter) throws(ZMQError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.fd = waiter.descriptor
        try waiters.withLock { (table) throws(ZMQError) in
            ThreadSanitizer.acquire(self, lock: Self.waitersLock)
            defer { ThreadSanitizer.release(self, lock: Self.waitersLock) }
            guard epoll_ctl(epoll, EPOLL_CTL_ADD, waiter.descriptor, &event) == 0 else {
                throw ZMQError(rawValue: errno).adding(action: .call("epoll_ctl(EPOLL_CTL_ADD) on ZMQ_FD"))
            }
            table[waiter.descriptor] = waiter
        }
    }

    /// Stops watching a socket's `ZMQ_FD`. Called before the socket is closed, while the
    /// descriptor is still open.
    func unregister(_ waiter: SocketWaiter) {
        waiters.withLock { table in
            ThreadSanitizer.acquire(self, lock: Self.waitersLock)
            defer { ThreadSanitizer.release(self, lock: Self.waitersLock) }
            var event = epoll_event()
            _ = epoll_ctl(epoll, EPOLL_CTL_DEL, waiter.descriptor, &event)
            if table[waiter.descriptor] === waiter { table[waiter.descriptor] = nil }
        }
    }

    /// Arranges for `waiter` to be told when `deadline` (monotonic nanoseconds) passes.
    func schedule(_ waiter: SocketWaiter, at deadline: UInt64) {
        let mustWake = timers.withLock { timers in
            ThreadSanitizer.acquire(self, lock: Self.timersLock)
            defer { ThreadSanitizer.release(self, lock: Self.timersLock) }
            return timers.insert(waiter, at: deadline)
        }
        if mustWake {
            var one: UInt64 = 1
            _ = write(wakeUp, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// Queues a job to run on the event thread; wakes the thread if it sleeps in epoll.
    func enqueue(_ job: UnownedJob) {
        let mustWake = jobs.withLock { queue -> Bool in
            ThreadSanitizer.acquire(self, lock: Self.jobsLock)
            defer { ThreadSanitizer.release(self, lock: Self.jobsLock) }
            queue.pending.append(job)
            let sleeping = queue.sleeping
            queue.sleeping = false
            return sleeping
        }
        if mustWake {
            var one: UInt64 = 1
            _ = write(wakeUp, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// The event thread's loop.
    private func run() {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        var ready: [SocketWaiter] = []
        ready.reserveCapacity(capacity)
        var expired: [(deadline: UInt64, waiter: SocketWaiter)] = []
        var running: [UnownedJob] = []
        running.reserveCapacity(capacity)
        // Waits, on the thread's first pass, until `EventLoop.shared` is set.
        let executor = AsyncEventLoopExecutor.instance.map { $0.asUnownedTaskExecutor() }
        while true {
            // Run the jobs queued so far (those queued while they run wait for the next pass).
            jobs.withLock { queue in
                ThreadSanitizer.acquire(self, lock: Self.jobsLock)
                defer { ThreadSanitizer.release(self, lock: Self.jobsLock) }
                swap(&queue.pending, &running)
            }
            if case .success(let executor) = executor {
                for job in running { job.runSynchronously(on: executor) }
            }
            running.removeAll(keepingCapacity: true)
            var timeout = timers.withLock { timers in
                ThreadSanitizer.acquire(self, lock: Self.timersLock)
                defer { ThreadSanitizer.release(self, lock: Self.timersLock) }
                return timers.sleepTimeout(now: monotonicNanoseconds())
            }
            let idle = jobs.withLock { queue -> Bool in
                ThreadSanitizer.acquire(self, lock: Self.jobsLock)
                defer { ThreadSanitizer.release(self, lock: Self.jobsLock) }
                guard queue.pending.isEmpty else { return false }
                queue.sleeping = true
                return true
            }
            if !idle { timeout = 0 }
            let count = epoll_wait(epoll, events, CInt(capacity), timeout)
            jobs.withLock { queue in
                ThreadSanitizer.acquire(self, lock: Self.jobsLock)
                defer { ThreadSanitizer.release(self, lock: Self.jobsLock) }
                queue.sleeping = false
            }
            if count < 0 {
                // EINTR: a signal; anything else can't happen with valid arguments.
                continue
            }
            if count > 0 {
                waiters.withLock { table in
                    ThreadSanitizer.acquire(self, lock: Self.waitersLock)
                    defer { ThreadSanitizer.release(self, lock: Self.waitersLock) }
                    for index in 0..<Int(count) {
                        let descriptor = events[index].data.fd
                        if descriptor == wakeUp {
                            var value: UInt64 = 0
                            _ = read(wakeUp, &value, MemoryLayout<UInt64>.size)
                        } else if let waiter = table[descriptor] {
                            ready.append(waiter)
                        }
                    }
                }
                for waiter in ready { waiter.signal() }
                ready.removeAll(keepingCapacity: true)
            }
            timers.withLock { timers in
                ThreadSanitizer.acquire(self, lock: Self.timersLock)
                defer { ThreadSanitizer.release(self, lock: Self.timersLock) }
                timers.popExpired(now: monotonicNanoseconds(), into: &expired)
            }
            if !expired.isEmpty {
                let now = monotonicNanoseconds()
                for entry in expired {
                    if let later = entry.waiter.timerExpired(entry.deadline, now: now) {
                        _ = timers.withLock { timers in
                            ThreadSanitizer.acquire(self, lock: Self.timersLock)
                            defer { ThreadSanitizer.release(self, lock: Self.timersLock) }
                            return timers.insert(entry.waiter, at: later)
                        }
                    }
                }
            }
            expired.removeAll(keepingCapacity: true)
        }
    }
}

/// The jobs waiting to run on the event thread.
internal struct JobQueue: ~Copyable {
    var pending: [UnownedJob] = { var jobs: [UnownedJob] = []; jobs.reserveCapacity(256); return jobs }()
    /// Whether the thread sleeps (or is about to) in epoll_wait, so that a new job must wake it.
    var sleeping = false
}

/// The pending deadlines of timed waits, in a binary min-heap.
///
/// A waiter has at most one entry per deadline it ever asked for; a wait that ends early
/// leaves its entry, which is then ignored when it comes up (the waiter knows its current
/// deadline), so nothing is searched or removed on the fast path.
internal struct TimerQueue: ~Copyable {
    private var heap: [(deadline: UInt64, waiter: SocketWaiter)] = []
    /// When the event thread will next wake up by itself, `UInt64.max` for never.
    private var sleepingUntil = UInt64.max

    /// Adds an entry; returns whether the thread must be woken to sleep less.
    mutating func insert(_ waiter: SocketWaiter, at deadline: UInt64) -> Bool {
        heap.append((deadline, waiter))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
        if deadline < sleepingUntil {
            sleepingUntil = deadline
            return true
        }
        return false
    }

    /// The epoll timeout in milliseconds until the earliest deadline (rounded up, so the
    /// thread wakes at or after it), or -1.
    mutating func sleepTimeout(now: UInt64) -> CInt {
        guard let first = heap.first else {
            sleepingUntil = .max
            return -1
        }
        sleepingUntil = first.deadline
        guard first.deadline > now else { return 0 }
        let milliseconds = (first.deadline - now + 999_999) / 1_000_000
        return CInt(min(milliseconds, UInt64(CInt.max)))
    }

    /// Moves the waiters whose entries are due into `expired`.
    mutating func popExpired(now: UInt64, into expired: inout [(deadline: UInt64, waiter: SocketWaiter)]) {
        while let first = heap.first, first.deadline <= now {
            expired.append(first)
            let last = heap.removeLast()
            guard !heap.isEmpty else { break }
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }
}

#else

/// Async sockets wait on epoll, which only Linux has; elsewhere every async wait throws
/// ``ZMQError/notSupported``. (A kqueue engine would slot in here.)
internal final class EventLoop: Sendable {
    static let shared: Result<EventLoop, ZMQError> = .failure(
        ZMQError(.notSupported, reason: "async sockets wait on epoll, which this system lacks"))
    static func unregister(_ waiter: SocketWaiter) {}
    func register(_ waiter: SocketWaiter) throws(ZMQError) {}
    func schedule(_ waiter: SocketWaiter, at deadline: UInt64) {}
    func enqueue(_ job: UnownedJob) {}
}

#endif

/// The monotonic clock in nanoseconds, the time base of timed waits.
internal func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}
