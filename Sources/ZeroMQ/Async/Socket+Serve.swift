internal import CZeroMQ
import Synchronization

extension Socket where Kind: ServingKind {
    /// Serves the socket: receives each message and hands it to `handler` in a child task,
    /// while the replies those tasks queue on an ``OutboundWriter`` go out through the same
    /// socket.
    ///
    /// This is the concurrent-server pattern without a second thread on the socket and
    /// without a polling loop of your own. The calling task stays the socket's only owner: it
    /// receives requests, starts a handler for each, and sends what the handlers queue, all
    /// without blocking its thread. The handlers run concurrently, so a slow request doesn't
    /// hold up the next one. For a ROUTER the request's first frame is the peer's routing id;
    /// keep it as the reply's first frame to answer that peer:
    ///
    /// ```swift
    /// let server = try RouterSocket(context: context)
    /// try server.bind(to: "tcp://*:5555")
    /// try await server.serve { request, replies in
    ///     try await Task.sleep(for: .milliseconds(200))   // work, concurrently
    ///     try await replies.send(request)                  // echo: routing id and frames
    /// }
    /// ```
    ///
    /// Each request arrives whole, and each reply goes out whole. At most
    /// `maxConcurrentRequests` handlers run at once: beyond that the socket is not read, and
    /// libzmq's high-water marks push back on the peers.
    ///
    /// It serves the socket types whose sends and receives need not alternate
    /// (``ServingKind``: ROUTER, DEALER, PAIR, STREAM); a REP socket answers one request at a
    /// time by design. Replies go out in the order they were queued. Leave
    /// ``Socket/setMandatoryRouting(_:)`` off for a served ROUTER (the default): with it on, a
    /// reply to a peer at its high-water mark holds up those queued after it, and since the
    /// socket then still reports room for its other peers, the owner retries it without
    /// waiting until that peer has room.
    ///
    /// Serving ends when the context is shut down (the call returns) or the calling task is
    /// cancelled (it throws `CancellationError`; requests not yet received stay in the socket). Either way it stops receiving, cancels the
    /// handlers still running and waits for them, sends without waiting the replies already
    /// queued, then closes the writer. If a handler throws, serving ends the same way and the
    /// call throws that error; catch errors inside the handler to keep serving.
    ///
    /// - Parameters:
    ///   - maxConcurrentRequests: The most handlers running at once.
    ///   - outboundCapacity: The most replies queued and not yet sent; a handler's send waits
    ///     for room beyond that.
    ///   - handler: Handles one request; runs in a child task. It owns the request and may
    ///     send it back as the reply without copying.
    /// - Throws: `CancellationError` when the task is cancelled; the first error a handler
    ///   throws; a ``ZMQError`` from the socket other than ``ZMQError/contextTerminated``.
    public func serve(
        maxConcurrentRequests: Int = 1_000,
        outboundCapacity: Int = 1_000,
        _ handler: @escaping @Sendable (consuming Multipart, OutboundWriter) async throws -> Void
    ) async throws {
        let waiter = try owner.registeredWaiter()
        let writer = OutboundWriter(capacity: outboundCapacity, owner: waiter)
        let state = ServingState(limit: max(1, maxConcurrentRequests), owner: waiter)
        let handle = self.handle
        var failure: (any Error)?
        do {
            try await withThrowingDiscardingTaskGroup { group in
                defer { group.cancelAll() }
                var request = Multipart()
                while true {
                    if let error = state.failure { throw error }
                    // Checked before each receive: a cancelled server takes no more requests,
                    // which stay in the socket, rather than hand them to cancelled handlers.
                    try Task.checkCancellation()
                    _ = try writer.drain(into: handle)
                    if state.hasRoom, try request.receive(on: handle, flags: ZMQ_DONTWAIT) {
                        state.enter()
                        let handoff = Handoff(request)
                        request = Multipart()
                        group.addTask {
                            do {
                                try await handler(handoff.take(), writer)
                            } catch {
                                state.fail(error)
                            }
                            state.leave()
                        }
                        continue
                    }
                    _ = try await waiter.wait(deadline: nil) { () throws(ZMQError) -> Bool in
                        if state.failure != nil { return true }
                        let events = try Self.events(of: handle)
                        return (events & CInt(ZMQ_POLLIN) != 0 && state.hasRoom)
                            || (events & CInt(ZMQ_POLLOUT) != 0 && writer.hasQueued)
                    }
                }
            }
        } catch {
            failure = error
        }
        // The handlers are done; what they queued goes out if there is room now.
        _ = try? writer.drain(into: handle)
        writer.close()
        switch failure {
        case let error as ZMQError where error == .contextTerminated: return
        case let error?: throw error
        case nil: return
        }
    }
}

extension Socket where Kind: SendingKind {
    /// Lets many tasks feed the socket through an ``OutboundWriter`` while the calling task,
    /// the socket's owner, sends what they queue.
    ///
    /// `body` runs in a child task and may hand the writer to as many tasks as it likes; the
    /// calling task sends the queued messages, whole and in order, waiting (without blocking
    /// its thread) while the socket's high-water mark is reached. The call returns `body`'s
    /// result once `body` has returned and every message it queued has been queued in the
    /// socket:
    ///
    /// ```swift
    /// try await publisher.withOutboundWriter { writer in
    ///     try await withThrowingDiscardingTaskGroup { group in
    ///         for feed in feeds {
    ///             group.addTask { for try await quote in feed { try await writer.send(quote) } }
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - capacity: The most messages queued and not yet sent; a send waits for room beyond
    ///     that.
    ///   - body: Feeds the writer; runs in a child task. It can't use the socket itself (the
    ///     compiler sees to that: the socket is borrowed by this call).
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws (the queue is then dropped); `CancellationError` when the
    ///   task is cancelled; a ``ZMQError`` from the socket, such as
    ///   ``ZMQError/contextTerminated``.
    public func withOutboundWriter<Result: Sendable>(
        capacity: Int = 1_000,
        _ body: @escaping @Sendable (OutboundWriter) async throws -> Result
    ) async throws -> Result {
        let waiter = try owner.registeredWaiter()
        let writer = OutboundWriter(capacity: capacity, owner: waiter)
        let state = ServingState(limit: 1, owner: waiter)
        let handle = self.handle
        defer { writer.close() }
        return try await withThrowingTaskGroup(of: Result.self) { group in
            state.enter()
            group.addTask {
                defer { state.leave() }
                do {
                    return try await body(writer)
                } catch {
                    state.fail(error)
                    throw error
                }
            }
            while true {
                if state.failure != nil { break }
                try Task.checkCancellation()
                // Whether `body` has returned, read before draining: every message it queued
                // is then in the queue, and an empty queue after the drain means all went
                // out. (Read after the drain, a body that queued its last messages and
                // returned in between would have them dropped unsent by `close`.)
                let bodyReturned = state.isIdle
                let stillQueued = try writer.drain(into: handle)
                if !stillQueued && bodyReturned { break }
                _ = try await waiter.wait(deadline: nil) { () throws(ZMQError) -> Bool in
                    if state.failure != nil { return true }
                    if state.isIdle && !writer.hasQueued { return true }
                    return try Self.events(of: handle) & CInt(ZMQ_POLLOUT) != 0 && writer.hasQueued
                }
            }
            // `body` has returned (or thrown): its result, or its error.
            return try await group.next()!
        }
    }
}

/// The bookkeeping a served socket's owner shares with its handler tasks: how many run,
/// and the first error one threw. Changes that the owner must act on wake it.
internal final class ServingState: Sendable {
    private let running = Atomic<Int>(0)
    private let firstFailure = Mutex<(any Error)?>(nil)
    private let limit: Int
    private let owner: SocketWaiter

    init(limit: Int, owner: SocketWaiter) {
        self.limit = limit
        self.owner = owner
    }

    var hasRoom: Bool { running.load(ordering: .acquiring) < limit }
    var isIdle: Bool { running.load(ordering: .acquiring) == 0 }
    var failure: (any Error)? { firstFailure.withLock { failure in ThreadSanitizer.critical(self) { failure } } }

    func enter() {
        running.add(1, ordering: .acquiringAndReleasing)
    }

    func leave() {
        let before = running.subtract(1, ordering: .acquiringAndReleasing).oldValue
        // The owner may be waiting for room, or (for a writer's body) for the end.
        if before == limit || before == 1 { owner.signal() }
    }

    func fail(_ error: any Error) {
        firstFailure.withLock { failure in ThreadSanitizer.critical(self) { if failure == nil { failure = error } } }
        owner.signal()
    }
}

/// Moves a request into the child task that handles it (an escaping closure can't consume
/// a noncopyable capture).
internal final class Handoff: Sendable {
    private let value: Mutex<Multipart?>

    init(_ parts: consuming Multipart) {
        value = Mutex(parts)
    }

    func take() -> Multipart {
        value.withLock { value in ThreadSanitizer.critical(self) { value.take() } } ?? Multipart(capacity: 1)
    }
}
