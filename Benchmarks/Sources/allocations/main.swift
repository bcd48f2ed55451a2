// allocations [message-count]: heap allocations per message on the library's hot paths,
// next to the same loop written in C, so the Swift layer's own share is the difference.
//
// Every malloc in the process is counted (see CMallocCounter), including libzmq's own: a
// libzmq message of more than 33 bytes owns a heap block, in C as in Swift.
import CMallocCounter
import PerfSupport
import ZeroMQ

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let warmUp = 1000

/// Counts the allocations `count` iterations of `step` make, after a warm-up.
func allocations(_ step: () throws(ZMQError) -> Void) throws(ZMQError) -> Double {
    for _ in 0..<warmUp { try step() }
    let before = malloc_counter_allocations()
    for _ in 0..<count { try step() }
    return Double(malloc_counter_allocations() - before) / Double(count)
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

var rows: [(String, Double, Double?)] = []

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
        rows.append(("send Message(count: \(size)), receive(into:) reused", swift,
                     Double(c_baseline_message_pair(Int32(size), Int32(count))) / Double(count)))
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
        rows.append(("echo one reused Message, \(size) B (per round trip)", swift,
                     Double(c_baseline_echo(Int32(size), Int32(count))) / Double(count)))
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
        rows.append(("send(UnsafeRawBufferPointer), receive(into: buffer), \(size) B", swift,
                     Double(c_baseline_buffer_pair(Int32(size), Int32(count))) / Double(count)))
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
        rows.append(("Multipart of 3 × 8 B, sent from and received into reused Multiparts", swift, nil))
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
        rows.append(("Poller.poll + receive(into:), 8 B", swift, nil))
    }
    do {
        // The convenience API allocates a Swift array or string per message, by design.
        let pair = try Pair()
        let payload = [UInt8](repeating: 120, count: 8)
        let swift = try allocations { () throws(ZMQError) in
            try pair.a.send(payload)
            _ = try pair.b.receiveBytes()
        }
        rows.append(("send([UInt8]), receiveBytes() (convenience; allocates the array)", swift, nil))
    }
}

print("heap allocations per message (\(count) messages after \(warmUp) warm-up, inproc PAIR)")
print("| path | Swift | C (same loop) | Swift − C |")
print("|---|---:|---:|---:|")
func format(_ value: Double) -> String {
    let rounded = (value * 1000).rounded() / 1000
    return rounded == 0 ? "0" : "\(rounded)"
}
for (name, swift, c) in rows {
    print("| \(name) | \(format(swift)) | \(c.map(format) ?? "–") | \(c.map { format(swift - $0) } ?? "–") |")
}
