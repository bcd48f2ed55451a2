#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PerfSupport
import ZeroMQ

/// A failed check: the path's messages did not arrive as sent.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Throws a `CheckFailure` with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(CheckFailure) {
    if !condition { throw CheckFailure(message()) }
}

/// How long any receive or send may wait: generous, since valgrind runs the program tens of
/// times slower, but finite, so that a lost message fails the run instead of hanging it.
let operationTimeout: Duration = .seconds(60)

/// Payload sizes, taken in turn: empty, libzmq's inline messages (up to 33 bytes, no heap
/// block), the first size with a heap block, and larger ones (a multi-kilobyte one makes the
/// tcp engine's batching copy and split it).
let payloadSizes = [0, 1, 8, 33, 34, 100, 1000, 9000]

/// Message `index`'s payload: its size from `payloadSizes`, its bytes from the index.
func payload(_ index: Int) -> [UInt8] {
    let size = payloadSizes[index % payloadSizes.count]
    return (0..<size).map { UInt8(truncatingIfNeeded: index &* 7 &+ $0 &* 13) }
}

/// Writes message `index`'s payload into `buffer`, which has its size.
func fillPayload(_ buffer: UnsafeMutableRawBufferPointer, index: Int) {
    for offset in 0..<buffer.count {
        buffer[offset] = UInt8(truncatingIfNeeded: index &* 7 &+ offset &* 13)
    }
}

/// Whether `bytes` is message `index`'s payload.
func isPayload(_ bytes: UnsafeRawBufferPointer, index: Int) -> Bool {
    guard bytes.count == payloadSizes[index % payloadSizes.count] else { return false }
    for offset in 0..<bytes.count where bytes[offset] != UInt8(truncatingIfNeeded: index &* 7 &+ offset &* 13) {
        return false
    }
    return true
}

/// Message `index`'s text: ASCII and not, short (inline in a `String`) and long (a heap
/// buffer), and sometimes empty.
func text(_ index: Int) -> String {
    switch index % 5 {
    case 0: ""
    case 1: "m\(index)"
    case 2: "message \(index) — naïve café, 日本語, 🎉"
    case 3: String(repeating: "long text \(index) ", count: 20)
    default: "msg-\(index)-ok"
    }
}

/// The transports the paths run over.
enum Transport: String, CaseIterable, Sendable {
    case inproc, ipc, tcp

    /// A fresh endpoint to bind to (the tcp port is chosen by the system).
    func bindEndpoint(_ name: String) -> String {
        switch self {
        case .inproc: "inproc://leakcheck-\(name)-\(nextNumber())"
        case .ipc: "ipc://\(temporaryFolder)/leakcheck-\(getpid())-\(nextNumber()).ipc"
        case .tcp: "tcp://127.0.0.1:*"
        }
    }
}

nonisolated(unsafe) private var counter = 0
private func nextNumber() -> Int {
    counter += 1
    return counter
}

/// `$TMPDIR`, or `/tmp`.
let temporaryFolder: String = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"

/// Two connected sockets of one context: `a` binds, `b` connects; both time out.
struct Connected<A: SocketKind, B: SocketKind>: ~Copyable {
    let a: Socket<A>
    let b: Socket<B>
    let endpoint: String

    init(_ a: A.Type, _ b: B.Type, context: Context, over transport: Transport, name: String) throws(ZMQError) {
        let first = try Socket<A>(context: context)
        let second = try Socket<B>(context: context)
        for option in [SocketOption<Duration?>.receiveTimeout, .sendTimeout] {
            try first.setOption(option, operationTimeout)
            try second.setOption(option, operationTimeout)
        }
        let endpoint = try first.bind(to: transport.bindEndpoint(name)).endpoint
        try second.connect(to: endpoint)
        self.a = first
        self.b = second
        self.endpoint = endpoint
    }
}

/// Runs `count` messages through a path in batches: `send` for each index of a batch, then
/// `receive` for each. A batch (100) stays under the default high-water marks (1000), so a
/// single thread can do both sides without blocking on itself.
func batched(
    _ count: Int,
    send: (Int) throws -> Void,
    receive: (Int) throws -> Void
) throws {
    let batch = 100
    var start = 0
    while start < count {
        let end = min(start + batch, count)
        for index in start..<end { try send(index) }
        for index in start..<end { try receive(index) }
        start = end
    }
}

/// A `receive…` result that must be there: `nil` means the wait timed out.
func received<T: ~Copyable>(_ value: consuming T?, _ what: @autoclosure () -> String) throws(CheckFailure) -> T {
    switch consume value {
    case .some(let value): return value
    case .none: throw CheckFailure("\(what()): nothing arrived within \(operationTimeout)")
    }
}

/// Seconds since `start`, with one decimal.
func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = start.duration(to: .now)
    let tenths = Int(elapsed.components.seconds) * 10 + Int(elapsed.components.attoseconds / 100_000_000_000_000_000)
    return "\(tenths / 10).\(tenths % 10)"
}

/// A mistake made on purpose (`--inject`), to show that valgrind reports it.
enum InjectedFault: String {
    /// A Swift object retained once too often, per message: "definitely lost".
    case leak = "leak"
    /// A byte read just past the end of a heap block, per message: "Invalid read".
    case invalidRead = "invalid-read"
}

/// The fault `--inject` asked for, made by the message path.
nonisolated(unsafe) var injectedFault: InjectedFault?

/// Where the injected leak hides its objects' addresses.
nonisolated(unsafe) var leakedAddressSum: UInt = 0

/// What the injected leak leaks.
final class LeakedObject {
    let index: Int
    init(_ index: Int) { self.index = index }
}

/// Makes the injected fault, if any, once.
@inline(never)
func makeInjectedFault(_ index: Int) {
    switch injectedFault {
    case .leak?:
        // Only a scrambled sum of the addresses is kept, which valgrind can't follow, but
        // which keeps the optimizer from dropping the allocation.
        let address = UInt(bitPattern: Unmanaged.passRetained(LeakedObject(index)).toOpaque())
        leakedAddressSum &+= address ^ 0x5a5a_5a5a_5a5a_5a5a
    case .invalidRead?:
        let block = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { block.deallocate() }
        // Volatile enough: the byte's value decides what is written, so the read stays.
        if block.load(fromByteOffset: 24, as: UInt8.self) == 0x5a { print("unlikely") }
    case nil:
        break
    }
}
