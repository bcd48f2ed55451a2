import Testing
import ZeroMQ

// Swift Testing's #expect and #require can't take an expression that uses a noncopyable
// value (Socket, Message, Multipart), so each check below reads the value into a local first.

@Suite("Multipart")
struct MultipartTests {
    // MARK: Round trips

    @Test(arguments: Transport.allCases)
    func framesArriveInOrderIncludingEmptyAndBinaryOnes(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let frames: [[UInt8]] = [[], Array(0...255), Array("text".utf8), [0], [], [255, 0, 255]]
        var parts = Multipart()
        for frame in frames { parts.append(try Message(copying: frame)) }
        let countBefore = parts.count
        #expect(countBefore == frames.count)

        let sent = try push.send(&parts)
        let emptied = parts.isEmpty
        #expect(sent)
        #expect(emptied, "a sent multipart message is left empty for reuse")

        var received = Multipart()
        let got = try pull.receive(into: &received)
        let count = received.count, allBytes = received.allBytes
        #expect(got)
        #expect(count == frames.count)
        #expect(allBytes == frames)
    }

    @Test(arguments: Transport.allCases)
    func largeFramesArriveWhole(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let frames = [patternBytes(count: 1 << 20, seed: 1), [7], patternBytes(count: 3 << 20, seed: 2)]
        let sent = try push.send(multipart: frames)
        #expect(sent)

        var received = Multipart()
        let got = try pull.receive(into: &received)
        #expect(got)
        let sizes = (0..<received.count).map { received.size(at: $0) }
        let allBytes = received.allBytes
        #expect(sizes == [1 << 20, 1, 3 << 20])
        #expect(allBytes == frames)
    }

    @Test(arguments: Transport.allCases)
    func hundredFramesArriveAsOneMessage(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let frames = (0..<100).map { patternBytes(count: $0 * 10, seed: $0) }
        let sent = try push.send(multipart: frames)
        try push.send("next message")
        #expect(sent)

        let received = try pull.receiveMultipart()
        #expect(received == frames)
        let next = try pull.receiveMultipart()
        #expect(next == [Array("next message".utf8)])
    }

    @Test(arguments: Transport.allCases)
    func byteArraysAndStringsAreSentAsMultipart(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let byteFrames: [[UInt8]] = [[1, 2, 3], [], [0xFF]]
        let stringFrames = ["topic", "", "grüße"]
        let sentBytes = try push.send(multipart: byteFrames)
        let sentStrings = try push.send(multipart: stringFrames)
        #expect(sentBytes)
        #expect(sentStrings)

        let first = try pull.receiveMultipart()
        let second = try pull.receiveMultipart()
        #expect(first == byteFrames)
        #expect(second == stringFrames.map { Array($0.utf8) })
    }

    @Test func framesCanBeReadAsStringsAndSizes() throws {
        let parts = try Multipart(["alpha", "", "ünïcode"])
        let count = parts.count
        let strings = (0..<count).map { parts.string(at: $0) }
        let sizes = (0..<count).map { parts.size(at: $0) }
        let bytes = parts.bytes(at: 2)
        #expect(count == 3)
        #expect(strings == ["alpha", "", "ünïcode"])
        #expect(sizes == [5, 0, "ünïcode".utf8.count])
        #expect(bytes == Array("ünïcode".utf8))
    }

    // MARK: Atomicity

    @Test(arguments: Transport.allCases)
    func sendWithoutPeerReturnsFalseAndKeepsEveryFrame(_ transport: Transport) throws {
        let context = try Context()
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.bind(to: transport.bindEndpoint())
        let lastEndpoint = push.lastEndpoint
        let endpoint = try #require(lastEndpoint)

        let frames = ["one", "two", "three"]
        var parts = try Multipart(frames)
        let sent = try push.send(&parts, .dontWait)
        let count = parts.count, allBytes = parts.allBytes
        #expect(!sent)
        #expect(count == 3)
        #expect(allBytes == frames.map { Array($0.utf8) })

        // Once a peer connects, the same value goes through whole, exactly once.
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.connect(to: endpoint)
        let sentLater = try push.send(&parts)
        #expect(sentLater)
        let received = try pull.receiveMultipart()
        #expect(received == frames.map { Array($0.utf8) })
        try expectNothingMore(on: pull)
    }

    @Test func sendToAFullQueueReturnsFalseAndKeepsEveryFrame() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try push.setOption(.sendHighWaterMark, 1)
        try pull.setOption(.receiveHighWaterMark, 1)
        try connect(push, to: pull, over: .inproc)

        // Fill the pipe with two-frame messages until libzmq refuses one.
        var queued = 0
        while queued < 1000 {
            let sent = try push.send(multipart: ["filler \(queued)", "tail"], .dontWait)
            if !sent { break }
            queued += 1
        }
        #expect(queued > 0 && queued < 1000, "the high-water mark should stop the sender")

        var parts = try Multipart(["first", "second", "third"])
        let sent = try push.send(&parts, .dontWait)
        let count = parts.count, allBytes = parts.allBytes
        #expect(!sent)
        #expect(count == 3)
        #expect(allBytes == [Array("first".utf8), Array("second".utf8), Array("third".utf8)])

        // Every queued message arrives whole, and nothing of the refused one follows.
        for index in 0..<queued {
            let message = try pull.receiveMultipart()
            #expect(message == [Array("filler \(index)".utf8), Array("tail".utf8)])
        }
        try expectNothingMore(on: pull)

        let sentLater = try push.send(&parts)
        #expect(sentLater)
        let last = try pull.receiveMultipart()
        #expect(last == [Array("first".utf8), Array("second".utf8), Array("third".utf8)])
    }

    @Test(arguments: Transport.allCases)
    func routerAndDealerExchangeWholeEnvelopes(_ transport: Transport) throws {
        let context = try Context()
        let router = try makeSocket(SocketType.Router.self, context: context)
        let dealer = try makeSocket(SocketType.Dealer.self, context: context)
        try router.setMandatoryRouting(true)
        try dealer.setOption(.routingID, Array("client-7".utf8))
        try connect(dealer, to: router, over: transport)

        try dealer.send(multipart: ["", "request", "second part"])
        var envelope = Multipart()
        let got = try router.receive(into: &envelope)
        let request = envelope.allBytes
        #expect(got)
        #expect(request == [Array("client-7".utf8), [], Array("request".utf8), Array("second part".utf8)])

        // Reply through the same envelope: the routing id, the delimiter, then the body.
        _ = envelope.popLast()
        _ = envelope.popLast()
        envelope.append(try Message("reply"))
        let sent = try router.send(&envelope)
        #expect(sent)
        let reply = try dealer.receiveMultipart()
        #expect(reply == [[], Array("reply".utf8)])
    }

    @Test(arguments: [Transport.inproc, .tcp])
    func messagesFromTwoSendersArriveUnmixed(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        try pull.bind(to: transport.bindEndpoint())
        let lastEndpoint = pull.lastEndpoint
        let endpoint = try #require(lastEndpoint)

        let messagesPerSender = 200, framesPerMessage = 5
        let senders = ["A", "B"].map { tag in
            BackgroundThread {
                let push = try makeSocket(SocketType.Push.self, context: context)
                // Deliver everything queued even though this thread closes its socket first.
                try push.setOption(.linger, .seconds(5))
                try push.connect(to: endpoint)
                for sequence in 0..<messagesPerSender {
                    let frames = (0..<framesPerMessage).map { "\(tag)-\(sequence)-\($0)" }
                    guard try push.send(multipart: frames) else { throw TestFailure("send timed out") }
                }
            }
        }

        var nextSequence = ["A": 0, "B": 0]
        var parts = Multipart(capacity: framesPerMessage)
        for _ in 0..<(2 * messagesPerSender) {
            let got = try pull.receive(into: &parts)
            guard got else {
                Issue.record("a message is missing")
                break
            }
            let frames = (0..<parts.count).map { parts.string(at: $0) }
            let tag = String(frames[0].prefix(1))
            let sequence = try #require(nextSequence[tag])
            #expect(frames == (0..<framesPerMessage).map { "\(tag)-\(sequence)-\($0)" })
            nextSequence[tag] = sequence + 1
        }
        #expect(nextSequence == ["A": messagesPerSender, "B": messagesPerSender])
        for sender in senders {
            let result = sender.wait()
            #expect(throws: Never.self) { try #require(result).get() }
        }
    }

    // MARK: Reuse and editing

    @Test(arguments: Transport.allCases)
    func reusedMultipartTakesEachMessagesFrameCount(_ transport: Transport) throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: transport)

        let counts = [5, 2, 7, 1, 3]
        for (index, count) in counts.enumerated() {
            try push.send(multipart: (0..<count).map { "m\(index)f\($0)" })
        }
        var parts = Multipart(capacity: 1)
        for (index, expected) in counts.enumerated() {
            let got = try pull.receive(into: &parts)
            let count = parts.count
            let strings = (0..<count).map { parts.string(at: $0) }
            #expect(got)
            #expect(count == expected)
            #expect(strings == (0..<expected).map { "m\(index)f\($0)" })
        }
    }

    @Test func receiveThatWouldBlockLeavesNoFramesBehind() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)

        var parts = Multipart()
        let gotNothing = try pull.receive(into: &parts, .dontWait)
        #expect(!gotNothing)
        let count = parts.count
        #expect(count == 0)

        try push.send(multipart: ["a", "b", "c"])
        let got = try pull.receive(into: &parts)
        #expect(got)
        let gotNothingAgain = try pull.receive(into: &parts, .dontWait)
        #expect(!gotNothingAgain)
        // libzmq empties frame 0 on the failed receive, so stale frames 1 and 2 would read
        // as the garbled message [[], "b", "c"].
        let frames = parts.allBytes
        #expect(frames.isEmpty, "got \(frames)")
    }

    @Test func popAppendAndRemoveAllEditTheFrames() throws {
        var parts = try Multipart(["a", "b", "c"])

        guard let first = parts.popFirst(), let last = parts.popLast() else {
            Issue.record("popFirst and popLast should return frames")
            return
        }
        let firstText = first.string, lastText = last.string
        #expect(firstText == "a")
        #expect(lastText == "c")
        let afterPops = parts.allBytes
        #expect(afterPops == [Array("b".utf8)])

        parts.append(try Message("d"))
        parts.append(consume first)
        let afterAppends = parts.allBytes
        #expect(afterAppends == [Array("b".utf8), Array("d".utf8), Array("a".utf8)])

        parts.removeAll()
        let isEmpty = parts.isEmpty, count = parts.count
        #expect(isEmpty)
        #expect(count == 0)
        let noFirst = parts.popFirst() == nil, noLast = parts.popLast() == nil
        #expect(noFirst)
        #expect(noLast)

        // Storage is kept and grows past its first capacity.
        for index in 0..<20 { parts.append(try Message("\(index)")) }
        let grown = parts.count, tenth = parts.string(at: 10)
        #expect(grown == 20)
        #expect(tenth == "10")
    }

    @Test func copyingInitializerMakesOneFramePerSequence() throws {
        let parts = try Multipart(copying: [[1, 2], [], [3]] as [[UInt8]])
        let allBytes = parts.allBytes
        #expect(allBytes == [[1, 2], [], [3]])
    }

    @Test func aMultipartRefusedAtTheFirstFrameIsLeftIntact() throws {
        let context = try Context()
        let rep = try makeSocket(SocketType.Rep.self, context: context)
        let req = try makeSocket(SocketType.Req.self, context: context)
        try connect(req, to: rep, over: .inproc)
        try req.send("first request")

        // A REQ socket awaiting its reply refuses the next request outright.
        var parts = try Multipart(["a", "b"])
        do {
            _ = try req.send(&parts)
            Issue.record("a second request should throw")
        } catch {
            #expect(error == .invalidState)
        }
        let frames = parts.allBytes
        #expect(frames == [Array("a".utf8), Array("b".utf8)])

        // Once the reply is in, the same parts go out whole.
        let request = try rep.receiveString()
        #expect(request == "first request")
        try rep.send("reply")
        _ = try req.receiveString()
        let sent = try req.send(&parts)
        #expect(sent)
        let empty = parts.isEmpty
        #expect(empty)
        let received = try rep.receiveMultipart()
        #expect(received == [Array("a".utf8), Array("b".utf8)])
    }

    @Test func sendingAnEmptyMultipartThrowsInvalidArgument() throws {
        let context = try Context()
        let pull = try makeSocket(SocketType.Pull.self, context: context)
        let push = try makeSocket(SocketType.Push.self, context: context)
        try connect(push, to: pull, over: .inproc)

        var parts = Multipart()
        do {
            _ = try push.send(&parts)
            Issue.record("sending an empty Multipart should throw")
        } catch {
            #expect(error == .invalidArgument)
        }
        do {
            _ = try push.send(multipart: [String]())
            Issue.record("sending no strings should throw")
        } catch {
            #expect(error == .invalidArgument)
        }
        do {
            _ = try push.send(multipart: [[UInt8]]())
            Issue.record("sending no byte arrays should throw")
        } catch {
            #expect(error == .invalidArgument)
        }
        try expectNothingMore(on: pull)
    }
}

/// Checks that no further message arrives on `socket` within a short grace period.
private func expectNothingMore<Kind: ReceivingKind>(
    on socket: borrowing Socket<Kind>,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var poller = Poller()
    poller.add(socket, events: .readable)
    let ready = try poller.poll(timeout: .milliseconds(100))
    #expect(ready == 0, "an unexpected message arrived", sourceLocation: sourceLocation)
}
