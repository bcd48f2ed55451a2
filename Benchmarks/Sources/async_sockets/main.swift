// async_sockets <socket-count> <message-count>: many sockets waiting at once on the async
// layer's one event thread.
//
// socket-count PULL sockets on one context (no I/O thread: everything is inproc), each
// received from by its own child task in one task group; one PUSH socket, connected to all of
// them, is fed 64-byte messages by a sender task and deals them out round-robin (libzmq's
// PUSH does that). One PUSH rather than one per PULL keeps the process at socket-count + 1
// sockets, and file descriptors (libzmq gives each socket one), so 10,000 sockets fit in a
// 20,000 fd limit; the waiting side, where the async layer works, is the same.
//
// The clock starts when the first message is received and stops when the last one is, as
// local_thr measures. The receivers count what they get in one shared counter; the one that
// receives the last message ends the test, and the others, still waiting, are cancelled.
//
// Prints `sockets: N`, `threads: T` (the most threads the process had, sampled from
// /proc/self/status once the receivers wait, every 1,024 sends, and at the end) and
// `mean throughput: X [msg/s]`.
import PerfSupport
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

let usage = "usage: async_sockets <socket-count> <message-count>"
let messageSize = 64

struct Options: Sendable {
    var sockets: Int
    var count: Int

    static func parse() -> Options {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "-h" || arguments.first == "--help" {
            print(usage)
            print("""

                socket-count PULL sockets, each awaited by its own task, fed \(messageSize)-byte messages
                round-robin over inproc by one PUSH socket; prints the socket count, the process's
                peak thread count and the mean throughput.
                """)
            exit(0)
        }
        guard arguments.count == 2, let sockets = Int32(arguments[0]), sockets > 0,
              let count = Int32(arguments[1]), count > 0 else {
            fail(usage)
        }
        return Options(sockets: Int(sockets), count: Int(count))
    }
}

/// What the tasks share: counts, the clock, the peak thread count.
final class Shared: Sendable {
    /// Receivers that have their socket bound and are about to wait.
    let ready = Atomic<Int>(0)
    /// Messages received by all receivers together.
    let received = Atomic<Int>(0)
    let start = Atomic<UInt64>(0)
    let end = Atomic<UInt64>(0)
    let peakThreads = Atomic<Int>(0)

    func sampleThreads() {
        peakThreads.max(currentThreadCount(), ordering: .relaxed)
    }
}

/// One receiver: binds its PULL socket and receives into one reused message until the test
/// is over. Returns whether it received the last message.
func receive(index: Int, context: Context, shared: Shared, total: Int) async throws -> Bool {
    let socket = try PullSocket(context: context)
    try socket.bind(to: "inproc://async-sockets-\(index)")
    var message = Message()
    shared.ready.add(1, ordering: .releasing)
    while true {
        try await socket.receive(into: &message)
        if message.count != messageSize {
            fail("message of incorrect size received: \(message.count) [B], expected \(messageSize) [B]")
        }
        let number = shared.received.add(1, ordering: .relaxed).newValue
        if number == 1 { shared.start.store(monotonicMicroseconds(), ordering: .relaxed) }
        if number == total {
            shared.end.store(monotonicMicroseconds(), ordering: .relaxed)
            return true
        }
    }
}

/// The sender: waits until every receiver is bound, connects one PUSH socket to all of them
/// and sends `total` messages, a fresh 64-byte payload each, built in one reused message.
func send(sockets: Int, context: Context, shared: Shared, total: Int) async throws -> Bool {
    // A receiver that cannot open its socket fails the group, which cancels this task.
    while shared.ready.load(ordering: .acquiring) < sockets {
        try Task.checkCancellation()
        await Task.yield()
    }
    let socket = try PushSocket(context: context)
    for index in 0..<sockets { try socket.connect(to: "inproc://async-sockets-\(index)") }
    shared.sampleThreads()
    var message = Message()
    for number in 0..<total {
        try message.rebuild(count: messageSize)
        try await socket.send(&message)
        if number & 1023 == 0 { shared.sampleThreads() }
    }
    shared.sampleThreads()
    return false
}

func run(_ options: Options) async throws {
    let wantedFiles = options.sockets + 256
    let fileLimit = raiseOpenFileLimit(to: wantedFiles)
    if fileLimit < wantedFiles {
        printError("async_sockets: the open-file limit is \(fileLimit), below the \(wantedFiles) this needs; expect failures")
    }
    let context = try Context(ioThreads: 0, maxSockets: options.sockets + 16)
    let shared = Shared()
    let total = options.count
    shared.sampleThreads()
    try await withThrowingTaskGroup(of: Bool.self) { group in
        for index in 0..<options.sockets {
            group.addTask { try await receive(index: index, context: context, shared: shared, total: total) }
        }
        group.addTask { try await send(sockets: options.sockets, context: context, shared: shared, total: total) }
        // Once the last message is in, the receivers still waiting are cancelled.
        while let receivedLast = try await group.next() {
            if receivedLast { break }
        }
        shared.sampleThreads()
        group.cancelAll()
        while true {
            do {
                guard try await group.next() != nil else { break }
            } catch is CancellationError {
                continue
            }
        }
    }
    shared.sampleThreads()
    let elapsed = max(shared.end.load(ordering: .relaxed) - shared.start.load(ordering: .relaxed), 1)
    let throughput = UInt64(Double(total) / Double(elapsed) * 1_000_000)
    print("sockets: \(options.sockets)")
    print("threads: \(shared.peakThreads.load(ordering: .relaxed))")
    print("mean throughput: \(throughput) [msg/s]")
}

let options = Options.parse()
runAsyncMain { try await run(options) }
