// Fuzz target: monitor-event decoding, frames → MonitorEvent, through the function
// SocketMonitor.receiveEvent decodes with (`MonitorEvent(decodingFrames:peers:)`), over a
// sequence of messages sharing one peer table, as a monitor's events do.
//
// Input: messages, each a frame count (0–3) and frames of a 16-bit little-endian length and
// that many bytes. A monitor event is two frames: 6 bytes (the event number, 16 bits, and the
// value, 32 bits, in the machine's byte order), then the endpoint.
//
// Properties checked on every message:
// - decoding succeeds exactly for two frames whose first has 6 bytes, and otherwise throws
//   `invalidArgument` and nothing else;
// - the event number and value survive: the kind's `flag` is the event number, and the value
//   each kind carries (descriptor, error number, interval, protocol error, ZAP status) is the
//   frame's; a number the library does not know comes back as `.unknown` with both;
// - the endpoint is the second frame decoded as UTF-8 (invalid sequences as U+FFFD);
// - the description is non-empty and names the endpoint;
// - the peer address comes only with connection and handshake events, and a disconnection
//   gets the address remembered for its descriptor and endpoint (or none); after
//   `monitorStopped` nothing is remembered.
internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// What an event should decode to: the event number and the value as the library's cases
/// carry them, computed independently of the decoder.
private func encoded(_ kind: MonitorEvent.Kind) -> (event: CInt, value: UInt32?) {
    switch kind {
    case .connected(let fd): (ZMQ_EVENT_CONNECTED, UInt32(bitPattern: fd))
    case .connectDelayed: (ZMQ_EVENT_CONNECT_DELAYED, nil)
    case .connectRetried(let interval):
        (ZMQ_EVENT_CONNECT_RETRIED, UInt32(exactly: interval.components.seconds * 1000
            + interval.components.attoseconds / 1_000_000_000_000_000))
    case .listening(let fd): (ZMQ_EVENT_LISTENING, UInt32(bitPattern: fd))
    case .bindFailed(let error): (ZMQ_EVENT_BIND_FAILED, UInt32(bitPattern: error.rawValue))
    case .accepted(let fd): (ZMQ_EVENT_ACCEPTED, UInt32(bitPattern: fd))
    case .acceptFailed(let error): (ZMQ_EVENT_ACCEPT_FAILED, UInt32(bitPattern: error.rawValue))
    case .closed(let fd): (ZMQ_EVENT_CLOSED, UInt32(bitPattern: fd))
    case .closeFailed(let error): (ZMQ_EVENT_CLOSE_FAILED, UInt32(bitPattern: error.rawValue))
    case .disconnected(let fd): (ZMQ_EVENT_DISCONNECTED, UInt32(bitPattern: fd))
    case .monitorStopped: (ZMQ_EVENT_MONITOR_STOPPED, nil)
    case .handshakeSucceeded: (ZMQ_EVENT_HANDSHAKE_SUCCEEDED, nil)
    case .handshakeFailed(.noDetail(let error)):
        (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, UInt32(bitPattern: error.rawValue))
    case .handshakeFailed(.protocol(let error)): (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, error.rawValue)
    case .handshakeFailed(.authentication(let status)): (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, UInt32(exactly: status))
    case .unknown(let event, let value): (CInt(event), value)
    }
}

/// Every event number the library names.
private let knownEvents: Set<CInt> = [
    ZMQ_EVENT_CONNECTED, ZMQ_EVENT_CONNECT_DELAYED, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_LISTENING,
    ZMQ_EVENT_BIND_FAILED, ZMQ_EVENT_ACCEPTED, ZMQ_EVENT_ACCEPT_FAILED, ZMQ_EVENT_CLOSED,
    ZMQ_EVENT_CLOSE_FAILED, ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_MONITOR_STOPPED,
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
]

/// Whether `haystack` contains `needle` as a contiguous run of bytes.
private func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { start in
        haystack[start..<(start + needle.count)].elementsEqual(needle)
    }
}

/// The connections the peer table should remember: descriptor → (endpoint, peer).
private typealias Remembered = [Int32: (endpoint: String, peer: String)]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMonitorEvent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var peers = PeerTracker()
    var remembered: Remembered = [:]
    var messages = 0
    while !input.isAtEnd && messages < 64 {
        messages += 1
        let frameCount = Int(input.byte() % 4)
        var frames: [[UInt8]] = []
        for _ in 0..<frameCount { frames.append(input.take(Int(input.uint16()))) }
        check(frames: frames, peers: &peers, remembered: &remembered)
    }
    return 0
}

private func check(frames: [[UInt8]], peers: inout PeerTracker, remembered: inout Remembered) {
    let parts: Multipart
    do {
        parts = try Multipart(copying: frames)
    } catch {
        fatalError("cannot build the frames: \(error)")
    }
    let isEvent = frames.count == 2 && frames[0].count == 6
    let event: MonitorEvent
    do {
        event = try MonitorEvent(decodingFrames: parts, peers: &peers)
    } catch {
        require(!isEvent, "a well-formed event was refused with \(error)")
        require(error == .invalidArgument, "a malformed event threw \(error), not invalidArgument")
        return
    }
    require(isEvent, "\(frames.count) frames of \(frames.map(\.count)) bytes decoded as \(event)")

    // The number and value, read here independently (little endian on this machine).
    let head = frames[0]
    let number = UInt16(head[0]) | UInt16(head[1]) << 8
    let value = UInt32(head[2]) | UInt32(head[3]) << 8 | UInt32(head[4]) << 16 | UInt32(head[5]) << 24
    let (encodedEvent, encodedValue) = encoded(event.kind)
    require(encodedEvent == CInt(number), "event \(number) decoded as \(event.kind)")
    if let encodedValue { require(encodedValue == value, "value \(value) decoded as \(event.kind)") }
    if case .unknown = event.kind {
        require(!knownEvents.contains(CInt(number)), "the known event \(number) decoded as unknown")
    }
    require(event.kind.flag.rawValue == number, "\(event.kind)'s flag is \(event.kind.flag.rawValue), not \(number)")
    require(event.kind.fileDescriptor == nil || encodedValue == UInt32(bitPattern: event.kind.fileDescriptor!),
            "the descriptor of \(event.kind) is not the value")

    // The endpoint, and the description.
    let endpoint = String(decoding: frames[1], as: UTF8.self)
    require(event.endpoint == endpoint, "endpoint \(endpoint.debugDescription) decoded as \(event.endpoint.debugDescription)")
    let description = event.description
    require(!description.isEmpty, "an empty description")
    // Compared as UTF-8: an endpoint starting with a combining mark joins the space before it
    // into one Character, so a Character-wise `contains` would miss it.
    require(endpoint.isEmpty || containsBytes(Array(description.utf8), Array(endpoint.utf8)),
            "the description \(description.debugDescription) leaves out the endpoint")

    // The peer address, against a model of the peer table.
    switch event.kind {
    case .connected(let fd), .accepted(let fd):
        remembered[fd] = nil
        if case .accepted = event.kind {
            // No TCP connection exists in this process, so no accepted peer can be read.
            require(event.peerAddress == nil, "an accepted connection got the peer \(event.peerAddress!)")
        }
        if let peer = event.peerAddress {
            require(endpoint.hasPrefix("tcp://"), "a peer address \(peer) for the endpoint \(endpoint)")
            remembered[fd] = (endpoint, peer)
        }
    case .disconnected(let fd):
        let expected = remembered[fd].flatMap { $0.endpoint == endpoint ? $0.peer : nil }
        require(event.peerAddress == expected, "a disconnection got the peer \(event.peerAddress ?? "nil"), not \(expected ?? "nil")")
        remembered[fd] = nil
    case .closed(let fd):
        require(event.peerAddress == nil, "a closed descriptor got a peer address")
        remembered[fd] = nil
    case .handshakeSucceeded, .handshakeFailed:
        let open = remembered.filter { $0.value.endpoint == endpoint }
        let expected = open.count == 1 ? open.first!.value.peer : nil
        require(event.peerAddress == expected, "a handshake got the peer \(event.peerAddress ?? "nil"), not \(expected ?? "nil")")
    case .monitorStopped:
        require(event.peerAddress == nil, "monitorStopped got a peer address")
        remembered.removeAll()
    default:
        require(event.peerAddress == nil, "\(event.kind) got the peer \(event.peerAddress!)")
    }
}
