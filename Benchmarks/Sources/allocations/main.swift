// allocations [--check THRESHOLDS.json] [--inject-allocation] [message-count]
//
// Heap allocations per message on the library's hot paths, next to the same loop written in C,
// so the Swift layer's own share is the difference.
//
// Every malloc in the process is counted (see CMallocCounter), including libzmq's own: a
// libzmq message of more than 33 bytes owns a heap block, in C as in Swift.
//
// With --check, each path's allocations added by the Swift layer (Swift minus the same C loop
// where there is one, the Swift count otherwise) are compared with the committed thresholds
// (Benchmarks/Thresholds/allocations.json, as swift-nio's Benchmarks/Thresholds hold its malloc
// counts): one `FAIL` line per path over its threshold on standard error, and exit status 1.
// --inject-allocation makes one extra allocation per message in the Swift loops only, to show
// that the check fails when the library starts allocating.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMallocCounter
import PerfSupport
import ZeroMQ

let usage = "usage: allocations [--check <thresholds.json>] [--inject-allocation] [message-count]"
let help = """
    \(usage)

    Counts heap allocations per message on the library's hot paths over inproc PAIR sockets,
    next to the same loops written in C, and prints a Markdown table.

      --check <file>         compare each path with its threshold in <file> (a JSON object of
                             path id -> allowed allocations per message added by the Swift layer);
                             print one FAIL line per path over it and exit 1
      --inject-allocation    make one extra heap allocation per message in the Swift loops (to
                             show that --check fails)
      message-count          messages per path after a 1000-message warm-up (default 100000)
    """

/// The command line.
struct Options {
    var thresholdsPath: String?
    var injectAllocation = false
    var count = 100_000

    static func parse() -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        var sawCount = false
        while let argument = arguments.popFirst() {
            switch argument {
            case "-h", "--help":
                print(help)
                exit(0)
            case "--check":
                guard let path = arguments.popFirst() else { fail("allocations: --check needs a file\n\(usage)") }
                options.thresholdsPath = path
            case "--inject-allocation":
                options.injectAllocation = true
            default:
                guard !sawCount, let count = Int32(argument), count > 0 else {
                    fail("allocations: unexpected argument '\(argument)'\n\(usage)")
                }
                options.count = Int(count)
                sawCount = true
            }
        }
        return options
    }
}

let options = Options.parse()
let count = options.count
let warmUp = 1000

/// Reads the thresholds file before anything is measured, so that a bad file fails fast.
let thresholds: [String: Double]? = options.thresholdsPath.map { path in
    guard let data = FileManager.default.contents(atPath: path) else {
        fail("allocations: cannot read thresholds file \(path)")
    }
    do {
        return try JSONDecoder().decode([String: Double].self, from: data)
    } catch {
        fail("allocations: \(path) is not a JSON object of path id to number: \(error)")
    }
}

/// Counts the allocations `count` iterations of `step` make, after a warm-up.
func allocations(_ step: () throws(ZMQError) -> Void) throws(ZMQError) -> Double {
    let inject = options.injectAllocation
    for _ in 0..<warmUp { try step() }
    let before = malloc_counter_allocations()
    for _ in 0..<count {
        try step()
        if inject { malloc_counter_inject_allocation() }
    }
    return Double(malloc_counter_allocations() - before) / Double(count)
}

/// The C loop's allocations per message, from a `c_baseline_*` total.
func perMessage(_ total: Int) -> Double {
    if total < 0 { fail("allocations: the C baseline loop failed") }
    return Double(total) / Double(count)
}

/// A connected PAIR over inproc in its own context.
struct Pair: ~Copyable {
    let a: PairSocket
    let b: PairSocket

    init() throws(ZMQError) {
        let context = try Context()
        let a = try PairSocket(context: context)
        let b = try PairSocket(context: context)
        try a.bind(to: "inproc://allocations")
        try b.connect(to: "inproc://allocations")
        self.a = a
        self.b = b
    }
}

/// One measured path.
struct Row {
    /// The key of the path's threshold in the thresholds file.
    let id: String
    let title: String
    let swift: Double
    /// The same loop in C, where there is one.
    let c: Double?
    /// Whether the thresholds file must hold this path's threshold. The async waiting paths on
    /// the global executor are only reported: their count is libdispatch's (see below), and
    /// varies with how often a receive waits.
    var isGuarded = true

    /// The allocations per message the Swift layer adds: Swift minus C, or Swift alone.
    var added: Double { c.map { swift - $0 } ?? swift }
}

var rows: [Row] = []

runTool { () throws(ZMQError) in
    for size in [8, 64] {
        // A fresh Message per send, one reused Message to receive into.
        let pair = try Pair()
        var received = Message()
        let swift = try allocations { () throws(ZMQError) in
            var message = try Message(count: size)
            try pair.a.send(&message)
            try pair.b.receive(into: &received)
        }
        rows.append(Row(id: "send-message-\(size)B", title: "send `Message(count: \(size))`, `receive(into:)` reused",
                        swift: swift, c: perMessage(c_baseline_message_pair(Int32(size), Int32(count)))))
    }
    for size in [8, 64, 4096] {
        // One message bounced back and forth: the payload moves, nothing is rebuilt.
        let pair = try Pair()
        var ping = try Message(count: size)
        var pong = Message()
        let swift = try allocations { () throws(ZMQError) in
            try pair.a.send(&ping)
            try pair.b.receive(into: &pong)
            try pair.b.send(&pong)
            try pair.a.receive(into: &ping)
        }
        rows.append(Row(id: "echo-\(size)B", title: "echo one reused `Message`, \(size) B (per round trip)",
                        swift: swift, c: perMessage(c_baseline_echo(Int32(size), Int32(count)))))
    }
    for size in [8, 64] {
        // zmq_send from a caller's buffer and zmq_recv into one.
        let pair = try Pair()
        let outgoing = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        let incoming = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        outgoing.initializeMemory(as: UInt8.self, repeating: 120)
        defer { outgoing.deallocate(); incoming.deallocate() }
        let swift = try allocations { () throws(ZMQError) in
            try pair.a.send(UnsafeRawBufferPointer(outgoing))
            _ = try pair.b.receive(into: incoming)
        }
        rows.append(Row(id: "send-buffer-\(size)B",
                        title: "`send(UnsafeRawBufferPointer)`, `receive(into: buffer)`, \(size) B",
                        swift: swift, c: perMessage(c_baseline_buffer_pair(Int32(size), Int32(count)))))
    }
    do {
        // A three-frame multipart message, sent and received through reused Multiparts.
        let pair = try Pair()
        var parts = Multipart()
        var received = Multipart()
        let swift = try allocations { () throws(ZMQError) in
            parts.append(try Message(count: 8))
            parts.append(try Message(count: 8))
            parts.append(try Message(count: 8))
            try pair.a.send(&parts)
            try pair.b.receive(into: &received)
        }
        rows.append(Row(id: "multipart-3x8B",
                        title: "`Multipart` of 3 × 8 B, sent from and received into reused `Multipart`s",
                        swift: swift, c: nil))
    }
    do {
        // Polling a ready socket and receiving from it.
        let pair = try Pair()
        var poller = Poller()
        poller.add(pair.b, events: .readable)
        var received = Message()
        let swift = try allocations { () throws(ZMQError) in
            try pair.a.send(try Message(count: 8))
            try poller.poll(timeout: .seconds(1))
            try pair.b.receive(into: &received)
        }
        rows.append(Row(id: "poll-receive-8B", title: "`Poller.poll` + `receive(into:)`, 8 B", swift: swift, c: nil))
    }
    do {
        // The convenience API allocates a Swift array or string per message, by design.
        let pair = try Pair()
        let payload = [UInt8](repeating: 120, count: 8)
        let swift = try allocations { () throws(ZMQError) in
            try pair.a.send(payload)
            _ = try pair.b.receiveBytes()
        }
        rows.append(Row(id: "send-bytes-receive-bytes-8B",
                        title: "`send([UInt8])`, `receiveBytes()` (convenience; allocates the array)",
                        swift: swift, c: nil))
    }
}

// MARK: - The async API's reuse paths

/// Counts the allocations `count` iterations of an async `step` make, after a warm-up.
func asyncAllocations(count: Int, _ step: () async throws -> Void) async throws -> Double {
    let inject = options.injectAllocation
    for _ in 0..<warmUp { try await step() }
    let before = malloc_counter_allocations()
    for _ in 0..<count {
        try await step()
        if inject { malloc_counter_inject_allocation() }
    }
    return Double(malloc_counter_allocations() - before) / Double(count)
}

/// Busy-waits for `microseconds` without allocating, sleeping or yielding: long enough for
/// the peer task, on another thread of the pool, to find nothing to receive and suspend.
func spin(microseconds: UInt64) {
    let until = monotonicMicroseconds() + microseconds
    while monotonicMicroseconds() < until {}
}

/// What the peer of a waiting path does with each message or multipart message it receives.
enum Echo: Sendable {
    case message
    case multipart
}

/// The echoing peer of a waiting path, in its own task with its own socket: receives into a
/// reused `Message` or `Multipart`, suspending until each arrives, and sends it back, `total`
/// times.
func asyncEchoPeer(context: Context, endpoint: String, kind: Echo, total: Int) async throws {
    let socket = try PairSocket(context: context)
    try socket.connect(to: endpoint)
    switch kind {
    case .message:
        var message = Message()
        for _ in 0..<total {
            try await socket.receive(into: &message)
            try await socket.send(&message)
        }
    case .multipart:
        var parts = Multipart()
        for _ in 0..<total {
            try await socket.receive(into: &parts)
            try await socket.send(&parts)
        }
    }
}

/// How many of the measured receives of the waiting paths found nothing ready (tried with
/// `.dontWait` first), and how many receives there were.
nonisolated(unsafe) var waitingReceives = (empty: 0, total: 0)
/// The same count per executor, reported at the end.
nonisolated(unsafe) var waitingReports: [String] = []

/// One waiting path: this task sends to an echoing peer task and receives the echo, each
/// side suspending in its receive until the other has sent. Before each send this task spins
/// for `spin` microseconds, so that the peer has suspended by then.
func asyncWaitingPath(
    _ index: Int,
    kind: Echo,
    count: Int,
    spin spinMicroseconds: UInt64,
    size: Int
) async throws -> Double {
    let context = try Context()
    let endpoint = "inproc://allocations-async-\(index)"
    let socket = try PairSocket(context: context)
    try socket.bind(to: endpoint)
    async let peer: Void = asyncEchoPeer(context: context, endpoint: endpoint, kind: kind, total: warmUp + count)
    var empty = 0
    let result: Double
    switch kind {
    case .message:
        var message = try Message(count: size)
        result = try await asyncAllocations(count: count) {
            spin(microseconds: spinMicroseconds)
            try await socket.send(&message)
            if try await !socket.receive(into: &message, .dontWait) {
                empty += 1
                try await socket.receive(into: &message)
            }
        }
    case .multipart:
        var parts = Multipart()
        parts.append(try Message(count: 8))
        parts.append(try Message(count: 8))
        parts.append(try Message(count: 8))
        result = try await asyncAllocations(count: count) {
            spin(microseconds: spinMicroseconds)
            try await socket.send(&parts)
            if try await !socket.receive(into: &parts, .dontWait) {
                empty += 1
                try await socket.receive(into: &parts)
            }
        }
    }
    try await peer
    waitingReceives.empty += empty
    waitingReceives.total += warmUp + count
    return result
}

/// Notes how many receives of the waiting paths just measured had to wait, and starts over.
func reportWaiting(on executor: String) {
    guard waitingReceives.total > 0 else { return }
    let percent = Double(waitingReceives.empty) * 100 / Double(waitingReceives.total)
    waitingReports.append("allocations: in the async waiting paths on \(executor), \(waitingReceives.empty) of "
        + "\(waitingReceives.total) receives (\((percent * 10).rounded() / 10)%) found nothing ready and waited")
    waitingReceives = (0, 0)
}

/// The async paths, with ids that start with `prefix` and titles that start with `label`:
/// measured on the global executor, then on the event thread (`AsyncEventLoopExecutor`).
func measureAsyncPaths(prefix: String, label: String, guardsWaiting: Bool) async throws -> [Row] {
    var rows: [Row] = []
    for size in [8, 64] {
        // Both ends in one task: every receive finds its frame queued, so nothing suspends.
        let pair = try Pair()
        var ping = try Message(count: size)
        var pong = Message()
        let swift = try await asyncAllocations(count: count) {
            try await pair.a.send(&ping)
            try await pair.b.receive(into: &pong)
            try await pair.b.send(&pong)
            try await pair.a.receive(into: &ping)
        }
        rows.append(Row(id: "\(prefix)-echo-\(size)B", title: "\(label): echo one reused `Message`, \(size) B, never waiting (per round trip)",
                        swift: swift, c: nil))
    }
    do {
        let pair = try Pair()
        var parts = Multipart()
        parts.append(try Message(count: 8))
        parts.append(try Message(count: 8))
        parts.append(try Message(count: 8))
        var received = Multipart()
        let swift = try await asyncAllocations(count: count) {
            try await pair.a.send(&parts)
            try await pair.b.receive(into: &received)
            try await pair.b.send(&received)
            try await pair.a.receive(into: &parts)
        }
        rows.append(Row(id: "\(prefix)-multipart-3x8B", title: "\(label): echo one reused `Multipart` of 3 × 8 B, never waiting (per round trip)",
                        swift: swift, c: nil))
    }
    // Two tasks, each suspending in every receive until the other has sent: a tenth of the
    // messages, since each round trip spins 20 µs and waits for two wake-ups.
    let waitingCount = max(count / 10, 1)
    for size in [8, 64] {
        let swift = try await asyncWaitingPath(size, kind: .message, count: waitingCount, spin: 20, size: size)
        rows.append(Row(id: "\(prefix)-echo-waiting-\(size)B",
                        title: "\(label): echo one reused `Message`, \(size) B, between two tasks that wait for each other (per round trip)",
                        swift: swift, c: nil, isGuarded: guardsWaiting))
    }
    do {
        let swift = try await asyncWaitingPath(3, kind: .multipart, count: waitingCount, spin: 20, size: 8)
        rows.append(Row(id: "\(prefix)-multipart-waiting-3x8B",
                        title: "\(label): echo one reused `Multipart` of 3 × 8 B, between two tasks that wait for each other (per round trip)",
                        swift: swift, c: nil, isGuarded: guardsWaiting))
    }
    return rows
}

do {
    // On the global executor, the event thread hands each resumed task to libdispatch, which
    // allocates per hand-off from a thread that runs no dispatch work (2 per wait; see
    // RESULTS.md). A task on the event thread's own executor is resumed where it waited.
    rows += try await measureAsyncPaths(prefix: "async", label: "async", guardsWaiting: false)
    reportWaiting(on: "the global executor")
    rows += try await Task.detached {
        try await withTaskExecutorPreference(try AsyncEventLoopExecutor.shared()) {
            try await measureAsyncPaths(prefix: "async-event-loop", label: "async on the event thread", guardsWaiting: true)
        }
    }.value
    reportWaiting(on: "the event thread")
} catch {
    fail("error: \(error)")
}

/// A per-message count with up to three decimals (`0`, `1.0`, `0.002`).
func format(_ value: Double) -> String {
    let rounded = (value * 1000).rounded() / 1000
    return rounded == 0 ? "0" : "\(rounded)"
}

print("heap allocations per message (\(count) messages after \(warmUp) warm-up, inproc PAIR)"
      + (options.injectAllocation ? ", with one injected allocation per message in the Swift loops" : ""))
print("| path | id | Swift | C (same loop) | Swift − C |" + (thresholds == nil ? "" : " threshold |"))
print("|---|---|---:|---:|---:|" + (thresholds == nil ? "" : "---:|"))
for row in rows {
    var line = "| \(row.title) | \(row.id) | \(format(row.swift)) | \(row.c.map(format) ?? "–") | \(row.c.map { _ in format(row.added) } ?? "–") |"
    if let thresholds {
        line += row.isGuarded ? " \(thresholds[row.id].map(format) ?? "none") |" : " not guarded |"
    }
    print(line)
}

// MARK: - The check

/// Sporadic allocations that are not per message (fewer than one per 1,000 messages) are not
/// failures; one allocation per message, or one per 500, is.
let slack = 0.001

for report in waitingReports { printError(report) }

if let thresholds, let path = options.thresholdsPath {
    var failures: [String] = []
    for row in rows {
        guard row.isGuarded else { continue }
        guard let threshold = thresholds[row.id] else {
            failures.append("FAIL \(row.id): no threshold in \(path) (measured \(format(row.added)) per message)")
            continue
        }
        if row.added > threshold + slack {
            let measured = row.c.map { "Swift \(format(row.swift)) − C \(format($0))" } ?? "no C baseline"
            failures.append("FAIL \(row.id): \(format(row.added)) allocations per message added by the Swift layer "
                            + "(\(measured)), threshold \(format(threshold)): \(row.title)")
        }
    }
    for id in thresholds.keys.sorted() where !rows.contains(where: { $0.id == id }) {
        failures.append("FAIL \(id): threshold in \(path) for a path this tool does not measure")
    }
    for failure in failures { printError(failure) }
    if failures.isEmpty {
        printError("allocations: all \(rows.count) paths within their thresholds (\(path))")
    } else {
        fail("allocations: \(failures.count) check failure\(failures.count == 1 ? "" : "s") over \(rows.count) paths (\(path))")
    }
}
