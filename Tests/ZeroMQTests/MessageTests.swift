import Synchronization
import Testing
@testable import ZeroMQ

// Swift Testing's #expect and #require can't take an expression that uses a noncopyable
// value (Socket, Message), so each check below reads the value into a local first.

@Suite("Message")
struct MessageTests {
    // MARK: Creating and reading

    @Test func emptyMessageHasNoPayload() {
        let message = Message()
        let count = message.count, isEmpty = message.isEmpty, hasMore = message.hasMore
        let bytes = message.bytes, string = message.string
        #expect(count == 0)
        #expect(isEmpty)
        #expect(!hasMore)
        #expect(bytes.isEmpty)
        #expect(string == "")
    }

    @Test(arguments: Transport.allCases)
    func sizedMessageFilledInPlaceArrivesIntact(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let payload = patternBytes(count: 4096, seed: 1)
        var message = try Message(count: payload.count)
        let count = message.count
        #expect(count == payload.count)
        message.withUnsafeMutableBytes { buffer in
            payload.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        let sent = try push.send(&message)
        #expect(sent)

        var received = Message()
        let got = try pull.receive(into: &received)
        #expect(got)
        let bytes = received.bytes
        #expect(bytes == payload)
    }

    @Test func zeroSizedMessageIsEmpty() throws {
        let message = try Message(count: 0)
        let isEmpty = message.isEmpty
        #expect(isEmpty)
    }

    @Test func copyingAnArrayCopiesItsBytes() throws {
        var source: [UInt8] = [0, 1, 2, 254, 255]
        let message = try Message(copying: source)
        source[0] = 99  // the message holds its own copy
        let bytes = message.bytes, count = message.count
        #expect(bytes == [0, 1, 2, 254, 255])
        #expect(count == 5)
    }

    @Test func copyingARawBufferCopiesItsBytes() throws {
        let source = patternBytes(count: 300, seed: 2)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
        defer { storage.deallocate() }
        source.withUnsafeBytes { storage.copyMemory(from: $0) }
        let message = try Message(copying: UnsafeRawBufferPointer(storage))
        let bytes = message.bytes
        #expect(bytes == source)

        let empty = try Message(copying: UnsafeRawBufferPointer(start: nil, count: 0))
        let emptyBytes = empty.bytes
        #expect(emptyBytes.isEmpty)
    }

    @Test func copyingANonContiguousSequenceCopiesItsBytes() throws {
        // A lazy map has no contiguous storage, so the initializer takes its slow path.
        let sequence = (0..<1000).lazy.map { UInt8(truncatingIfNeeded: $0 * 3) }
        #expect(sequence.withContiguousStorageIfAvailable { _ in true } == nil)
        let message = try Message(copying: sequence)
        let bytes = message.bytes
        #expect(bytes == Array(sequence))
    }

    @Test func stringMessageHoldsUTF8WithoutTerminator() throws {
        let text = "héllo, wörld ✓"
        let message = try Message(text)
        let bytes = message.bytes, string = message.string, count = message.count
        #expect(bytes == Array(text.utf8))
        #expect(string == text)
        #expect(count == text.utf8.count)
    }

    @Test func invalidUTF8DecodesWithReplacementCharacters() throws {
        let message = try Message(copying: [0x61, 0xFF, 0x62] as [UInt8])
        let string = message.string
        #expect(string == "a\u{FFFD}b")
    }

    @Test func negativeCountThrowsInvalidArgument() {
        #expect(throws: ZMQError.invalidArgument) {
            _ = try Message(count: -1)
        }
    }

    @Test(arguments: Transport.allCases)
    func hasMoreMarksAllButTheLastFrame(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        try push.send("first", .sendMore)
        try push.send("second", .sendMore)
        try push.send("last")

        var frame = Message()
        var flags: [Bool] = []
        var texts: [String] = []
        for _ in 0..<3 {
            let got = try pull.receive(into: &frame)
            #expect(got)
            flags.append(frame.hasMore)
            texts.append(frame.string)
        }
        #expect(texts == ["first", "second", "last"])
        #expect(flags == [true, true, false])
    }

    // MARK: Moving, sharing, emptying

    @Test func moveTransfersThePayloadAndEmptiesTheSource() throws {
        var source = try Message("the payload")
        var target = try Message("old contents")
        target.move(from: &source)
        let targetText = target.string, sourceIsEmpty = source.isEmpty
        #expect(targetText == "the payload")
        #expect(sourceIsEmpty)
    }

    @Test(arguments: [5, 100_000])
    func shareGivesBothMessagesThePayload(size: Int) throws {
        // Small payloads are copied by libzmq, large ones reference-counted; both must read
        // the same from either message.
        let payload = patternBytes(count: size, seed: 3)
        var original = try Message(copying: payload)
        var copy = try Message("replaced")
        copy.share(&original)
        let copyBytes = copy.bytes, originalBytes = original.bytes
        #expect(copyBytes == payload)
        #expect(originalBytes == payload)
    }

    @Test func removeAllEmptiesAMessageThatStaysUsable() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)

        var message = try Message(copying: patternBytes(count: 1000))
        message.removeAll()
        let isEmpty = message.isEmpty
        #expect(isEmpty)

        try push.send("after removeAll")
        let got = try pull.receive(into: &message)
        let text = message.string
        #expect(got)
        #expect(text == "after removeAll")
    }

    // MARK: Zero copy

    @Test(arguments: Transport.allCases)
    func adoptedBufferIsReleasedExactlyOnceAfterSending(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let payload = patternBytes(count: 100_000, seed: 4)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: payload.count, alignment: 16)
        payload.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let log = ReleaseLog()
        var message = try Message(adopting: buffer) { released in
            log.record(released)
            released.deallocate()
        }
        let sent = try push.send(&message)
        #expect(sent)

        var received = Message()
        let got = try pull.receive(into: &received)
        #expect(got)
        let bytes = received.bytes
        #expect(bytes == payload)
        _ = consume received
        _ = consume message

        // The release runs on a libzmq I/O thread (tcp, ipc) or when the receiver drops the
        // payload (inproc); either way, once.
        let released = waitUntil { log.count >= 1 }
        #expect(released, "release closure never ran")
        blockingSleep(.milliseconds(50))
        #expect(log.count == 1)
        #expect(log.addresses == [Int(bitPattern: buffer.baseAddress)])
    }

    @Test func adoptedBufferIsReleasedExactlyOnceWhenDroppedUnsent() async throws {
        try await confirmation("release runs", expectedCount: 1) { released in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            let message = try Message(adopting: buffer) { bytes in
                bytes.deallocate()
                released()
            }
            _ = consume message
        }
    }

    @Test func sharedAdoptedBufferIsReleasedWhenTheLastCopyIsDropped() throws {
        let log = ReleaseLog()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        var original = try Message(adopting: buffer) { bytes in
            log.record(bytes)
            bytes.deallocate()
        }
        var copy = Message()
        copy.share(&original)
        _ = consume original
        #expect(log.count == 0)
        let count = copy.count
        #expect(count == 4096)
        _ = consume copy
        #expect(log.count == 1)
    }

    #if DEBUG
    @Test func adoptedBufferIsNotReleasedWhenCreationFails() throws {
        let log = ReleaseLog()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }  // still ours when the message can't be made

        // The debug-only fault hook makes the next libzmq call on this thread fail.
        Mocking.failNextCalls(with: [.outOfMemory])
        defer { Mocking.reset() }
        do {
            _ = try Message(adopting: buffer) { bytes in log.record(bytes) }
            Issue.record("Message(adopting:) should have thrown")
        } catch {
            #expect(error == .outOfMemory)
        }
        #expect(log.count == 0)
    }
    #endif

    @Test(arguments: Transport.allCases)
    func immortalBytesAreSentWithoutCopying(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let text: StaticString = "bytes that live for the whole program"
        let bytes = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        var message = try Message(immortal: bytes)
        let count = message.count
        #expect(count == text.utf8CodeUnitCount)
        let sent = try push.send(&message)
        #expect(sent)

        let received = try pull.receiveString()
        #expect(received == "bytes that live for the whole program")
    }

    // MARK: Metadata

    @Test func receivedMessageCarriesPeerMetadataOverTCP() throws {
        let context = try Context()
        let rep = try makeSocket(SocketType.Rep.self, context: context)
        let req = try makeSocket(SocketType.Req.self, context: context)
        try connect(req, to: rep, over: .tcp)

        try req.send("hello")
        var request = Message()
        let got = try rep.receive(into: &request)
        #expect(got)
        let peerAddress = request.peerAddress
        let peerSocketType = request.peerSocketType
        let socketType = request.metadata("Socket-Type")
        let unknown = request.metadata("X-No-Such-Property")
        #expect(peerAddress == "127.0.0.1")
        #expect(peerSocketType == "REQ")
        #expect(socketType == "REQ")
        #expect(unknown == nil)
    }

    @Test(arguments: [Transport.ipc, .tcp])
    func peerSocketTypeNamesTheSendersType(_ transport: Transport) throws {
        let context = try Context()
        #expect(try peerSocketType(from: SocketType.Push.self, to: SocketType.Pull.self, over: transport, in: context) == "PUSH")
        #expect(try peerSocketType(from: SocketType.Dealer.self, to: SocketType.Router.self, over: transport, in: context) == "DEALER")
        #expect(try peerSocketType(from: SocketType.Pair.self, to: SocketType.Pair.self, over: transport, in: context) == "PAIR")
        #expect(try peerSocketType(from: SocketType.Dealer.self, to: SocketType.Rep.self, over: transport, in: context) == "DEALER")
    }

    @Test func localMessageHasNoMetadata() throws {
        let message = try Message("never sent")
        let socketType = message.peerSocketType, address = message.peerAddress
        #expect(socketType == nil)
        #expect(address == nil)
    }

    // MARK: Receiving

    @Test(arguments: Transport.allCases)
    func reusedMessageReceivesFramesOfEverySizeWhole(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let sizes = [1, 33, 34, 0, 1000, 65_536, 1 << 20, 7, (1 << 20) - 3, 2, 100_000, 1]
        for (index, size) in sizes.enumerated() {
            try push.send(patternBytes(count: size, seed: index))
        }
        var message = Message()
        for (index, size) in sizes.enumerated() {
            let got = try pull.receive(into: &message)
            #expect(got)
            let count = message.count, bytes = message.bytes
            #expect(count == size, "frame \(index)")
            #expect(bytes == patternBytes(count: size, seed: index), "frame \(index)")
        }
    }

    @Test(arguments: Transport.allCases)
    func receivingIntoABufferReportsTruncation(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let large = patternBytes(count: 100, seed: 5)
        let small = patternBytes(count: 5, seed: 6)
        let exact = patternBytes(count: 10, seed: 7)
        try push.send(large)
        try push.send(small)
        try push.send(exact)

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 1)
        defer { buffer.deallocate() }

        let first = try pull.receive(into: buffer)
        #expect(first == ReceivedSize(count: 10, messageSize: 100))
        #expect(first?.isTruncated == true)
        #expect(Array(buffer) == Array(large.prefix(10)))

        let second = try pull.receive(into: buffer)
        #expect(second == ReceivedSize(count: 5, messageSize: 5))
        #expect(second?.isTruncated == false)
        #expect(Array(buffer.prefix(5)) == small)

        let third = try pull.receive(into: buffer)
        #expect(third?.isTruncated == false)
        #expect(Array(buffer) == exact)

        let none = try pull.receive(into: buffer, .dontWait)
        #expect(none == nil)
    }

    @Test(arguments: Transport.allCases)
    func receiveBytesAndReceiveStringCopyThePayload(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        try push.send([0, 1, 2, 255] as [UInt8])
        try push.send("grüße")
        try push.send("")

        let bytes = try pull.receiveBytes()
        let string = try pull.receiveString()
        let empty = try pull.receiveString()
        let none = try pull.receiveBytes(.dontWait)
        #expect(bytes == [0, 1, 2, 255])
        #expect(string == "grüße")
        #expect(empty == "")
        #expect(none == nil)
    }

    @Test func receiveReturnsNilWhenNothingIsReady() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: Transport.inproc.bindEndpoint())
        let message = try pull.receive(.dontWait)
        let received = message != nil
        #expect(!received)
    }

    // MARK: Sending

    @Test(arguments: Transport.allCases)
    func consumedMessageIsSent(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let message = try Message("consumed")
        let sent = try push.send(message)
        // Using `message` from here on fails to compile: "'message' used after consume".
        #expect(sent)
        let received = try pull.receiveString()
        #expect(received == "consumed")
    }

    @Test(arguments: Transport.allCases)
    func sendLeavesTheMessageEmptyAndReusable(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        var message = try Message("first")
        let sent = try push.send(&message)
        let emptied = message.isEmpty
        #expect(sent)
        #expect(emptied)

        message = try Message("second")
        let sentAgain = try push.send(&message)
        #expect(sentAgain)

        let first = try pull.receiveString(), second = try pull.receiveString()
        #expect(first == "first")
        #expect(second == "second")
    }

    @Test(arguments: Transport.allCases)
    func sendThatWouldBlockLeavesTheMessageIntact(_ transport: Transport) throws {
        let context = try Context()
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.bind(to: transport.bindEndpoint())
        let lastEndpoint = push.lastEndpoint
        let endpoint = try #require(lastEndpoint)

        // No peer yet: a PUSH socket has nowhere to queue the message.
        var message = try Message(copying: patternBytes(count: 1000, seed: 8))
        let sent = try push.send(&message, .dontWait)
        let count = message.count, bytes = message.bytes
        #expect(!sent)
        #expect(count == 1000)
        #expect(bytes == patternBytes(count: 1000, seed: 8))

        // The same message goes through once a peer exists.
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.connect(to: endpoint)
        let sentLater = try push.send(&message)
        #expect(sentLater)
        let received = try pull.receiveBytes()
        #expect(received == patternBytes(count: 1000, seed: 8))
    }
}

/// Receives one message sent from a `Sender` socket to a `Receiver` socket and returns the
/// `Socket-Type` metadata the receiver saw.
private func peerSocketType<Sender: SendingKind, Receiver: ReceivingKind>(
    from sender: Sender.Type,
    to receiver: Receiver.Type,
    over transport: Transport,
    in context: Context
) throws -> String? {
    let receiving = try makeSocket(Receiver.self, context: context)
    let sending = try makeSocket(Sender.self, context: context)
    try connect(sending, to: receiving, over: transport)
    // A REP socket strips the (empty) envelope delimiter a DEALER must send first.
    if Receiver.self == SocketType.Rep.self { try sending.send("", .sendMore) }
    try sending.send("probe")
    var message = Message()
    guard try receiving.receive(into: &message) else { return nil }
    return message.peerSocketType
}

/// Records each call of a zero-copy release closure, from whichever thread it runs on.
private final class ReleaseLog: Sendable {
    private let calls = Mutex<[Int]>([])

    func record(_ buffer: UnsafeMutableRawBufferPointer) {
        let address = Int(bitPattern: buffer.baseAddress)
        calls.withLock { $0.append(address) }
    }

    /// How many times the closure ran.
    var count: Int { calls.withLock { $0.count } }
    /// The base address of each buffer released, in order.
    var addresses: [Int] { calls.withLock { $0 } }
}
