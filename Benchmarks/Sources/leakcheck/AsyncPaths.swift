import ZeroMQ

// The async send and receive paths: `try await` on each send and receive, the message
// sequences, `withOutboundWriter` and `serve`. Each waits on the process's event thread when
// a socket is not ready, so the waiters, their continuations and the event thread's tables are
// exercised as well as the messages.

/// Two sockets of one context for an async path; see `Connected`.
func connectedAsync<A: SocketKind, B: SocketKind>(
    _ a: A.Type, _ b: B.Type, context: Context, over transport: Transport, name: String
) throws -> Connected<A, B> {
    try Connected(a, b, context: context, over: transport, name: name)
}

/// Runs `count` messages in batches, as `batched` does, with async bodies.
func asyncBatched(
    _ count: Int,
    send: (Int) async throws -> Void,
    receive: (Int) async throws -> Void
) async throws {
    let batch = 100
    var start = 0
    while start < count {
        let end = min(start + batch, count)
        for index in start..<end { try await send(index) }
        for index in start..<end { try await receive(index) }
        start = end
    }
}

/// Async `send(_: inout Message)`, `send(_: consuming Message)`, `send(_: some Sequence)`,
/// `send(_: String)`, and `receive(into:)`, `receive()`, `receiveBytes()`,
/// `receiveString()`.
func asyncMessagePath(count: Int, over transport: Transport) async throws {
    let context = try Context()
    let pair = try connectedAsync(SocketType.Pair.self, SocketType.Pair.self, context: context, over: transport, name: "async")
    var outgoing = Message()
    var incoming = Message()
    try await asyncBatched(count) { index in
        switch index % 4 {
        case 0:
            try outgoing.rebuild(count: payloadSizes[index % payloadSizes.count])
            outgoing.withUnsafeMutableBytes { fillPayload($0, index: index) }
            try check(try await pair.a.send(&outgoing), "async message \(index) was not sent")
        case 1:
            try await pair.a.send(try Message(copying: payload(index)))
        case 2:
            try await pair.a.send(payload(index))
        default:
            try await pair.a.send(text(index))
        }
    } receive: { index in
        switch index % 4 {
        case 0:
            try check(try await pair.b.receive(into: &incoming), "async message \(index): nothing arrived")
            try check(incoming.withUnsafeBytes { isPayload($0, index: index) }, "async message \(index) arrived changed")
        case 1:
            let message = try received(try await pair.b.receive(), "async message \(index)")
            try check(message.bytes == payload(index), "async message \(index) arrived changed")
        case 2:
            let bytes = try received(try await pair.b.receiveBytes(), "async bytes \(index)")
            try check(bytes == payload(index), "async bytes \(index) arrived changed")
        default:
            let string = try received(try await pair.b.receiveString(), "async string \(index)")
            try check(string == text(index), "async string \(index) arrived changed")
        }
    }
    _ = consume pair
    await terminateOffThePool(context)
}

/// Async multipart: `send(_: inout Multipart)`, `send(_: consuming Multipart)`,
/// `send(multipart:)` with strings and bytes, `receive(into: inout Multipart)` and
/// `receiveMultipart()`.
func asyncMultipartPath(count: Int, over transport: Transport) async throws {
    let context = try Context()
    let pair = try connectedAsync(SocketType.Dealer.self, SocketType.Router.self, context: context, over: transport, name: "async-multipart")
    var outgoing = Multipart()
    var incoming = Multipart()
    try await asyncBatched(count) { index in
        let parts = [payload(index), payload(index + 1)]
        switch index % 4 {
        case 0:
            outgoing.removeAll()
            for part in parts { outgoing.append(try Message(copying: part)) }
            try await pair.a.send(&outgoing)
        case 1:
            try await pair.a.send(try Multipart(copying: parts))
        case 2:
            try await pair.a.send(multipart: parts)
        default:
            try await pair.a.send(multipart: [text(index), text(index + 1)])
        }
    } receive: { index in
        let expected: [[UInt8]] = index % 4 == 3
            ? [Array(text(index).utf8), Array(text(index + 1).utf8)]
            : [payload(index), payload(index + 1)]
        if index % 2 == 0 {
            try check(try await pair.b.receive(into: &incoming), "async multipart \(index): nothing arrived")
            try check(Array(incoming.allBytes.dropFirst()) == expected, "async multipart \(index) arrived changed")
        } else {
            let frames = try received(try await pair.b.receiveMultipart(), "async multipart \(index)")
            try check(Array(frames.dropFirst()) == expected, "async multipart \(index) arrived changed")
        }
    }
    _ = consume pair
    await terminateOffThePool(context)
}

/// The message sequences: `for try await` over `messages` and `multipartMessages`, fed by a
/// sender task that owns its own socket and sends with the async API while the receiver
/// waits.
func asyncSequencesPath(count: Int, over transport: Transport) async throws {
    let context = try Context()
    let pull = try PullSocket(context: context)
    try pull.setOption(.receiveTimeout, operationTimeout)
    let endpoint = try pull.bind(to: transport.bindEndpoint("sequences")).endpoint
    let router = try RouterSocket(context: context)
    try router.setOption(.receiveTimeout, operationTimeout)
    let routerEndpoint = try router.bind(to: transport.bindEndpoint("multipart-sequence")).endpoint

    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            let push = try PushSocket(context: context)
            try push.setOption(.sendTimeout, operationTimeout)
            try push.connect(to: endpoint)
            let dealer = try DealerSocket(context: context)
            try dealer.setOption(.sendTimeout, operationTimeout)
            try dealer.connect(to: routerEndpoint)
            // All the frames first, then the multipart messages, in the order they are read
            // (the high-water marks hold the sender back until the reader gets to each).
            for index in 0..<count { try await push.send(payload(index)) }
            for index in 0..<count { try await dealer.send(multipart: [payload(index), Array(text(index).utf8)]) }
        }
        var next = 0
        for try await frame in pull.messages {
            try check(frame == payload(next), "sequence frame \(next) arrived changed")
            next += 1
            if next == count { break }
        }
        try check(next == count, "the messages sequence ended after \(next) of \(count)")
        next = 0
        for try await frames in router.multipartMessages {
            try check(Array(frames.dropFirst()) == [payload(next), Array(text(next).utf8)],
                      "multipart sequence message \(next) arrived changed")
            next += 1
            if next == count { break }
        }
        try check(next == count, "the multipart sequence ended after \(next) of \(count)")
        try await group.waitForAll()
    }
    _ = consume pull
    _ = consume router
    await terminateOffThePool(context)
}

/// `serve` on a ROUTER, whose handlers echo each request through the `OutboundWriter`, and
/// `withOutboundWriter` on a DEALER, fed by several tasks; the DEALER's replies are read back
/// with the blocking-free `receive(into:)`.
func asyncServePath(count: Int, over transport: Transport) async throws {
    let context = try Context()
    let router = try RouterSocket(context: context)
    let endpoint = try router.bind(to: transport.bindEndpoint("serve")).endpoint
    // The server owns the ROUTER in a task of its own until the context is shut down.
    let server = Task { [router = consume router] in
        try await router.serve(maxConcurrentRequests: 64) { request, replies in
            try await replies.send(request)
        }
    }
    do {
        let dealer = try DealerSocket(context: context)
        try dealer.setOption(.receiveTimeout, operationTimeout)
        try dealer.connect(to: endpoint)
        // Four feeders queue a quarter each through the writer, in batches that the replies
        // are read back after (the writer's queue and the high-water marks bound what waits).
        let feeders = 4
        var replies = Multipart()
        var seen = [Bool](repeating: false, count: count)
        var start = 0
        while start < count {
            let end = min(start + 400, count)
            let range = start..<end
            try await dealer.withOutboundWriter(capacity: 100) { writer in
                try await withThrowingDiscardingTaskGroup { feeding in
                    for feeder in 0..<feeders {
                        feeding.addTask {
                            for index in range where index % feeders == feeder {
                                switch index % 3 {
                                case 0: try await writer.send(try Multipart(copying: [payload(index), Array(String(index).utf8)]))
                                case 1: try await writer.send(multipart: [payload(index), Array(String(index).utf8)])
                                default: try await writer.send(multipart: [text(index), String(index)])
                                }
                            }
                        }
                    }
                }
            }
            for _ in range {
                try check(try await dealer.receive(into: &replies), "serve: a reply did not come back (batch \(range), missing \(range.filter { !seen[$0] }.prefix(20)))")
                try check(replies.count == 2, "serve: a reply has \(replies.count) frames")
                guard let index = Int(replies.string(at: 1)), range.contains(index), !seen[index] else {
                    throw CheckFailure("serve: an unexpected reply \(replies.string(at: 1))")
                }
                let expected = index % 3 == 2 ? Array(text(index).utf8) : payload(index)
                try check(replies.bytes(at: 0) == expected, "serve: reply \(index) arrived changed")
                seen[index] = true
            }
            start = end
        }
    } catch {
        context.shutdown()
        _ = try? await server.value
        throw error
    }
    // Shutting the context down ends `serve`, which then returns.
    context.shutdown()
    try await server.value
    await terminateOffThePool(context)
}

/// The async monitor: `monitorEvents()` as an `AsyncSequence`, over `count` connections made
/// and dropped.
func asyncMonitorPath(connections: Int) async throws {
    let context = try Context()
    let server = try RouterSocket(context: context)
    let watcher = try watchConnections(of: server, count: connections)
    let endpoint = try server.bind(to: "tcp://127.0.0.1:*").endpoint
    do {
        for _ in 0..<connections {
            let client = try DealerSocket(context: context)
            try client.connect(to: endpoint)
            try await client.send("hello")
            var request = Multipart()
            try check(try await server.receive(into: &request), "monitor: the server got nothing")
        }
    } catch {
        watcher.cancel()
        throw error
    }
    let seen = try await watcher.value
    try check(seen == 2 * connections, "monitor: \(seen) events for \(connections) connections")
    _ = consume server
    await terminateOffThePool(context)
}

/// Counts the accepted and disconnected events of `connections` connections to `server`, in
/// a task that owns the event sequence (and with it the monitor), so that nothing else keeps
/// the monitor alive once the task is done.
private func watchConnections<Kind>(of server: borrowing Socket<Kind>, count connections: Int) throws -> Task<Int, any Error> {
    let events = try server.monitorEvents([.accepted, .disconnected])
    return Task {
        var seen = 0
        for try await event in events {
            switch event.kind {
            case .accepted, .disconnected:
                _ = event.description
                seen += 1
            default: break
            }
            if seen == 2 * connections { break }
        }
        return seen
    }
}

/// Terminates a context from a thread of its own, so that the wait for its sockets' linger
/// never blocks a thread of Swift's cooperative pool.
func terminateOffThePool(_ context: Context) async {
    let thread = try? SocketThread(name: "leakcheck-term") { context.terminate() }
    if let thread { await thread.value() } else { context.shutdown() }
}
