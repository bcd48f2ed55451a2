// soak [--count N] [--size B] [--hwm N] [--max-steady-growth-kib K] [--max-growth-kib K]
//      [--timeout-ms T] [--inject FAULT]
//
// The soak test: N messages (10,000,000 by default) PUSH→PULL over tcp on the loopback, each
// carrying its 8-byte sequence number, with send and receive high-water marks of 1,000. This
// process binds the PULL socket and receives; it starts a copy of itself (`soak send …`, a
// separate process) that connects the PUSH socket and sends. Every message must arrive exactly
// once and in order, with the payload it was sent with; the receiving process's resident
// memory is printed at the start and at 10 %, 50 % and 100 % of the messages (1 M, 5 M and 10 M
// by default) and must stay flat. See `help` below for the bounds and why.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PerfSupport
import ZeroMQ

let usage = """
    usage: soak [--count N] [--size B] [--hwm N] [--max-steady-growth-kib K] [--max-growth-kib K]
                [--timeout-ms T] [--inject FAULT]
    """
let help = """
    \(usage)

    Sends N messages PUSH→PULL over tcp://127.0.0.1 from a separate sender process (this
    program, run as `soak send`) and checks in this process, the receiver, that every message
    arrives exactly once and in order: each carries its sequence number (8 bytes, little
    endian) followed by a pattern derived from it, which is checked too. Prints, on standard
    output, the receiver's resident memory (/proc/self/statm) at the start and after 10 %, 50 %
    and 100 % of the messages, with the rate over each stretch, then the overall rate.

      --count N                  messages to send (default 10000000)
      --size B                   bytes per message, at least 8 (default 64: over libzmq's 33-byte
                                 inline limit, so every message's payload is a heap block)
      --hwm N                    send and receive high-water marks (default 1000)
      --max-steady-growth-kib K  most the resident memory may grow from the 10 % mark to the end
                                 (default 4096). By then the queues (at most the high-water
                                 marks) and malloc's arenas have reached their working size; what
                                 grows after that is kept per message, and the smallest heap
                                 block is 32 bytes, so a leak of one block per message would add
                                 over 250 MiB across the remaining 90 % of the default run.
      --max-growth-kib K         most the resident memory may grow from the start to the end
                                 (default 16384 + 2 × hwm × (size + 64) / 1024: the receive queue
                                 and the batch being decoded hold at most about twice the
                                 high-water mark of messages, each a 64-byte zmq_msg_t plus its
                                 payload, on top of libzmq's per-connection buffers and the I/O
                                 thread's malloc arena)
      --timeout-ms T             fail when no message arrives for T ms (default 10000)
      --inject FAULT             break the run on purpose, to show that the checks fail:
                                 drop:K, duplicate:K, swap:K (messages K and K+1 sent in the
                                 opposite order) or corrupt:K in the sender, or leak:B, which
                                 makes the receiver keep B bytes per message

    Exits 0 when every message arrived exactly once, in order, intact, and the memory stayed
    within both bounds (or on SIGINT/SIGTERM); 1 with a one-line reason on standard error
    otherwise.
    """

/// The command line of the receiving (main) role.
struct Options {
    var count = 10_000_000
    var size = 64
    var hwm = 1000
    var maxSteadyGrowthKiB = 4096
    var maxGrowthKiB: Int?
    var timeoutMilliseconds = 10_000
    /// A fault to inject; see `Fault`.
    var fault: Fault?

    /// The bound on growth from the start, given or derived from the high-water mark and size.
    var growthBoundKiB: Int {
        maxGrowthKiB ?? 16384 + 2 * hwm * (size + 64) / 1024
    }

    static func parse(_ arguments: ArraySlice<String>) -> Options {
        var options = Options()
        var arguments = arguments
        func number(after name: String, minimum: Int) -> Int {
            guard let text = arguments.popFirst() else { fail("soak: \(name) needs a value\n\(usage)") }
            guard let value = Int(text), value >= minimum else {
                fail("soak: \(name) \(text): expected a whole number of at least \(minimum)\n\(usage)")
            }
            return value
        }
        while let argument = arguments.popFirst() {
            switch argument {
            case "-h", "--help":
                print(help)
                exit(0)
            case "--count": options.count = number(after: argument, minimum: 1)
            case "--size": options.size = number(after: argument, minimum: 8)
            case "--hwm": options.hwm = number(after: argument, minimum: 1)
            case "--max-steady-growth-kib": options.maxSteadyGrowthKiB = number(after: argument, minimum: 0)
            case "--max-growth-kib": options.maxGrowthKiB = number(after: argument, minimum: 0)
            case "--timeout-ms": options.timeoutMilliseconds = number(after: argument, minimum: 1)
            case "--inject":
                guard let text = arguments.popFirst() else { fail("soak: --inject needs a value\n\(usage)") }
                guard let fault = Fault(text) else {
                    fail("soak: --inject \(text): expected drop:K, duplicate:K, swap:K, corrupt:K or leak:B\n\(usage)")
                }
                options.fault = fault
            default: fail("soak: unexpected argument '\(argument)'\n\(usage)")
            }
        }
        // libzmq takes high-water marks as C ints.
        if options.hwm > Int(Int32.max) { fail("soak: --hwm \(options.hwm) is too large\n\(usage)") }
        return options
    }
}

/// A fault injected on purpose, to show that the soak test catches it.
struct Fault: CustomStringConvertible {
    enum Kind: String {
        /// The sender skips message K.
        case drop
        /// The sender sends message K twice.
        case duplicate
        /// The sender sends message K+1 before message K.
        case swap
        /// The sender flips a byte of message K's pattern.
        case corrupt
        /// The receiver keeps `value` bytes per message, as a leak would.
        case leak
    }

    let kind: Kind
    let value: Int

    /// Parses `kind:value`.
    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])), let value = Int(parts[1]), value >= 0 else {
            return nil
        }
        self.kind = kind
        self.value = value
    }

    var description: String { "\(kind.rawValue):\(value)" }
}

// MARK: - The payload

/// Writes message `sequence`'s payload: the sequence number, little endian, then bytes derived
/// from it and their offset.
@inline(__always)
func fillPayload(_ buffer: UnsafeMutableRawBufferPointer, sequence: UInt64) {
    buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
    let seed = UInt8(truncatingIfNeeded: sequence &* 31)
    var offset = 8
    while offset < buffer.count {
        buffer[offset] = seed &+ UInt8(truncatingIfNeeded: offset)
        offset += 1
    }
}

/// Why a received payload is not message `expected`'s, or `nil` when it is.
@inline(__always)
func payloadProblem(_ bytes: UnsafeRawBufferPointer, expected: UInt64, size: Int) -> String? {
    guard bytes.count == size else {
        return "message \(expected) has \(bytes.count) bytes, expected \(size)"
    }
    let sequence = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    guard sequence == expected else {
        if sequence > expected {
            return "expected sequence \(expected), got \(sequence): \(sequence - expected) message(s) missing or out of order"
        }
        return "expected sequence \(expected), got \(sequence) again: a duplicate or a message out of order"
    }
    let seed = UInt8(truncatingIfNeeded: sequence &* 31)
    var offset = 8
    while offset < bytes.count {
        if bytes[offset] != seed &+ UInt8(truncatingIfNeeded: offset) {
            return "message \(expected) is corrupt at byte \(offset)"
        }
        offset += 1
    }
    return nil
}

// MARK: - The sender: `soak send <endpoint> <count> <size> <hwm>`

/// Connects a PUSH socket and sends the messages, then waits (up to a minute) until they are
/// delivered. Runs in its own process, started by the receiver.
func runSender(_ arguments: ArraySlice<String>) -> Never {
    let values = Array(arguments)
    guard values.count == 4 || values.count == 5, let count = Int(values[1]), count > 0, let size = Int(values[2]), size >= 8,
          let hwm = Int32(values[3]), hwm > 0 else {
        fail("soak send: expected <endpoint> <count> <size> <hwm> (this role is started by soak itself)")
    }
    let endpoint = values[0]
    let fault = values.count == 5 ? Fault(values[4]) : nil
    let context: Context
    do {
        context = try Context(defaultLinger: .seconds(60))
    } catch {
        fail("soak send: \(error)")
    }
    StopSignals.watch(announce: false) { _ in context.shutdown() }
    do {
        let socket = try PushSocket(context: context)
        try socket.setOption(.sendHighWaterMark, Int(hwm))
        try socket.connect(to: endpoint)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        let start = monotonicMicroseconds()
        var sequence: UInt64 = 0
        while sequence < UInt64(count) {
            if let fault, sequence == UInt64(fault.value) {
                try sendFaulty(fault.kind, sequence: sequence, on: socket, buffer: buffer)
                sequence += fault.kind == .swap ? 2 : 1
                continue
            }
            fillPayload(buffer, sequence: sequence)
            try socket.send(UnsafeRawBufferPointer(buffer))
            sequence += 1
        }
        let elapsed = max(monotonicMicroseconds() - start, 1)
        printError("soak send: \(count) messages queued in \(elapsed / 1000) ms; waiting for delivery")
        socket.close()
        // Lingers until the receiver has everything (a minute at most), then returns.
        context.terminate()
    } catch .contextTerminated where StopSignals.stopSignal != nil {
        exit(0)
    } catch {
        fail("soak send: \(error)")
    }
    exit(0)
}

/// The injected leak's blocks, chained so that the optimizer cannot drop them.
nonisolated(unsafe) var leakedBlocks: UnsafeMutableRawPointer?

/// Allocates `bytes` bytes (at least a pointer's worth) and keeps them, touched so that they
/// count as resident, as a leak would.
func leak(_ bytes: Int) {
    let size = max(bytes, MemoryLayout<UnsafeMutableRawPointer?>.size)
    guard let block = malloc(size) else { return }
    memset(block, 1, size)
    block.storeBytes(of: leakedBlocks, as: UnsafeMutableRawPointer?.self)
    leakedBlocks = block
}

/// Sends message `sequence` the wrong way.
func sendFaulty(_ kind: Fault.Kind, sequence: UInt64, on socket: borrowing PushSocket,
                buffer: UnsafeMutableRawBufferPointer) throws(ZMQError) {
    switch kind {
    case .drop, .leak:
        break
    case .duplicate:
        fillPayload(buffer, sequence: sequence)
        try socket.send(UnsafeRawBufferPointer(buffer))
        try socket.send(UnsafeRawBufferPointer(buffer))
    case .swap:
        fillPayload(buffer, sequence: sequence + 1)
        try socket.send(UnsafeRawBufferPointer(buffer))
        fillPayload(buffer, sequence: sequence)
        try socket.send(UnsafeRawBufferPointer(buffer))
    case .corrupt:
        fillPayload(buffer, sequence: sequence)
        buffer[buffer.count - 1] ^= 0xff
        try socket.send(UnsafeRawBufferPointer(buffer))
    }
}

// MARK: - The receiver, which starts the sender

/// The sender's process.
final class Child {
    let pid: pid_t
    /// Its wait status, once it has been reaped.
    private var status: Int32?

    private init(pid: pid_t) { self.pid = pid }

    /// Starts this executable again as `soak send …`.
    static func spawn(_ arguments: [String]) -> Child {
        let executable = "/proc/self/exe"
        var argv: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + arguments).map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, nil, nil, argv, environ)
        guard status == 0 else { fail("soak: cannot start the sender: \(String(cString: strerror(status)))") }
        return Child(pid: pid)
    }

    /// Reaps the sender if it has exited.
    ///
    /// - Returns: Its wait status, or `nil` while it runs.
    private func poll() -> Int32? {
        if let status { return status }
        var waited: Int32 = 0
        let result = waitpid(pid, &waited, WNOHANG)
        if result == pid { status = waited }
        return status
    }

    /// Waits up to `timeoutMilliseconds` for the sender to exit.
    ///
    /// - Returns: Its wait status, or `nil` if it is still running.
    func wait(timeoutMilliseconds: Int) -> Int32? {
        let deadline = monotonicMicroseconds() + UInt64(timeoutMilliseconds) * 1000
        while true {
            if let status = poll() { return status }
            if monotonicMicroseconds() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// How the sender exited, or `nil` while it runs.
    func exitDescription() -> String? {
        poll().map(Child.describe)
    }

    /// A wait status in words.
    static func describe(_ status: Int32) -> String {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        return signal == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(signal)"
    }

    func terminate() {
        kill(pid, SIGTERM)
        if wait(timeoutMilliseconds: 2000) == nil {
            kill(pid, SIGKILL)
            _ = wait(timeoutMilliseconds: 2000)
        }
    }
}

/// One row of the report: the messages received so far and the resident memory then.
struct Checkpoint {
    let messages: Int
    let residentKiB: Int
    let microseconds: UInt64
}

/// Right-aligns `text` in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// `1234567` as `1,234,567`.
func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return text
}

func resident() -> Int {
    guard let kib = residentMemoryKiB() else { fail("soak: cannot read /proc/self/statm") }
    return kib
}

func runReceiver(_ options: Options) -> Never {
    let context: Context
    do {
        context = try Context(defaultLinger: .zero)
    } catch {
        fail("soak: \(error)")
    }
    StopSignals.watch { _ in context.shutdown() }
    var child: Child?
    /// Stops the sender and exits 1 with the reason.
    func failing(_ reason: String) -> Never {
        child?.terminate()
        fail("soak: FAIL: \(reason)")
    }
    do {
        let socket = try PullSocket(context: context)
        try socket.setOption(.receiveHighWaterMark, options.hwm)
        let slice = min(1000, options.timeoutMilliseconds)
        try socket.setOption(.receiveTimeout, .milliseconds(slice))
        var idleMilliseconds = 0
        var senderExit: String?
        let endpoint = try socket.bind(to: "tcp://127.0.0.1:*").endpoint
        printError("soak: \(grouped(options.count)) messages of \(options.size) B over \(endpoint), high-water marks \(options.hwm)")

        // The checkpoints: 10 %, 50 % and 100 % (1 M, 5 M and 10 M of the default run).
        var marks = [options.count / 10, options.count / 2, options.count].filter { $0 > 0 }
        marks = marks.enumerated().filter { $0.offset == 0 || $0.element != marks[$0.offset - 1] }.map(\.element)
        var checkpoints: [Checkpoint] = []
        checkpoints.reserveCapacity(marks.count + 1)
        print("\(pad("messages", 12)) \(pad("RSS (KiB)", 10)) \(pad("msg/s", 11))")
        let startKiB = resident()
        checkpoints.append(Checkpoint(messages: 0, residentKiB: startKiB, microseconds: 0))
        print("\(pad("0", 12)) \(pad(String(startKiB), 10)) \(pad("-", 11))")

        var senderArguments = ["send", endpoint, String(options.count), String(options.size), String(options.hwm)]
        if let fault = options.fault, fault.kind != .leak { senderArguments.append(fault.description) }
        child = Child.spawn(senderArguments)
        let leakBytes = options.fault.flatMap { $0.kind == .leak ? $0.value : nil } ?? 0
        if let fault = options.fault { printError("soak: injecting \(fault) on purpose") }

        var message = Message()
        var expected: UInt64 = 0
        var nextMark = 0
        var start: UInt64 = 0
        let size = options.size
        while expected < UInt64(options.count) {
            guard try socket.receive(into: &message) else {
                // Nothing for a second: keep waiting up to --timeout-ms, or 2 s once the sender
                // has exited (it exits once its messages are on the wire).
                idleMilliseconds += slice
                if senderExit == nil { senderExit = child?.exitDescription() }
                if idleMilliseconds >= options.timeoutMilliseconds || (senderExit != nil && idleMilliseconds >= 2000) {
                    let state = senderExit.map { "; the sender \($0)" } ?? ""
                    failing("no message for \(idleMilliseconds / 1000) s after \(grouped(Int(expected))) of \(grouped(options.count)) arrived\(state)")
                }
                continue
            }
            idleMilliseconds = 0
            if let problem = message.withUnsafeBytes({ payloadProblem($0, expected: expected, size: size) }) {
                failing(problem)
            }
            if expected == 0 {
                start = monotonicMicroseconds()
                checkpoints[0] = Checkpoint(messages: 0, residentKiB: startKiB, microseconds: start)
            }
            if leakBytes > 0 { leak(leakBytes) }
            expected += 1
            if expected == UInt64(marks[nextMark]) {
                let now = monotonicMicroseconds()
                let previous = checkpoints[checkpoints.count - 1]
                let kib = resident()
                let stretch = Int(expected) - previous.messages
                // The first stretch is timed from the first message's arrival.
                let counted = previous.messages == 0 ? stretch - 1 : stretch
                let rate = Int(Double(counted) * 1_000_000 / Double(max(now - previous.microseconds, 1)))
                checkpoints.append(Checkpoint(messages: Int(expected), residentKiB: kib, microseconds: now))
                print("\(pad(grouped(Int(expected)), 12)) \(pad(String(kib), 10)) \(pad(grouped(rate), 11))")
                nextMark += 1
            }
        }
        let end = checkpoints[checkpoints.count - 1].microseconds
        // Nothing may follow the last message: a duplicate of it would arrive here.
        try socket.setOption(.receiveTimeout, .milliseconds(200))
        if try socket.receive(into: &message) {
            let extra = message.withUnsafeBytes { $0.count >= 8 ? UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) : nil }
            failing("a message arrived after the last one (sequence \(extra.map(String.init) ?? "unreadable")): a duplicate")
        }
        guard let status = child?.wait(timeoutMilliseconds: 30_000) else {
            failing("the sender did not exit within 30 s of its last message arriving")
        }
        child = nil
        guard status == 0 else { fail("soak: FAIL: the sender \(Child.describe(status))") }

        let overall = Int(Double(options.count - 1) * 1_000_000 / Double(max(end - start, 1)))
        print("overall: \(grouped(overall)) msg/s, \(grouped(options.count)) messages of \(options.size) B in \(format3(Double(end - start) / 1_000_000)) s")

        // The memory bounds.
        let last = checkpoints[checkpoints.count - 1]
        let steadyFrom = checkpoints.count > 2 ? checkpoints[1] : checkpoints[0]
        let steadyGrowth = last.residentKiB - steadyFrom.residentKiB
        let totalGrowth = last.residentKiB - startKiB
        if steadyGrowth > options.maxSteadyGrowthKiB {
            fail("soak: FAIL: resident memory grew by \(steadyGrowth) KiB from \(grouped(steadyFrom.messages)) to \(grouped(last.messages)) messages, more than --max-steady-growth-kib \(options.maxSteadyGrowthKiB)")
        }
        if totalGrowth > options.growthBoundKiB {
            fail("soak: FAIL: resident memory grew by \(totalGrowth) KiB from the start, more than \(options.growthBoundKiB) KiB (--max-growth-kib)")
        }
        printError("soak: OK: every message arrived exactly once, in order and intact; resident memory grew by \(steadyGrowth) KiB from \(grouped(steadyFrom.messages)) messages to the end (bound \(options.maxSteadyGrowthKiB)) and by \(totalGrowth) KiB from the start (bound \(options.growthBoundKiB))")
    } catch .contextTerminated where StopSignals.stopSignal != nil {
        child?.terminate()
        printError("soak: interrupted")
        exit(0)
    } catch {
        failing("\(error)")
    }
    exit(0)
}

/// A number with three decimals.
func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "send" {
    runSender(arguments.dropFirst())
} else {
    runReceiver(Options.parse(arguments))
}
