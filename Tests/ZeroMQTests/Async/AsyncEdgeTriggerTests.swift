import Synchronization
import Testing
import ZeroMQ

// Regression tests for the edge-triggered ZMQ_FD (pyzmq issues 1085 and 1203): libzmq
// signals its file descriptor only when the socket's command mailbox goes from empty to
// non-empty, and any operation on the socket (a send included) may drain the mailbox. A
// waiter that parks without re-reading ZMQ_EVENTS, or that forgets an edge that came while
// its owner was busy, then sleeps for ever with messages queued. Each test floods or bursts
// messages at a socket that is doing something else meanwhile, and a watchdog fails the test
// when nothing moves for two seconds, instead of letting it hang.

/// How the ROUTER under test interleaves its sends with its receives.
enum ReplyPattern: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// Receive one request, send its reply, receive the next.
    case replyEach
    /// Receive one request (waiting), then whatever else is there without waiting (up to
    /// 32), then send all their replies.
    case replyBatch

    var testDescription: String { rawValue }
}

/// What keeps a receiver busy while a burst arrives.
enum BusyWork: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// Synchronous work: the task blocks its thread for 5 to 50 ms.
    case blockThread
    /// Awaiting something else: the task sleeps for 5 to 50 ms.
    case awaitOther
    /// Sending on the same socket (a DEALER acknowledging), which processes its commands.
    case sendOnSameSocket

    var testDescription: String { rawValue }
}

@Suite("Async edge-trigger regressions")
struct AsyncEdgeTriggerTests {
    static let dealers = 8
    static let requestsPerDealer = 500
    static let window = 8

    @Test("An async ROUTER that sends between receives answers every request of DEALERs flooding it",
          arguments: Transport.allCases, ReplyPattern.allCases)
    func routerRepliesUnderFlood(_ transport: Transport, _ pattern: ReplyPattern) async throws {
        let context = try Context(defaultLinger: .zero)
        let router = try RouterSocket(context: context)
        let endpoint = try router.bind(to: transport.bindEndpoint()).endpoint
        let total = Self.dealers * Self.requestsPerDealer
        let progress = Progress()

        let dealerTasks = (0..<Self.dealers).map { dealer in
            progress.cancelOnStall(Task { () async throws -> [String] in
                let socket = try DealerSocket(context: context)
                try socket.connect(to: endpoint)
                // A window of requests in flight: each reply lets the next request go, so
                // replies land just as the DEALER has sent and is about to wait again.
                var sent = 0
                while sent < Self.window {
                    #expect(try await socket.send("dealer \(dealer) request \(sent)"))
                    sent += 1
                }
                var replies: [String] = []
                while replies.count < Self.requestsPerDealer {
                    guard let reply = try await socket.receiveString() else { break }
                    replies.append(reply)
                    progress.tick()
                    if sent < Self.requestsPerDealer {
                        #expect(try await socket.send("dealer \(dealer) request \(sent)"))
                        sent += 1
                    }
                }
                return replies
            })
        }

        var answered = 0
        try await withWatchdog("ROUTER \(pattern) over \(transport)", context: context, progress: progress) {
            var request = Multipart()
            var pending: [(route: [UInt8], text: String)] = []
            while answered < total {
                guard try await router.receive(into: &request) else { break }
                progress.tick()
                switch pattern {
                case .replyEach:
                    try await reply(to: request.bytes(at: 0), request.string(at: 1), on: router)
                    answered += 1
                case .replyBatch:
                    pending.append((request.bytes(at: 0), request.string(at: 1)))
                    while pending.count < 32, try await router.receive(into: &request, .dontWait) {
                        pending.append((request.bytes(at: 0), request.string(at: 1)))
                    }
                    for (route, text) in pending {
                        try await reply(to: route, text, on: router)
                        answered += 1
                    }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            for (dealer, task) in dealerTasks.enumerated() {
                let replies = try await task.value
                #expect(replies == (0..<Self.requestsPerDealer).map { "re: dealer \(dealer) request \($0)" },
                        "dealer \(dealer) got \(replies.count) replies")
            }
        }
        #expect(answered == total)
    }

    @Test("A receiver busy while bursts arrive still receives every message without a stall",
          arguments: Transport.allCases, BusyWork.allCases)
    func busyReceiverGetsEveryBurst(_ transport: Transport, _ busy: BusyWork) async throws {
        let context = try Context(defaultLinger: .zero)
        let bursts = 12
        let burstSize = 100
        let progress = Progress()
        // The receiver is a DEALER so that it can also send on the same socket; its peer is a
        // ROUTER that streams bursts and counts the acknowledgements.
        let dealer = try DealerSocket(context: context)
        let endpoint = try dealer.bind(to: transport.bindEndpoint()).endpoint
        let received = Progress()

        let sender = progress.cancelOnStall(Task { () async throws -> Int in
            let router = try RouterSocket(context: context)
            try router.setOption(.receiveTimeout, testTimeout)
            try router.connect(to: endpoint)
            // The DEALER says hello, so the ROUTER learns its routing id.
            var hello = Multipart()
            guard try await router.receive(into: &hello) else { throw TestFailure("no hello") }
            let peer = hello.bytes(at: 0)
            var acknowledgements = 0
            func awaitAcknowledgement() async throws {
                guard try await router.receive(into: &hello) else { throw TestFailure("no acknowledgement") }
                acknowledgements += 1
            }
            for burst in 0..<bursts {
                for index in 0..<burstSize {
                    #expect(try await router.send(multipart: [peer, Array("burst \(burst) message \(index)".utf8)]))
                }
                progress.tick()
                // Let the next burst land while the receiver is busy with this one.
                try await Task.sleep(for: .milliseconds(1 + burst % 7))
                // At most two bursts outstanding, well below the high-water mark (a ROUTER
                // drops what it can't queue).
                while acknowledgements < burst { try await awaitAcknowledgement() }
            }
            while acknowledgements < bursts { try await awaitAcknowledgement() }
            // Stay open until all has arrived: a linger of zero drops what is queued.
            try await eventually { received.count == bursts * burstSize }
            return acknowledgements
        })

        var messages: [String] = []
        try await withWatchdog("busy receiver (\(busy)) over \(transport)", context: context, progress: progress) {
            try await dealer.send("hello")
            var message = Message()
            while messages.count < bursts * burstSize {
                guard try await dealer.receive(into: &message) else { break }
                messages.append(message.string)
                received.tick()
                progress.tick()
                let index = messages.count - 1
                if index % burstSize == 0 {
                    // The first message of a burst: get busy while the rest arrives.
                    let milliseconds = 5 + (index / burstSize * 13) % 46
                    switch busy {
                    case .blockThread: blockThread(milliseconds: milliseconds)
                    case .awaitOther: try await Task.sleep(for: .milliseconds(milliseconds))
                    case .sendOnSameSocket:
                        blockThread(milliseconds: 5)
                        #expect(try await dealer.send("ack \(index / burstSize)"))
                    }
                }
                if busy != .sendOnSameSocket, index % burstSize == burstSize - 1 {
                    #expect(try await dealer.send("ack \(index / burstSize)"))
                }
            }
        }
        let expected = (0..<bursts).flatMap { burst in (0..<burstSize).map { "burst \(burst) message \($0)" } }
        #expect(messages.count == expected.count)
        #expect(messages == expected, "every message of every burst, in order")
        #expect(try await sender.value == bursts)
    }

    @Test("PAIR sockets that send and receive in turns, with one or several messages in flight, never stall",
          arguments: Transport.allCases, [1, 4])
    func pairPingPong(_ transport: Transport, window: Int) async throws {
        // Both ends alternate one send and one receive, so each receive is about to park just
        // as the peer's message lands (and its own send may have drained the mailbox).
        let context = try Context(defaultLinger: .zero)
        let left = try PairSocket(context: context)
        let endpoint = try left.bind(to: transport.bindEndpoint()).endpoint
        let rounds = 10_000
        let progress = Progress()
        let right = progress.cancelOnStall(Task { () async throws -> Int in
            let socket = try PairSocket(context: context)
            try socket.connect(to: endpoint)
            var received = 0
            for index in 0..<window { #expect(try await socket.send("right \(index)")) }
            while received < rounds {
                guard try await socket.receiveString() != nil else { break }
                received += 1
                progress.tick()
                if received + window <= rounds { #expect(try await socket.send("right \(received + window - 1)")) }
            }
            // Wait for the other side to finish before closing.
            try await eventually { progress.count == 2 * rounds }
            return received
        })
        var received: [String] = []
        try await withWatchdog("PAIR ping-pong (window \(window)) over \(transport)", context: context, progress: progress) {
            for index in 0..<window { #expect(try await left.send("left \(index)")) }
            while received.count < rounds {
                guard let text = try await left.receiveString() else { break }
                received.append(text)
                progress.tick()
                if received.count + window <= rounds { #expect(try await left.send("left \(received.count + window - 1)")) }
            }
            #expect(try await right.value == rounds)
        }
        #expect(received == (0..<rounds).map { "right \($0)" })
    }
}

/// Sends "re: `text`" back on `route`.
private func reply(to route: [UInt8], _ text: String, on router: borrowing RouterSocket) async throws {
    #expect(try await router.send(multipart: [route, Array("re: \(text)".utf8)]))
}

/// Suspends until `condition` holds, polling every millisecond, for at most `testTimeout`.
private func eventually(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + testTimeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("gave up waiting") }
        try await Task.sleep(for: .milliseconds(1))
    }
}
