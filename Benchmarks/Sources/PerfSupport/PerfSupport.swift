import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parsed command line of a perf tool: `<endpoint> <message-size> <count>` (or, for the
/// inproc tools, `<message-size> <count>`), as libzmq's perf tools take it.
public struct PerfArguments: Sendable {
    /// The endpoint to bind or connect to; `nil` for the inproc tools.
    public let endpoint: String?
    /// The payload size in bytes.
    public let messageSize: Int
    /// The message or roundtrip count.
    public let count: Int

    /// Parses `CommandLine.arguments`, or prints libzmq's usage line and exits 1.
    ///
    /// - Parameters:
    ///   - tool: The tool's name, for the usage line.
    ///   - countName: `message-count` or `roundtrip-count`.
    ///   - hasEndpoint: Whether the first argument is an endpoint.
    public static func parse(tool: String, countName: String, hasEndpoint: Bool) -> PerfArguments {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let usage = hasEndpoint
            ? "usage: \(tool) <\(tool.hasPrefix("local") || tool.hasPrefix("async_local") ? "bind-to" : "connect-to")> <message-size> <\(countName)>"
            : "usage: \(tool) <message-size> <\(countName)>"
        guard arguments.count == (hasEndpoint ? 3 : 2) else { fail(usage) }
        let endpoint = hasEndpoint ? arguments.removeFirst() : nil
        // The C tools read C ints; accept the same range.
        guard let size = Int32(arguments[0]), size >= 0, let count = Int32(arguments[1]), count > 0 else {
            fail(usage)
        }
        return PerfArguments(endpoint: endpoint, messageSize: Int(size), count: Int(count))
    }
}

/// Prints a line to standard error.
public func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Prints a message to standard error and exits with status 1.
public func fail(_ message: String) -> Never {
    printError(message)
    exit(1)
}

/// Runs a tool's body, turning a ZeroMQ error into `error: <description>` on standard error and
/// exit status 1.
public func runTool(_ body: () throws(ZMQError) -> Void) {
    do {
        try body()
    } catch {
        fail("error: \(error)")
    }
}

/// Microseconds on a monotonic clock, as libzmq's `zmq_stopwatch_start` measures.
public func monotonicMicroseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
}

/// Prints libzmq's `local_thr` result lines.
public func printThroughput(messageSize: Int, messageCount: Int, elapsedMicroseconds: UInt64) {
    let elapsed = max(elapsedMicroseconds, 1)
    let throughput = UInt64((Double(messageCount) / Double(elapsed)) * 1_000_000)
    let megabits = Double(throughput) * Double(messageSize) * 8 / 1_000_000
    print("message size: \(messageSize) [B]")
    print("message count: \(messageCount)")
    print("mean throughput: \(throughput) [msg/s]")
    print("mean throughput: \(formatted(megabits)) [Mb/s]")
}

/// Prints libzmq's `remote_lat` result lines; latency is elapsed / (2 × roundtrips).
public func printLatency(messageSize: Int, roundtripCount: Int, elapsedMicroseconds: UInt64) {
    let latency = Double(elapsedMicroseconds) / Double(roundtripCount * 2)
    print("message size: \(messageSize) [B]")
    print("roundtrip count: \(roundtripCount)")
    print("average latency: \(formatted(latency)) [us]")
}

/// A number with three decimals, as C's `%.3f` prints it.
private func formatted(_ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let length = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.3f", $0) }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Keeps a sending socket open until its peer has disconnected, with a cap.
///
/// Over ipc:// a sender that closes right after its last send can lose the tail of the stream
/// (libzmq issue 4660) even with linger, so the throughput senders wait for the receiver to
/// hang up first, as a socket monitor reports it.
public struct DisconnectWatch: ~Copyable {
    private let monitor: PairSocket

    /// Starts watching `socket` for disconnections. Call before connecting it.
    public init<Kind>(_ socket: borrowing Socket<Kind>, name: String) throws(ZMQError) {
        let endpoint = "inproc://perf-monitor-\(name)"
        try socket.startMonitor(on: endpoint, events: .disconnected)
        let monitor = try PairSocket(context: socket.context)
        try monitor.connect(to: endpoint)
        self.monitor = monitor
    }

    /// Waits until the peer disconnects, or `cap` passes.
    ///
    /// - Returns: Whether the peer disconnected within the cap.
    public func waitForDisconnect(cap: Duration = .seconds(10)) throws(ZMQError) -> Bool {
        try monitor.setOption(.receiveTimeout, cap)
        return try monitor.receiveMonitorEvent() != nil
    }
}

// MARK: - The measured loops, written as a user of the library would write them.

#if PERF_SLOWDOWN
/// Where ``extraWork()`` leaves its result, so that the optimizer cannot drop the work.
nonisolated(unsafe) private var extraWorkSink: UInt64 = 1

/// About 150 instructions of work per call: a build made with `-Xswiftc -DPERF_SLOWDOWN` is a
/// deliberately slower Swift layer, to show that `make check-performance` fails on one.
@inline(never)
private func extraWork() {
    var x = extraWorkSink
    for _ in 0..<16 {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
    }
    extraWorkSink = x
}
#else
/// Nothing: see the `PERF_SLOWDOWN` build.
@inline(__always)
private func extraWork() {}
#endif

/// Exits when a received frame is not the expected size, as libzmq's tools do.
@inline(__always)
private func checkSize(_ message: borrowing Message, _ size: Int) {
    let count = message.count
    if count != size {
        fail("message of incorrect size received: \(count) [B], expected \(size) [B]")
    }
}

/// The REP side of a latency test: receives and echoes back `count` messages in one reused
/// message.
public func echoLoop(_ socket: borrowing ReplySocket, size: Int, count: Int) throws(ZMQError) {
    var message = Message()
    for _ in 0..<count {
        extraWork()
        try socket.receive(into: &message)
        checkSize(message, size)
        try socket.send(&message)
    }
}

/// The REQ side of a latency test: times `count` round trips of one reused message and prints
/// the report.
public func pingLoop(_ socket: borrowing RequestSocket, size: Int, count: Int) throws(ZMQError) {
    var message = try Message(count: size)
    let start = monotonicMicroseconds()
    for _ in 0..<count {
        extraWork()
        try socket.send(&message)
        try socket.receive(into: &message)
        checkSize(message, size)
    }
    let elapsed = monotonicMicroseconds() - start
    printLatency(messageSize: size, roundtripCount: count, elapsedMicroseconds: elapsed)
}

/// The sending side of a throughput test: a fresh payload per send, as libzmq's tool does,
/// built in place in one reused message.
public func sendLoop(_ socket: borrowing PushSocket, size: Int, count: Int) throws(ZMQError) {
    var message = Message()
    for _ in 0..<count {
        extraWork()
        try message.rebuild(count: size)
        try socket.send(&message)
    }
}

/// The receiving side of a throughput test: the clock starts once the first message is in.
/// Prints the report.
public func receiveLoop(_ socket: borrowing PullSocket, size: Int, count: Int) throws(ZMQError) {
    var message = Message()
    try socket.receive(into: &message)
    checkSize(message, size)
    let start = monotonicMicroseconds()
    for _ in 1..<count {
        extraWork()
        try socket.receive(into: &message)
        checkSize(message, size)
    }
    let elapsed = monotonicMicroseconds() - start
    printThroughput(messageSize: size, messageCount: count, elapsedMicroseconds: elapsed)
}

// MARK: - The same loops with the async API

// Each loop is the blocking loop above with `await` on every send and receive: the async
// overloads try the non-blocking call first and suspend (on the process's event thread) only
// when it would block. They run on Swift's cooperative pool, never blocking one of its threads.

/// The environment variable that picks the executor the async tools run on: `event-loop`
/// runs them on ``AsyncEventLoopExecutor`` (the process's event thread); unset, or `default`,
/// on Swift's global executor. Anything else is an error.
public let asyncExecutorVariable = "ZMQ_ASYNC_EXECUTOR"

/// Whether `ZMQ_ASYNC_EXECUTOR=event-loop` asks for the event thread's executor; exits 1
/// with a one-line reason on an unknown value.
func wantsEventLoopExecutor() -> Bool {
    guard let value = getenv(asyncExecutorVariable).map({ String(cString: $0) }) else { return false }
    switch value {
    case "", "default": return false
    case "event-loop": return true
    default: fail("error: \(asyncExecutorVariable)=\(value): expected event-loop or default")
    }
}

/// Runs an async tool's body in a task and waits for it on the main thread, which is not
/// one of the cooperative pool's; exits with `error: <description>` on standard error and
/// status 1 if it throws.
///
/// The task runs on Swift's global executor (the cooperative pool), or, when the environment
/// has `ZMQ_ASYNC_EXECUTOR=event-loop`, prefers ``AsyncEventLoopExecutor``: the body and its
/// child tasks, which inherit the preference, then run on the process's event thread and are
/// resumed where their socket's readiness was seen. Arguments and output are the same either
/// way.
///
/// The tools' `main.swift` stay synchronous rather than use top-level `await`: an async main
/// ends in `dispatch_main`, whose signal handling valgrind 3.19 (Debian 12) crashes on, and
/// the instruction counts run the tools under valgrind.
///
/// - Parameter body: The tool.
public func runAsyncMain(_ body: @escaping @Sendable () async throws -> Void) {
    let executor: AsyncEventLoopExecutor?
    do {
        executor = wantsEventLoopExecutor() ? try AsyncEventLoopExecutor.shared() : nil
    } catch {
        fail("error: \(asyncExecutorVariable)=event-loop: \(error)")
    }
    // The task says it is done by writing a byte into a pipe that this thread reads.
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { fail("error: pipe: \(String(cString: strerror(errno)))") }
    let (readEnd, writeEnd) = (ends[0], ends[1])
    Task.detached(executorPreference: executor) {
        do {
            try await body()
        } catch {
            fail("error: \(error)")
        }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }
    var byte: UInt8 = 0
    while read(readEnd, &byte, 1) < 0 && errno == EINTR {}
}

/// Runs an async tool's body (see ``runAsyncMain(_:)``) on a context made here, then
/// terminates the context on the main thread once the body has closed its sockets, so that
/// what they still have queued, such as local_lat's last reply, goes out before the process
/// exits. (A released context terminates on a background thread, which the exit would cut
/// short.)
///
/// - Parameter body: The tool, given the context.
public func runAsyncMain(terminating body: @escaping @Sendable (Context) async throws -> Void) {
    let context: Context
    do {
        context = try Context()
    } catch {
        fail("error: \(error)")
    }
    runAsyncMain { try await body(context) }
    context.terminate()
}

/// The REP side of a latency test with the async API: receives and echoes back `count`
/// messages in one reused message.
public func asyncEchoLoop(_ socket: borrowing ReplySocket, size: Int, count: Int) async throws {
    var message = Message()
    for _ in 0..<count {
        extraWork()
        try await socket.receive(into: &message)
        checkSize(message, size)
        try await socket.send(&message)
    }
}

/// The REQ side of a latency test with the async API: times `count` round trips of one reused
/// message and prints the report.
public func asyncPingLoop(_ socket: borrowing RequestSocket, size: Int, count: Int) async throws {
    var message = try Message(count: size)
    let start = monotonicMicroseconds()
    for _ in 0..<count {
        extraWork()
        try await socket.send(&message)
        try await socket.receive(into: &message)
        checkSize(message, size)
    }
    let elapsed = monotonicMicroseconds() - start
    printLatency(messageSize: size, roundtripCount: count, elapsedMicroseconds: elapsed)
}

/// The sending side of a throughput test with the async API: a fresh payload per send, built
/// in place in one reused message.
public func asyncSendLoop(_ socket: borrowing PushSocket, size: Int, count: Int) async throws {
    var message = Message()
    for _ in 0..<count {
        extraWork()
        try message.rebuild(count: size)
        try await socket.send(&message)
    }
}

/// The receiving side of a throughput test with the async API: the clock starts once the
/// first message is in. Prints the report.
public func asyncReceiveLoop(_ socket: borrowing PullSocket, size: Int, count: Int) async throws {
    var message = Message()
    try await socket.receive(into: &message)
    checkSize(message, size)
    let start = monotonicMicroseconds()
    for _ in 1..<count {
        extraWork()
        try await socket.receive(into: &message)
        checkSize(message, size)
    }
    let elapsed = monotonicMicroseconds() - start
    printThroughput(messageSize: size, messageCount: count, elapsedMicroseconds: elapsed)
}

/// The number of threads the process has now, from `Threads:` in `/proc/self/status`, or 0
/// where there is no such file.
public func currentThreadCount() -> Int {
    let descriptor = open("/proc/self/status", O_RDONLY)
    guard descriptor >= 0 else { return 0 }
    defer { close(descriptor) }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
        var length = 0
        while length < buffer.count {
            let got = read(descriptor, buffer.baseAddress! + length, buffer.count - length)
            if got <= 0 { break }
            length += got
        }
        // Find "\nThreads:" and read the number after it.
        let key = Array("\nThreads:".utf8)
        var index = 0
        while index + key.count <= length {
            var matches = true
            for offset in 0..<key.count where buffer[index + offset] != key[offset] {
                matches = false
                break
            }
            if matches {
                var cursor = index + key.count
                while cursor < length, buffer[cursor] == UInt8(ascii: " ") || buffer[cursor] == UInt8(ascii: "\t") {
                    cursor += 1
                }
                var value = 0
                while cursor < length, buffer[cursor] >= UInt8(ascii: "0"), buffer[cursor] <= UInt8(ascii: "9") {
                    value = value * 10 + Int(buffer[cursor] - UInt8(ascii: "0"))
                    cursor += 1
                }
                return value
            }
            index += 1
        }
        return 0
    }
}

/// Raises the soft limit on open files to at least `wanted`, as far as the hard limit allows.
///
/// - Returns: The soft limit afterwards.
public func raiseOpenFileLimit(to wanted: Int) -> Int {
    var limit = rlimit()
    guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 0 }
    if limit.rlim_cur < rlim_t(wanted) {
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
        _ = getrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }
    return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
}

#if canImport(Glibc)
/// `RLIMIT_NOFILE` as `getrlimit` takes it (an enum type in glibc's headers).
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif

// MARK: - Threads

/// A started thread, to join with ``joinThread(_:)`` on the thread that started it.
///
/// Not `Sendable`: `pthread_t` is an integer on Linux but a pointer on Darwin, and nothing
/// needs to hand a `PerfThread` to another thread.
public struct PerfThread: ~Copyable {
    fileprivate let handle: pthread_t
}

/// Starts `body` on a new thread (the inproc tools' second end).
public func startThread(_ body: @escaping @Sendable () -> Void) -> PerfThread {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { argument in
        Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
        return nil
    }, box)
    if result != 0 { fail("error in pthread_create: \(result)") }
    return PerfThread(handle: thread)
}

/// Waits for a thread started with ``startThread(_:)`` to finish.
public func joinThread(_ thread: consuming PerfThread) {
    pthread_join(thread.handle, nil)
}
