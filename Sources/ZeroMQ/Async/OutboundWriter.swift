internal import CZeroMQ
import Synchronization

/// A handle any task can use to send whole messages through a socket that another task owns.
///
/// A socket has one owner, and only the owner may call libzmq on it. An outbound writer lets
/// many tasks feed one socket anyway: they queue messages here, and the owner sends them, in
/// the order they were queued, while it serves the socket with
/// ``Socket/serve(maxConcurrentRequests:outboundCapacity:_:)`` or
/// ``Socket/withOutboundWriter(capacity:_:)``. The writer is `Sendable`; the socket never
/// leaves its owner. This is the pairing swift-nio's `NIOAsyncChannel` makes between an
/// inbound sequence and an outbound writer.
///
/// Each message is queued whole and sent whole: the frames of one ``Multipart`` go out
/// together, never interleaved with another task's frames. The queue holds at most the
/// capacity given when serving starts; a send into a full queue suspends until the owner
/// has made room (back-pressure, the same as an async send into a full high-water mark).
///
/// ```swift
/// try await router.serve { request, replies in
///     let reply = try await compute(request)          // concurrently, in a child task
///     try await replies.send(reply)                   // the owner sends it
/// }
/// ```
///
/// Once serving ends, the writer is closed: further sends throw ``ZMQError/notSocket``.
public final class OutboundWriter: Sendable {
    private let queue: Mutex<OutboundQueue>
    /// The owner's waiter, woken when the queue stops being empty.
    private let owner: SocketWaiter

    internal init(capacity: Int, owner: SocketWaiter) {
        queue = Mutex(OutboundQueue(capacity: max(capacity, 1)))
        self.owner = owner
    }

    /// Queues a multipart message for the socket's owner to send, suspending while the queue
    /// is full.
    ///
    /// Returns once the message is queued, before it is on the wire. Messages from one task
    /// go out in the order that task queued them.
    ///
    /// - Parameter parts: The frames to send, at least one.
    /// - Throws: ``ZMQError/invalidArgument`` for an empty message; ``ZMQError/notSocket``
    ///   when the socket is no longer served; `CancellationError` when the task is cancelled
    ///   while it waits for room. The message is then not queued, none of it.
    public func send(_ parts: consuming Multipart) async throws {
        guard !parts.isEmpty else {
            throw ZMQError(.invalidArgument, reason: "a message has at least one frame")
        }
        var pending: Multipart? = parts
        while true {
            let outcome = queue.withLock { queue in ThreadSanitizer.critical(self) { queue.append(&pending) } }
            switch outcome {
            case .queued(let wasEmpty):
                if wasEmpty { owner.signal() }
                return
            case .closed:
                throw ZMQError(.notSocket, reason: "the socket is no longer served by its owner")
            case .full:
                // Like a socket's send, a message that fits is queued even in a cancelled
                // task; only waiting is cut short.
                try Task.checkCancellation()
                try await waitForRoom()
            }
        }
    }

    /// Queues a single-frame message for the socket's owner to send, suspending while the
    /// queue is full.
    ///
    /// - Parameter message: The frame to send.
    /// - Throws: The errors of ``send(_:)-(Multipart)``.
    public func send(_ message: consuming Message) async throws {
        var parts = Multipart(capacity: 1)
        parts.append(message)
        try await send(parts)
    }

    /// Queues a string as a single-frame message (its UTF-8 bytes).
    ///
    /// - Parameter string: The payload.
    /// - Throws: The errors of ``send(_:)-(Multipart)``.
    public func send(_ string: String) async throws {
        try await send(Message(string))
    }

    /// Queues a copy of a byte sequence as a single-frame message.
    ///
    /// - Parameter bytes: The payload.
    /// - Throws: The errors of ``send(_:)-(Multipart)``.
    public func send<Bytes: Sequence<UInt8>>(_ bytes: Bytes) async throws {
        try await send(Message(copying: bytes))
    }

    /// Queues strings as one multipart message, one UTF-8 frame each.
    ///
    /// - Parameter parts: The frames' payloads, at least one.
    /// - Throws: The errors of ``send(_:)-(Multipart)``.
    public func send(multipart parts: [String]) async throws {
        try await send(Multipart(parts))
    }

    /// Queues copies of byte sequences as one multipart message.
    ///
    /// - Parameter parts: The frames' payloads, at least one.
    /// - Throws: The errors of ``send(_:)-(Multipart)``.
    public func send<Parts: Sequence>(multipart parts: Parts) async throws where Parts.Element: Sequence<UInt8> {
        try await send(Multipart(copying: parts))
    }

    /// The number of messages queued and not yet sent.
    public var queuedCount: Int { queue.withLock { queue in ThreadSanitizer.critical(self) { queue.count } } }

    private func waitForRoom() async throws {
        let id = queue.withLock { queue in ThreadSanitizer.critical(self) { queue.nextWaiterID() } }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let resumeNow = queue.withLock { queue in
                    ThreadSanitizer.critical(self) { queue.park(continuation, id: id) }
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let continuation = queue.withLock { queue in ThreadSanitizer.critical(self) { queue.unpark(id: id) } }
            continuation?.resume(throwing: CancellationError())
        }
    }

    // MARK: The owner's side

    /// Sends queued messages with `ZMQ_DONTWAIT` until the queue is empty or the socket has
    /// no room. Runs on the socket's owner.
    ///
    /// A message a ROUTER can't route (its peer is gone, with `routerMandatory`) is dropped,
    /// as ROUTER drops it without that option.
    ///
    /// - Returns: Whether messages are still queued.
    internal func drain(into socket: UnsafeMutableRawPointer) throws(ZMQError) -> Bool {
        // The socket crosses into the lock's closure as an address: a raw pointer is not
        // Sendable, and the closure's argument must stay disconnected from the caller.
        let address = UInt(bitPattern: socket)
        let (stillQueued, writers) = try queue.withLock { (queue) throws(ZMQError) in
            try ThreadSanitizer.critical(self) { () throws(ZMQError) in
                try queue.drain(into: UnsafeMutableRawPointer(bitPattern: address)!)
            }
        }
        for writer in writers { writer.resume() }
        return stillQueued
    }

    /// Whether messages are queued.
    internal var hasQueued: Bool { queue.withLock { queue in ThreadSanitizer.critical(self) { queue.count > 0 } } }

    /// Closes the writer: later sends throw, waiting senders are woken with that error, and
    /// what is still queued is released unsent.
    internal func close() {
        let writers = queue.withLock { queue in ThreadSanitizer.critical(self) { queue.close() } }
        for writer in writers {
            writer.resume(throwing: ZMQError(.notSocket, reason: "the socket is no longer served by its owner"))
        }
    }
}

/// The writer's queue: a ring of whole messages, and the tasks waiting for room.
internal struct OutboundQueue: ~Copyable {
    enum Append { case queued(wasEmpty: Bool), full, closed }

    private let storage: UnsafeMutablePointer<Multipart>
    private let capacity: Int
    private var head = 0
    private(set) var count = 0
    private var isClosed = false
    private var waiters: [(id: UInt64, continuation: UnsafeContinuation<Void, any Error>)] = []
    private var waiterCounter: UInt64 = 0
    /// Senders cancelled before they parked: `park` turns them away, so that a cancellation
    /// that comes between a full queue and the parking is not lost.
    private var cancelledWaiters: Set<UInt64> = []

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        for offset in 0..<count { (storage + (head + offset) % capacity).deinitialize(count: 1) }
        storage.deallocate()
    }

    mutating func append(_ message: inout Multipart?) -> Append {
        if isClosed { return .closed }
        guard count < capacity else { return .full }
        (storage + (head + count) % capacity).initialize(to: message.take()!)
        count += 1
        return .queued(wasEmpty: count == 1)
    }

    mutating func nextWaiterID() -> UInt64 {
        waiterCounter &+= 1
        return waiterCounter
    }

    /// Parks a sender waiting for room, unless room or closing came first.
    mutating func park(_ continuation: UnsafeContinuation<Void, any Error>, id: UInt64) -> Result<Void, any Error>? {
        if cancelledWaiters.remove(id) != nil { return .failure(CancellationError()) }
        if isClosed { return .failure(ZMQError(.notSocket, reason: "the socket is no longer served by its owner")) }
        // Checked under the lock the owner drains under, so room made since the failed
        // append is seen here and no wake-up is lost.
        if count < capacity { return .success(()) }
        waiters.append((id, continuation))
        return nil
    }

    /// Removes a parked sender, for its cancellation; one that has not parked yet is turned
    /// away when it does.
    mutating func unpark(id: UInt64) -> UnsafeContinuation<Void, any Error>? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            cancelledWaiters.insert(id)
            return nil
        }
        return waiters.remove(at: index).continuation
    }

    mutating func drain(
        into socket: UnsafeMutableRawPointer
    ) throws(ZMQError) -> (stillQueued: Bool, writers: [UnsafeContinuation<Void, any Error>]) {
        var sent = 0
        while count > 0 {
            let slot = storage + head
            let queued: Bool
            do {
                queued = try slot.pointee.send(on: socket, flags: ZMQ_DONTWAIT)
            } catch where error == .hostUnreachable {
                queued = true
            }
            guard queued else { break }
            slot.deinitialize(count: 1)
            head = (head + 1) % capacity
            count -= 1
            sent += 1
        }
        guard sent > 0, !waiters.isEmpty else { return (count > 0, []) }
        let woken = min(sent, waiters.count)
        let writers = waiters.prefix(woken).map(\.continuation)
        waiters.removeFirst(woken)
        return (count > 0, writers)
    }

    mutating func close() -> [UnsafeContinuation<Void, any Error>] {
        isClosed = true
        for offset in 0..<count { (storage + (head + offset) % capacity).deinitialize(count: 1) }
        count = 0
        let writers = waiters.map(\.continuation)
        waiters = []
        return writers
    }
}
