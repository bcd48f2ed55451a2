import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// Helpers for the async suites: handing a socket between tasks, bounding every wait, and
// measuring what the issue asks to be measured (latencies, thread counts, CPU time).

/// A place where a socket waits between the tasks that take turns owning it.
///
/// A socket is not `Sendable` and a `Task` can't hand one back, so a test that cancels a task
/// mid-operation and then reuses the socket passes it through this slot: the task takes it,
/// uses it and puts it back, and the compiler checks that neither side keeps using it
/// (``take()`` returns it `sending`, ``put(_:)`` takes it `sending`).
final class SocketSlot<Kind: SocketKind>: Sendable {
    /// Whether the socket is in the slot. Taking it is an acquiring exchange and putting it
    /// back a releasing store, so each owner sees what the previous one did.
    private let occupied = Atomic<Bool>(true)
    /// Touched only by the one task that has just taken or is putting back the socket. Only
    /// whole sockets that nobody else can reach move in and out (both ends are `sending`),
    /// which the compiler can't follow into a class's storage, hence the opt-out.
    nonisolated(unsafe) private var socket: Socket<Kind>?

    init(_ socket: consuming sending Socket<Kind>) {
        self.socket = consume socket
    }

    /// Takes the socket out; fails the caller if another task still has it.
    func take() throws -> sending Socket<Kind> {
        guard occupied.exchange(false, ordering: .acquiring), let taken = socket.take() else {
            throw TestFailure("the socket is not in its slot: another task still owns it")
        }
        return taken
    }

    /// Puts the socket back for the next owner.
    func put(_ socket: consuming sending Socket<Kind>) {
        self.socket = consume socket
        occupied.store(true, ordering: .releasing)
    }
}

/// A counter of events, for watchdogs that fail a test when it stops moving, and the tasks
/// to cancel when it does.
final class Progress: Sendable {
    private let counter = Atomic<Int>(0)
    private let cancellations = Mutex<[@Sendable () -> Void]>([])

    /// Counts one event.
    func tick() { counter.add(1, ordering: .relaxed) }

    /// The events counted so far.
    var count: Int { counter.load(ordering: .relaxed) }

    /// Has `task` cancelled if the watchdog finds the test stalled, so that a test waiting
    /// for its value does not hang.
    @discardableResult
    func cancelOnStall<Success, Failure>(_ task: Task<Success, Failure>) -> Task<Success, Failure> {
        cancellations.withLock { $0.append { task.cancel() } }
        return task
    }

    /// Cancels every task handed to ``cancelOnStall(_:)``.
    func cancelAll() {
        for cancel in cancellations.withLock({ $0 }) { cancel() }
    }
}

/// A flag one task raises and another waits for, such as "I have taken the socket".
final class TaskFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func raise() { value.store(true, ordering: .sequentiallyConsistent) }

    var isRaised: Bool { value.load(ordering: .sequentiallyConsistent) }

    /// Suspends (not blocking) until the flag is raised, at most `testTimeout`: it yields a
    /// few times, for a flag about to go up, then polls every 100 µs, so that waiting does not
    /// keep a thread of the cooperative pool busy.
    func wait() async throws {
        let deadline = ContinuousClock.now + testTimeout
        var polls = 0
        while !isRaised {
            guard ContinuousClock.now < deadline else { throw TestFailure("the flag was never raised") }
            polls += 1
            if polls < 50 {
                await Task.yield()
            } else {
                try await Task.sleep(for: .microseconds(100))
            }
        }
    }
}

/// A moment, in ``nowNanoseconds()``, that one task records and another reads.
final class Stamp: Sendable {
    private let value = Atomic<UInt64>(0)

    /// Records the current time.
    func record() { value.store(nowNanoseconds(), ordering: .sequentiallyConsistent) }

    var nanoseconds: UInt64 { value.load(ordering: .sequentiallyConsistent) }
}

/// The task that runs a test body, for a watchdog to cancel from another task.
private final class TaskToCancel: Sendable {
    // Set once before the watchdog starts; read by the watchdog, which the body outlives
    // (`withWatchdog` waits for the watchdog to end before it returns).
    nonisolated(unsafe) private let task: UnsafeCurrentTask?

    init(_ task: UnsafeCurrentTask?) { self.task = task }

    func cancel() { task?.cancel() }
}

/// Runs `body`, failing the test instead of hanging when it stops making progress.
///
/// A watchdog task checks `progress` every 50 ms. If it has not moved for `stallLimit` (of
/// time the pool was running: a held-up pool counts for little), or
/// `body` runs longer than `limit`, the watchdog records an issue, shuts `context` down
/// (which ends operations parked on its sockets with ``ZMQError/contextTerminated``), and
/// cancels the task running `body` and the tasks registered with
/// ``Progress/cancelOnStall(_:)`` (which ends parked operations with `CancellationError`
/// even if a wake-up was lost), so `body` ends with an error instead of hanging the run.
///
/// - Returns: What `body` returned.
func withWatchdog<Result>(
    _ what: String,
    context: Context,
    progress: Progress,
    stallLimit: Duration = Slack.stall,
    limit: Duration = .seconds(60) * Slack.factor,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Result
) async throws -> Result {
    let current = TaskToCancel(withUnsafeCurrentTask { $0 })
    let watchdog = Task {
        let start = ContinuousClock.now
        var lastCount = progress.count
        var previous = start
        // Time without progress, counting at most 100 ms per check: when the cooperative
        // pool is held up (the full test run has synchronous tests that block its threads for
        // seconds), the test could not run either, and that is not a stall.
        var stalledFor = Duration.zero
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let now = ContinuousClock.now
            let count = progress.count
            if count != lastCount {
                lastCount = count
                stalledFor = .zero
            } else {
                stalledFor += min(now - previous, .milliseconds(100))
            }
            previous = now
            let stalled = stalledFor >= stallLimit
            if !Task.isCancelled && (stalled || now - start >= limit) {
                Issue.record(
                    stalled
                        ? "\(what): stalled, no progress for \(stallLimit) after \(count) events"
                        : "\(what): still running after \(limit) (\(count) events)",
                    sourceLocation: sourceLocation)
                context.shutdown()
                progress.cancelAll()
                current.cancel()
                return
            }
        }
    }
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    watchdog.cancel()
    await watchdog.value
    return try result.get()
}

/// Bounds on how long things may take, generous for a loaded machine and more so under
/// ThreadSanitizer (`swift test --sanitize=thread`), which slows everything down several times
/// and, with a thousand sockets being set up next door, stalls a timed test for a second or
/// more. The bounds catch hangs and gross delays, not performance; the measured numbers are
/// reported instead.
enum Slack {
    /// Whether the process runs under ThreadSanitizer.
    static let threadSanitizer: Bool = {
        guard let program = dlopen(nil, RTLD_LAZY) else { return false }
        return dlsym(program, "__tsan_init") != nil
    }()

    /// How much longer than planned anything may take.
    static var factor: Int { threadSanitizer ? 10 : 1 }

    /// How late a timed wait may end: a second, or ten under ThreadSanitizer.
    static var late: Duration { .seconds(1) * factor }

    /// How long "at once" may take: half a second (a busy cooperative pool), or five.
    static var atOnce: Duration { .milliseconds(500) * factor }

    /// How long the watchdog waits for progress before it calls a test stalled.
    static var stall: Duration { .seconds(2) * factor }
}

/// A plain `Task.sleep` run alongside a wait under test, to tell a wake-up that is late because
/// of the library from one that is late because the cooperative pool is busy: the full test
/// run has synchronous tests that block its (two, on a two-core machine) threads for seconds,
/// and then every resumed task, this one included, runs late.
struct ControlSleep {
    private let start: ContinuousClock.Instant
    private let duration: Duration
    private let task: Task<ContinuousClock.Instant, Never>

    /// Starts sleeping `duration` from now.
    init(_ duration: Duration) {
        let start = ContinuousClock.now
        self.start = start
        self.duration = duration
        task = Task {
            try? await Task.sleep(until: start + duration, clock: .continuous)
            return .now
        }
    }

    /// How much later than planned the sleeping task ran again.
    var lateness: Duration {
        get async { await task.value - (start + duration) }
    }
}

/// The monotonic clock in nanoseconds, the time base tasks share to measure latencies.
func nowNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Spins for about `nanoseconds`, to shift the timing of a race by less than a sleep can.
func spin(nanoseconds: UInt64) {
    let end = nowNanoseconds() + nanoseconds
    while nowNanoseconds() < end {}
}

/// Blocks the calling thread (a thread of the cooperative pool, in async code): the
/// synchronous "busy" work of the edge-trigger tests.
func blockThread(milliseconds: Int) {
    var remaining = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    while true {
        let request = remaining
        guard nanosleep([request], &remaining) != 0 && errno == EINTR else { return }
    }
}

/// Latencies gathered over many rounds, summarised for the report.
struct Latencies {
    private(set) var nanoseconds: [UInt64] = []

    mutating func append(_ value: UInt64) { nanoseconds.append(value) }

    var count: Int { nanoseconds.count }

    /// The `fraction` quantile in milliseconds (0.5 for the median).
    func quantile(_ fraction: Double) -> Double {
        guard !nanoseconds.isEmpty else { return .nan }
        let sorted = nanoseconds.sorted()
        let index = min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))
        return Double(sorted[index]) / 1e6
    }

    var median: Double { quantile(0.5) }

    var summary: String {
        guard !nanoseconds.isEmpty else { return "n=0" }
        return "n=\(count) median \(milliseconds(median)) p90 \(milliseconds(quantile(0.9))) "
            + "p99 \(milliseconds(quantile(0.99))) max \(milliseconds(quantile(1)))"
    }
}

/// Formats milliseconds with three decimals.
func milliseconds(_ value: Double) -> String {
    guard value.isFinite else { return "\(value) ms" }
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
}

/// Prints a measured number so that a test run's log carries it (`grep ASYNC-MEASURE`).
func report(_ line: String) {
    print("ASYNC-MEASURE \(line)")
}

/// This process's thread count, from `/proc/self/status`.
func processThreadCount() -> Int {
    guard let status = readTextFile("/proc/self/status") else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst("Threads:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" })) ?? -1
    }
    return -1
}

/// How many of this process's threads carry `name` (as set by `pthread_setname_np`).
func threadCount(named name: String) -> Int {
    guard let tasks = opendir("/proc/self/task") else { return -1 }
    defer { closedir(tasks) }
    var count = 0
    while let entry = readdir(tasks) {
        // Through a pointer: copying the whole 256-byte `d_name` would read past a short
        // entry at the end of the directory buffer.
        let id = withUnsafeMutablePointer(to: &entry.pointee.d_name) { name in
            name.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: name.pointee)) {
                String(cString: $0)
            }
        }
        guard id != ".", id != ".." else { continue }
        if readTextFile("/proc/self/task/\(id)/comm")?.split(separator: "\n").first.map(String.init) == name {
            count += 1
        }
    }
    return count
}

/// The CPU time (user and system) this process has used so far, in nanoseconds.
func processCPUNanoseconds() -> UInt64 {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func nanoseconds(_ time: timeval) -> UInt64 {
        UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000
    }
    return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
}

/// Carries a scenario's outcome from the child process of an exit test to the test that
/// started it: a file named after the parent's process id and the scenario.
///
/// An exit test's child can only exit, and observing its output would hold threads of the
/// parent's cooperative pool while it runs, so the child writes its report line and the
/// failed checks to the file, and the parent reports and records them.
enum ChildReport {
    /// The file for scenario `name` of the test process `parent`.
    static func path(parent: pid_t, name: String) -> String {
        "/tmp/zmq-swift-tests-\(parent)-\(name).txt"
    }

    /// Runs `scenario` in the child, bounded by a deadline thread, writes its report line and
    /// failed checks for the parent, and throws (the child then exits with a failure) if a
    /// check failed.
    static func run(
        name: String,
        _ scenario: (inout [String]) async throws -> String
    ) async throws {
        // Nothing else bounds the child: if its sockets stall, end it.
        _ = try SocketThread(name: "test-deadline") {
            blockingSleep(.seconds(60) * Slack.factor)
            _exit(3)
        }
        var checks: [String] = []
        let line: String
        do {
            line = try await scenario(&checks)
        } catch {
            line = "\(name): failed"
            checks.append("\(name) threw \(error)")
        }
        writeTextFile(path(parent: getppid(), name: name), ([line] + checks).joined(separator: "\n"))
        guard checks.isEmpty else { throw TestFailure(checks.joined(separator: "; ")) }
    }

    /// In the parent: reports the child's line and records its failed checks.
    static func collect(name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let file = path(parent: getpid(), name: name)
        guard let text = readTextFile(file) else {
            Issue.record("\(name): the child process left no report", sourceLocation: sourceLocation)
            return
        }
        unlink(file)
        let lines = text.split(separator: "\n").map(String.init)
        report(lines.first ?? name)
        for check in lines.dropFirst() { Issue.record("\(name): \(check)", sourceLocation: sourceLocation) }
    }
}

/// Writes `text` to a file, replacing it; failures are ignored (it only carries a report).
func writeTextFile(_ path: String, _ text: String) {
    let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard file >= 0 else { return }
    defer { close(file) }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// A small text file's contents (a `/proc` file, say), or `nil` if it can't be read.
func readTextFile(_ path: String) -> String? {
    let file = open(path, O_RDONLY | O_CLOEXEC)
    guard file >= 0 else { return nil }
    defer { close(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
        if count > 0 {
            bytes += chunk[..<count]
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// What a task's async operation ended with, for counting outcomes of races.
enum Outcome: Sendable, Equatable {
    /// It completed with this payload (`nil` when it returned no message or `false`).
    case completed(String?)
    /// It threw `CancellationError`.
    case cancelled
    /// It threw something else.
    case failed(String)

    init(catching body: () async throws -> String?) async {
        do {
            self = .completed(try await body())
        } catch is CancellationError {
            self = .cancelled
        } catch {
            self = .failed("\(error)")
        }
    }
}

/// Sets a socket's high-water marks (and, for TCP, its kernel buffers) low, so a few
/// messages fill it.
func makeTiny<Kind: SocketKind>(_ socket: borrowing Socket<Kind>, highWaterMark: Int = 1) throws {
    try socket.setOption(.sendHighWaterMark, highWaterMark)
    try socket.setOption(.receiveHighWaterMark, highWaterMark)
    try socket.setOption(.sendBufferSize, 4096)
    try socket.setOption(.receiveBufferSize, 4096)
}

/// Creates a socket whose blocking sends and receives wait up to a minute (async ones too),
/// and whose close does not linger.
///
/// The shared `makeSocket` gives up after five seconds, which is too short for a blocking
/// peer of an async test in the full test run: synchronous tests elsewhere hold the
/// cooperative pool's threads for longer than that, and the async side can't run meanwhile.
/// A stall is caught by ``withWatchdog(_:context:progress:stallLimit:limit:sourceLocation:_:)``
/// instead, which shuts the context down and so ends any blocking call.
func makePatientSocket<Kind: SocketKind>(_ kind: Kind.Type, context: Context) throws(ZMQError) -> Socket<Kind> {
    let socket = try Socket<Kind>(context: context)
    try socket.setOption(.receiveTimeout, .seconds(60))
    try socket.setOption(.sendTimeout, .seconds(60))
    try socket.setOption(.linger, .zero)
    return socket
}

/// Sends 16 KiB messages until there has been no room for `quiet`: the socket's queues (and,
/// over TCP, the kernel's buffers, which drain in steps for a while) are then full, and a
/// send waits.
///
/// - Returns: How many messages it queued.
@discardableResult
func fillUntilFull<Kind: SendingKind>(_ socket: borrowing Socket<Kind>, quiet: Duration = .milliseconds(200)) async throws -> Int {
    let previous = try socket.option(.sendTimeout)
    try socket.setOption(.sendTimeout, quiet)
    let payload = patternBytes(count: 16_384)
    var count = 0
    while try await socket.send(payload) {
        count += 1
        guard count < 10_000 else { throw TestFailure("the socket never filled up") }
    }
    try socket.setOption(.sendTimeout, previous)
    return count
}
