import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// A short soak: `make soak` (Benchmarks/soak.sh) in miniature. 200,000 messages PUSH→PULL over
// tcp with high-water marks of 1,000 on both sides, each carrying its sequence number and a
// pattern derived from it; every one must arrive exactly once, in order and intact, and the
// resident memory must stay flat once the queues are full.
//
// It runs in a child process of its own (an exit test), because resident memory is the whole
// process's: in the test process, the other suites running in parallel would move it.

@Suite("Soak")
struct SoakTests {
    static let messageCount = 200_000
    /// Over libzmq's 33-byte inline limit, so each message's payload is a heap block.
    static let messageSize = 64
    static let highWaterMark = 1_000
    /// The first 10 % fill the queues and malloc's arenas; from there on the memory must not
    /// grow by more than this. The smallest heap block is 32 bytes, so a leak of one block per
    /// message would add about 5.5 MiB over the remaining 180,000 messages.
    static let steadyGrowthBoundKiB = 4_096

    @Test("200,000 messages over tcp with HWM 1,000 arrive exactly once, in order and intact, with flat memory")
    func everyMessageOnceInOrderWithFlatMemory() async throws {
        // The child always exits 0 once it has written its report, so that the report comes
        // back (a failed exit test returns none); a crash or a hang fails the expectation.
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let report = soakInThisProcess()
            writeToStandardError((report.lines + ["soak: done"]).joined(separator: "\n") + "\n")
        }
        let output = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for line in output.split(separator: "\n") where line.hasPrefix("soak") {
            if line.hasPrefix("soak problem: ") {
                Issue.record(Comment(rawValue: String(line.dropFirst("soak problem: ".count))))
            } else if line != "soak: done" {
                print(line)
            }
        }
        #expect(output.contains("soak: done"), "the child process did not finish its report: \(output)")
    }
}

/// What the child found.
private struct SoakReport {
    var lines: [String] = []
    var problems: [String] = []

    mutating func problem(_ text: String) {
        problems.append(text)
        lines.append("soak problem: " + text)
    }
}

/// Writes message `sequence`'s payload: the sequence number, little endian, then a pattern.
private func fill(_ buffer: UnsafeMutableRawBufferPointer, sequence: UInt64) {
    buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
    for offset in 8..<buffer.count {
        buffer[offset] = UInt8(truncatingIfNeeded: sequence &* 31) &+ UInt8(truncatingIfNeeded: offset)
    }
}

/// Why `bytes` is not message `expected`, or `nil` when it is.
private func problem(in bytes: UnsafeRawBufferPointer, expected: UInt64) -> String? {
    guard bytes.count == SoakTests.messageSize else {
        return "message \(expected) has \(bytes.count) bytes, expected \(SoakTests.messageSize)"
    }
    let sequence = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    guard sequence == expected else { return "expected sequence \(expected), got \(sequence)" }
    for offset in 8..<bytes.count
    where bytes[offset] != UInt8(truncatingIfNeeded: sequence &* 31) &+ UInt8(truncatingIfNeeded: offset) {
        return "message \(expected) is corrupt at byte \(offset)"
    }
    return nil
}

/// The soak itself, in the child process: a sender thread and a receiving thread.
private func soakInThisProcess() -> SoakReport {
    var report = SoakReport()
    do {
        let context = try Context(defaultLinger: .seconds(10))
        let pull = try PullSocket(context: context)
        try pull.setOption(.receiveHighWaterMark, SoakTests.highWaterMark)
        try pull.setOption(.receiveTimeout, .seconds(10))
        let endpoint = try pull.bind(to: "tcp://127.0.0.1:*").endpoint

        let sender = try SocketThread(name: "soak-sender") { () throws(ZMQError) in
            let push = try PushSocket(context: context)
            try push.setOption(.sendHighWaterMark, SoakTests.highWaterMark)
            try push.setOption(.sendTimeout, .seconds(10))
            try push.connect(to: endpoint)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: SoakTests.messageSize, alignment: 8)
            defer { buffer.deallocate() }
            for sequence in 0..<UInt64(SoakTests.messageCount) {
                fill(buffer, sequence: sequence)
                guard try push.send(UnsafeRawBufferPointer(buffer)) else { throw .wouldBlock }
            }
        }

        let receiver = try SocketThread(name: "soak-receiver") { [pull = consume pull] () throws(ZMQError) -> SoakReport in
            var report = SoakReport()
            var message = Message()
            var expected: UInt64 = 0
            var steadyFromKiB = 0
            let steadyFrom = UInt64(SoakTests.messageCount / 10)
            let start = ContinuousClock.now
            while expected < UInt64(SoakTests.messageCount) {
                guard try pull.receive(into: &message) else {
                    report.problem("no message for 10 s after \(expected) arrived")
                    return report
                }
                if let text = message.withUnsafeBytes({ problem(in: $0, expected: expected) }) {
                    report.problem(text)
                    return report
                }
                expected += 1
                if expected == steadyFrom { steadyFromKiB = residentKiB() }
            }
            let elapsed = start.duration(to: .now)
            let endKiB = residentKiB()
            // Nothing may follow the last message.
            try pull.setOption(.receiveTimeout, .milliseconds(100))
            if try pull.receive(into: &message) { report.problem("a message arrived after the last one") }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            report.lines.append("soak: received \(expected) messages of \(SoakTests.messageSize) B exactly once and in order "
                + "at \(Int(Double(expected) / max(seconds, 1e-6))) msg/s; RSS \(steadyFromKiB) KiB at \(steadyFrom), "
                + "\(endKiB) KiB at \(expected)")
            if endKiB - steadyFromKiB > SoakTests.steadyGrowthBoundKiB {
                report.problem("resident memory grew by \(endKiB - steadyFromKiB) KiB from message \(steadyFrom) "
                    + "to the end, more than \(SoakTests.steadyGrowthBoundKiB) KiB")
            }
            return report
        }

        switch receiver.join(timeout: .seconds(60)) {
        case .success(let received)?:
            report.lines += received.lines
            report.problems += received.problems
        case .failure(let error)?: report.problem("the receiver failed: \(error)")
        case nil: report.problem("the receiver is still receiving after 60 s")
        }
        let receiverFailed = !report.problems.isEmpty
        // A receiver that gave up leaves the sender blocked at the high-water mark: wake it.
        if receiverFailed { context.shutdown() }
        switch sender.join(timeout: .seconds(60)) {
        case .success?: break
        case .failure(let error)?: if !receiverFailed { report.problem("the sender failed: \(error)") }
        case nil: report.problem("the sender is still sending after 60 s")
        }
        context.shutdown()
    } catch {
        report.problem("setting up failed: \(error)")
    }
    return report
}

/// This process's resident memory in KiB, from `/proc/self/statm` (pages in RAM, field 2).
private func residentKiB() -> Int {
    guard let text = readTextFile("/proc/self/statm") else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

private func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
