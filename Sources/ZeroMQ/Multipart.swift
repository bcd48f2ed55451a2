internal import CZeroMQ

/// A reusable multipart message: an ordered list of frames, sent and received as a whole.
///
/// libzmq delivers a multipart message atomically (all frames or none), and so does this
/// type: ``Socket/send(_:_:)-9hy97`` builds every frame before sending the first, and
/// ``Socket/receive(into:_:)-5ze6k`` returns only once the last frame is in. The frames
/// live in one C array that grows as needed and is reused, so receiving into the same value in
/// a loop allocates nothing in steady state.
///
/// ```swift
/// var request = Multipart()
/// while try router.receive(into: &request) {
///     let identity = request.bytes(at: 0)
///     …
/// }
/// ```
///
/// A multipart value may move to another thread but is not shared.
// `@unchecked`: the frames live in a C array behind an `UnsafeMutablePointer`, which is never
// `Sendable`. A `Multipart` is noncopyable and owns that array alone, so sending it moves
// the only reference, as sending a `Message` moves its inline `zmq_msg_t`.
public struct Multipart: ~Copyable, @unchecked Sendable {
    private var frames: UnsafeMutablePointer<zmq_msg_t>
    private var capacity: Int
    /// The number of frames; slots `0 ..< count` hold initialized `zmq_msg_t`s.
    public private(set) var count: Int = 0

    /// Creates an empty multipart message with room for `capacity` frames before it grows.
    ///
    /// - Parameter capacity: The number of frames to reserve room for.
    public init(capacity: Int = 4) {
        self.capacity = max(capacity, 1)
        frames = .allocate(capacity: self.capacity)
    }

    /// Creates a multipart message holding a copy of each byte sequence, one frame each.
    ///
    /// - Parameter parts: The frames' payloads.
    /// - Throws: ``ZMQError/outOfMemory`` if a frame can't be allocated.
    public init<Parts: Sequence>(copying parts: Parts) throws(ZMQError) where Parts.Element: Sequence<UInt8> {
        self.init(capacity: parts.underestimatedCount)
        for part in parts { try append(Message(copying: part)) }
    }

    /// Creates a multipart message holding each string's UTF-8 bytes, one frame each.
    ///
    /// - Parameter strings: The frames' payloads.
    /// - Throws: ``ZMQError/outOfMemory`` if a frame can't be allocated.
    public init(_ strings: [String]) throws(ZMQError) {
        self.init(capacity: strings.count)
        for string in strings { try append(Message(string)) }
    }

    deinit {
        for index in 0..<count { zmq_msg_close(frames + index) }
        frames.deallocate()
    }

    /// Whether there are no frames.
    public var isEmpty: Bool { count == 0 }

    /// Appends a frame, taking ownership of its payload without copying it.
    ///
    /// - Parameter message: The frame to add.
    public mutating func append(_ message: consuming Message) {
        reserveCapacity(count + 1)
        (frames + count).initialize(to: zmq_msg_t())
        zmq_msg_init(frames + count)
        zmq_msg_move(frames + count, &message.raw)
        count += 1
    }

    /// Removes and returns the first frame.
    ///
    /// - Returns: The first frame, or `nil` if there is none.
    public mutating func popFirst() -> Message? {
        guard count > 0 else { return nil }
        let first = frames.move()
        frames.moveInitialize(from: frames + 1, count: count - 1)
        count -= 1
        return Message(raw: first)
    }

    /// Removes and returns the last frame.
    ///
    /// - Returns: The last frame, or `nil` if there is none.
    public mutating func popLast() -> Message? {
        guard count > 0 else { return nil }
        count -= 1
        return Message(raw: (frames + count).move())
    }

    /// Removes every frame, keeping the storage for reuse.
    public mutating func removeAll() {
        truncate(to: 0)
    }

    /// The size in bytes of the frame at `index`.
    ///
    /// - Parameter index: A frame index, `0 ..< count`.
    public func size(at index: Int) -> Int {
        precondition(index >= 0 && index < count, "Multipart frame index out of range")
        return zmq_msg_size(frames + index)
    }

    /// Calls a closure with a view of one frame's payload, without copying it.
    ///
    /// - Parameters:
    ///   - index: A frame index, `0 ..< count`.
    ///   - body: A closure that reads the payload; the buffer is valid only during the call.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withUnsafeBytes<Result: ~Copyable, Failure: Error>(
        at index: Int,
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        precondition(index >= 0 && index < count, "Multipart frame index out of range")
        let frame = frames + index
        return try body(UnsafeRawBufferPointer(start: zmq_msg_data(frame), count: zmq_msg_size(frame)))
    }

    /// A copy of one frame's payload.
    ///
    /// - Parameter index: A frame index, `0 ..< count`.
    public func bytes(at index: Int) -> [UInt8] {
        withUnsafeBytes(at: index) { Array($0) }
    }

    /// One frame's payload decoded as UTF-8; invalid sequences become U+FFFD.
    ///
    /// - Parameter index: A frame index, `0 ..< count`.
    public func string(at index: Int) -> String {
        withUnsafeBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// A copy of every frame's payload, in order.
    public var allBytes: [[UInt8]] {
        (0..<count).map { bytes(at: $0) }
    }

    // MARK: Socket plumbing

    internal mutating func reserveCapacity(_ needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity * 2)
        let newFrames = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: newCapacity)
        newFrames.moveInitialize(from: frames, count: count)
        frames.deallocate()
        frames = newFrames
        capacity = newCapacity
    }

    /// Closes frames past `newCount`.
    internal mutating func truncate(to newCount: Int) {
        guard newCount < count else { return }
        for index in newCount..<count { zmq_msg_close(frames + index) }
        count = newCount
    }

    /// Sends every frame, `sendMore` on all but the last; see `Socket.send(_: inout Multipart)`.
    internal mutating func send(on socket: UnsafeMutableRawPointer, flags: CInt) throws(ZMQError) -> Bool {
        guard count > 0 else { throw .invalidArgument }
        for index in 0..<count {
            let more = index < count - 1 ? ZMQ_SNDMORE : 0
            // Only the first frame honours dontWait: once it is queued, libzmq takes the rest
            // of the message without waiting for the high-water mark.
            let frameFlags = index == 0 ? flags | more : (flags & ~ZMQ_DONTWAIT) | more
            let frame = frames + index
            let sent: CInt?
            do {
                sent = try valueOrWouldBlock { zmq_msg_send(frame, socket, frameFlags) }
            } catch {
                // A first frame that was refused is intact and still ours, like a single
                // message. Past it, libzmq discards the unfinished message, and the frames
                // already sent are gone, so nothing half-sent is left here either.
                if index > 0 { truncate(to: 0) }
                throw error
            }
            if sent == nil {
                guard index > 0 else { return false }
                // A later frame can still time out (the peer left mid-message and the send
                // timeout expired). libzmq drops the unfinished message; say so.
                truncate(to: 0)
                throw .wouldBlock
            }
        }
        // Every frame was taken by libzmq and is now empty.
        truncate(to: 0)
        return true
    }

    /// Receives one whole message, reusing the frames already allocated.
    internal mutating func receive(on socket: UnsafeMutableRawPointer, flags: CInt) throws(ZMQError) -> Bool {
        var received = 0
        var more = true
        while more {
            if received == count {
                reserveCapacity(count + 1)
                (frames + count).initialize(to: zmq_msg_t())
                zmq_msg_init(frames + count)
                count += 1
            }
            let frame = frames + received
            // Once the first frame is in, the rest of the message is already queued.
            let frameFlags = received == 0 ? flags : flags & ~ZMQ_DONTWAIT
            do {
                guard try valueOrWouldBlock({ zmq_msg_recv(frame, socket, frameFlags) }) != nil else {
                    // libzmq has already emptied the first frame: leave no stale frames behind.
                    truncate(to: 0)
                    return false
                }
            } catch {
                // Never hand out part of a message.
                truncate(to: 0)
                throw error
            }
            received += 1
            more = zmq_msg_more(frame) != 0
        }
        truncate(to: received)
        return true
    }
}
