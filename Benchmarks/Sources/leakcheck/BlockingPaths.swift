#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import ZeroMQ

// The blocking send and receive paths. Each sends `count` messages and receives them back,
// checking every payload; each runs in a context of its own that it terminates at the end, so
// that nothing libzmq holds for it is left when the process exits and valgrind looks.

/// `[UInt8]` and other sequences, and caller's buffers: `send(_: some Sequence<UInt8>)`,
/// `send(_: UnsafeRawBufferPointer)`, `receiveBytes()`, `receive(into: buffer)` (truncating
/// too) and `receive() -> Message?`.
func bytesPath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let pair = try Connected(SocketType.Push.self, SocketType.Pull.self, context: context, over: transport, name: "bytes")
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    defer { buffer.deallocate() }
    try batched(count) { index in
        let bytes = payload(index)
        switch index % 4 {
        case 0: try pair.a.send(bytes)
        case 1: try pair.a.send(bytes[...])                      // a slice: another Sequence
        case 2: _ = try bytes.withUnsafeBytes { try pair.a.send($0) } // a caller's buffer
        default:
            // A sequence without contiguous storage, which the library copies element by
            // element (slowly, unspecialized): small ones only.
            if bytes.count <= 100 { try pair.a.send(bytes.lazy.map { $0 }) } else { try pair.a.send(bytes) }
        }
    } receive: { index in
        switch index % 3 {
        case 0:
            let bytes = try received(try pair.b.receiveBytes(), "bytes \(index)")
            try check(bytes == payload(index), "bytes \(index) arrived changed")
        case 1:
            // Into a caller's buffer, which truncates the 9000-byte payloads.
            let size = try received(try pair.b.receive(into: buffer), "buffer \(index)")
            let expected = payload(index)
            try check(size.messageSize == expected.count && size.count == min(expected.count, buffer.count)
                      && Array(buffer.prefix(size.count)) == Array(expected.prefix(size.count)),
                      "buffer \(index) arrived changed (\(size))")
        default:
            let message = try received(try pair.b.receive(), "message \(index)")
            try check(message.bytes == payload(index), "message \(index) arrived changed")
        }
    }
}

/// `send(_: String)` and `receiveString()`, and `Message(_: String)` with `.string`.
func stringPath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let pair = try Connected(SocketType.Pair.self, SocketType.Pair.self, context: context, over: transport, name: "string")
    try batched(count) { index in
        if index % 2 == 0 {
            try pair.a.send(text(index))
        } else {
            try pair.a.send(try Message(text(index)))
        }
    } receive: { index in
        if index % 2 == 0 {
            let string = try received(try pair.b.receiveString(), "string \(index)")
            try check(string == text(index), "string \(index) arrived as \(string)")
        } else {
            let message = try received(try pair.b.receive(), "string message \(index)")
            try check(message.string == text(index), "string message \(index) arrived changed")
        }
    }
}

/// One reused `Message` each side: `rebuild(count:)`, `withUnsafeMutableBytes`,
/// `send(_: inout Message)`, `receive(into: inout Message)`, echoed back with the same
/// message; then `move(from:)`, `share(_:)`, `removeAll()`, `Message(copying:)` sent
/// consuming, and the message's metadata.
func messagePath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let pair = try Connected(SocketType.Pair.self, SocketType.Pair.self, context: context, over: transport, name: "message")
    var outgoing = Message()
    var incoming = Message()
    var spare = Message()
    try batched(count) { index in
        switch index % 3 {
        case 0:
            try outgoing.rebuild(count: payloadSizes[index % payloadSizes.count])
            outgoing.withUnsafeMutableBytes { fillPayload($0, index: index) }
            try check(try pair.a.send(&outgoing), "message \(index) was not sent")
            try check(outgoing.isEmpty, "a sent message is not left empty")
        case 1:
            // Consumed by the send.
            try pair.a.send(try Message(copying: payload(index)))
        default:
            // A message moved into another, then shared with a third, then sent.
            var built = try Message(copying: payload(index))
            spare.move(from: &built)
            var shared = Message()
            shared.share(&spare)
            try check(shared.bytes == payload(index) && spare.bytes == payload(index), "a shared message differs")
            spare.removeAll()
            try pair.a.send(&shared)
        }
    } receive: { index in
        if injectedFault != nil { makeInjectedFault(index) }
        try check(try pair.b.receive(into: &incoming), "message \(index): nothing arrived within \(operationTimeout)")
        try check(incoming.withUnsafeBytes { isPayload($0, index: index) }, "message \(index) arrived changed")
        if index % 100 == 0 {
            // Metadata (a C string libzmq owns) and the flags.
            _ = incoming.peerSocketType
            _ = incoming.peerAddress
            try check(!incoming.hasMore, "a single-frame message has more")
        }
        // Echo it back through the other direction with the same message, and receive it
        // into the first one: both messages are reused.
        try pair.b.send(&incoming)
        try check(try pair.a.receive(into: &outgoing), "echo \(index): nothing arrived")
        try check(outgoing.withUnsafeBytes { isPayload($0, index: index) }, "echo \(index) arrived changed")
    }
}

/// Zero copy: `Message(adopting:release:)` over a buffer the release closure frees, and
/// `Message(immortal:)`. Every adopted buffer must be released exactly once, by the time the
/// context is terminated.
func zeroCopyPath(count: Int, over transport: Transport) throws {
    final class Counter: Sendable { let value = Atomic<Int>(0) }
    let released = Counter()
    let adopted: Int
    do {
        let context = try Context()
        defer { context.terminate() }
        let pair = try Connected(SocketType.Push.self, SocketType.Pull.self, context: context, over: transport, name: "zerocopy")
        let immortal = UnsafeMutableRawBufferPointer.allocate(byteCount: 1000, alignment: 8)
        defer { immortal.deallocate() }
        fillPayload(immortal, index: 6)   // payload(6) has 1000 bytes
        var incoming = Message()
        var adoptedCount = 0
        try batched(count) { index in
            if index % 10 == 9 {
                try pair.a.send(try Message(immortal: UnsafeRawBufferPointer(immortal)))
                return
            }
            let size = payloadSizes[index % payloadSizes.count]
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
            let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size])
            fillPayload(view, index: index)
            adoptedCount += 1
            // The release closure gets the adopted view, whose start is the allocation's.
            try pair.a.send(try Message(adopting: view) { view in
                view.baseAddress?.deallocate()
                released.value.add(1, ordering: .relaxed)
            })
        } receive: { index in
            try check(try pair.b.receive(into: &incoming), "zero-copy \(index): nothing arrived")
            let ok = index % 10 == 9
                ? incoming.withUnsafeBytes { $0.elementsEqual(UnsafeRawBufferPointer(immortal)) }
                : incoming.withUnsafeBytes { isPayload($0, index: index) }
            try check(ok, "zero-copy \(index) arrived changed")
        }
        adopted = adoptedCount
    }
    let releases = released.value.load(ordering: .relaxed)
    try check(releases == adopted, "\(adopted) buffers adopted, \(releases) released")
}

/// `Multipart`: built with `init(copying:)`, `init(_: [String])` and `append`, sent from and
/// received into reused values, taken apart with `popFirst`/`popLast`; and
/// `send(multipart:)` with strings and byte arrays, `receiveMultipart()`. ROUTER and DEALER,
/// so that the routing-id frame comes and goes too.
func multipartPath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let pair = try Connected(SocketType.Router.self, SocketType.Dealer.self, context: context, over: transport, name: "multipart")
    var outgoing = Multipart()
    var incoming = Multipart()
    var reply = Multipart()
    try batched(count) { index in
        let parts = [payload(index), payload(index + 1), payload(index + 2)]
        switch index % 4 {
        case 0:
            var message = try Multipart(copying: parts)
            try pair.b.send(&message)
        case 1:
            try pair.b.send(multipart: [text(index), text(index + 1)])
        case 2:
            try pair.b.send(multipart: parts)
        default:
            outgoing.removeAll()
            for part in parts { outgoing.append(try Message(copying: part)) }
            try pair.b.send(&outgoing)
        }
    } receive: { index in
        // The ROUTER gets [routing id, parts…] and echoes them all back.
        try check(try pair.a.receive(into: &incoming), "multipart \(index): nothing arrived")
        let expected: [[UInt8]] = index % 4 == 1
            ? [Array(text(index).utf8), Array(text(index + 1).utf8)]
            : [payload(index), payload(index + 1), payload(index + 2)]
        try check(Array(incoming.allBytes.dropFirst()) == expected, "multipart \(index) arrived changed")
        try pair.a.send(&incoming)
        if index % 2 == 0 {
            let frames = try received(try pair.b.receiveMultipart(), "multipart echo \(index)")
            try check(frames == expected, "multipart echo \(index) arrived changed")
        } else {
            try check(try pair.b.receive(into: &reply), "multipart echo \(index): nothing arrived")
            var frames: [[UInt8]] = []
            while let first = reply.popFirst() { frames.append(first.bytes) }
            try check(frames == expected, "multipart echo \(index) arrived changed")
            if let last = reply.popLast() { throw CheckFailure("a drained multipart still has \(last.count) bytes") }
        }
    }
}

/// `Poller`: two PULL sockets and a pipe's descriptor polled together, then each receive with
/// `.dontWait`; and a PUSH socket polled for room to send.
func pollerPath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let first = try Connected(SocketType.Push.self, SocketType.Pull.self, context: context, over: transport, name: "poll1")
    let second = try Connected(SocketType.Push.self, SocketType.Pull.self, context: context, over: transport, name: "poll2")
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw CheckFailure("pipe failed") }
    defer { close(ends[0]); close(ends[1]) }
    var poller = Poller()
    let firstIndex = poller.add(first.b)
    let secondIndex = poller.add(second.b)
    let pipeIndex = poller.add(fileDescriptor: ends[0])
    var senders = Poller(capacity: 2)
    let senderIndex = senders.add(first.a, events: .writable)
    var message = Message()
    // The next index each socket should deliver: the first gets the even ones, the second the odd.
    var nextFirst = 0
    var nextSecond = 1
    try batched(count) { index in
        guard try senders.poll(timeout: operationTimeout) == 1, senders.isWritable(at: senderIndex) else {
            throw CheckFailure("poller \(index): no room to send")
        }
        if index % 2 == 0 { try first.a.send(payload(index)) } else { try second.a.send(payload(index)) }
    } receive: { index in
        if index % 1000 == 999 {
            var byte: UInt8 = 1
            _ = write(ends[1], &byte, 1)
        }
        // Poll until this index's message is in (the other socket's may come first).
        while (index % 2 == 0 ? nextFirst : nextSecond) <= index {
            guard try poller.poll(timeout: operationTimeout) > 0 else { throw CheckFailure("poller \(index): nothing ready") }
            if poller.isReadable(at: pipeIndex) {
                var byte: UInt8 = 0
                _ = read(ends[0], &byte, 1)
            }
            if poller.isReadable(at: firstIndex) {
                while nextFirst < count, try first.b.receive(into: &message, .dontWait) {
                    try check(message.withUnsafeBytes { isPayload($0, index: nextFirst) }, "poller message \(nextFirst) arrived changed")
                    nextFirst += 2
                }
            }
            if poller.isReadable(at: secondIndex) {
                while nextSecond < count, try second.b.receive(into: &message, .dontWait) {
                    try check(message.withUnsafeBytes { isPayload($0, index: nextSecond) }, "poller message \(nextSecond) arrived changed")
                    nextSecond += 2
                }
            }
        }
    }
    try check(nextFirst >= count && nextSecond >= count, "poller: \(nextFirst) and \(nextSecond) of \(count) arrived")
    poller.removeAll()
}
