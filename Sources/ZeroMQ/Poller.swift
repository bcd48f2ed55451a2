internal import CZeroMQ

/// The readiness conditions a poller can wait for and report.
///
/// The corresponding C flags are `ZMQ_POLLIN`, `ZMQ_POLLOUT`, `ZMQ_POLLERR` and `ZMQ_POLLPRI`.
public struct PollEvents: OptionSet, Hashable, Sendable {
    /// The libzmq flag bits.
    public let rawValue: Int16

    /// Creates events from libzmq's flag bits.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A message can be received (or a file descriptor read) without blocking.
    public static var readable: PollEvents { PollEvents(rawValue: Int16(ZMQ_POLLIN)) }
    /// A message can be sent (or a file descriptor written) without blocking.
    public static var writable: PollEvents { PollEvents(rawValue: Int16(ZMQ_POLLOUT)) }
    /// An error condition on a plain file descriptor (never reported for sockets).
    public static var error: PollEvents { PollEvents(rawValue: Int16(ZMQ_POLLERR)) }
    /// Urgent data on a plain file descriptor (never reported for sockets).
    public static var priority: PollEvents { PollEvents(rawValue: Int16(ZMQ_POLLPRI)) }
}

extension PollEvents: CustomStringConvertible {
    /// The members' names as an option-set literal, such as `[.readable, .writable]`, with
    /// unnamed bits in hexadecimal (`[.readable, 0x40]`).
    public var description: String {
        describeOptionSet(UInt64(UInt16(bitPattern: rawValue)), names: [
            (UInt64(ZMQ_POLLIN), "readable"),
            (UInt64(ZMQ_POLLOUT), "writable"),
            (UInt64(ZMQ_POLLERR), "error"),
            (UInt64(ZMQ_POLLPRI), "priority"),
        ])
    }
}

/// Waits until any of several sockets or file descriptors is ready.
///
/// Add items once, then call ``poll(timeout:)`` in a loop and check each item with
/// ``events(at:)``; the poller keeps its items in one C array, so polling allocates nothing.
///
/// ```swift
/// var poller = Poller()
/// let tasks = poller.add(receiver, events: .readable)
/// let control = poller.add(controller, events: .readable)
/// var running = true
/// while running {
///     // 0 ready items means the timeout expired with nothing to do.
///     guard try poller.poll(timeout: .seconds(1)) > 0 else { continue }
///     if poller.isReadable(at: tasks) { … }
///     if poller.isReadable(at: control) { running = false }
/// }
/// ```
///
/// A poller keeps every socket added to it open until the poller is released or emptied with
/// ``removeAll()``, even if the socket's owner closes it meanwhile; so polling can never reach
/// a freed socket. Build a new poller (or ``removeAll()``) when the set of sockets changes.
///
/// A poller is not thread safe, and neither are the sockets it polls.
///
/// The corresponding C function is `zmq_poll`.
public struct Poller: ~Copyable {
    private var items: UnsafeMutablePointer<zmq_pollitem_t>
    private var capacity: Int
    /// The owners of the polled sockets, kept so that none is closed while it is polled.
    private var owners: [SocketOwner] = []
    /// The number of items added.
    public private(set) var count = 0

    /// Creates an empty poller with room for `capacity` items before it grows.
    ///
    /// - Parameter capacity: The number of items to reserve room for.
    public init(capacity: Int = 8) {
        self.capacity = max(capacity, 1)
        items = .allocate(capacity: self.capacity)
    }

    deinit {
        items.deallocate()
    }

    /// Adds a socket to poll.
    ///
    /// - Parameters:
    ///   - socket: The socket; the poller keeps it open until it is released or emptied.
    ///   - events: What to wait for: ``PollEvents/readable``, ``PollEvents/writable``, or both.
    /// - Returns: The item's index, for ``events(at:)``.
    @discardableResult
    public mutating func add<Kind>(_ socket: borrowing Socket<Kind>, events: PollEvents = .readable) -> Int {
        owners.append(socket.owner)
        return append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0))
    }

    /// Adds a plain file descriptor to poll, such as a pipe or a non-ZeroMQ socket.
    ///
    /// - Parameters:
    ///   - fileDescriptor: The descriptor; it must stay open while the poller is used.
    ///   - events: What to wait for.
    /// - Returns: The item's index, for ``events(at:)``.
    @discardableResult
    public mutating func add(fileDescriptor: Int32, events: PollEvents = .readable) -> Int {
        append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
    }

    /// Changes what an item waits for.
    ///
    /// - Parameters:
    ///   - events: The new conditions; empty to ignore the item for now.
    ///   - index: The item's index, as `add` returned it.
    public mutating func setEvents(_ events: PollEvents, at index: Int) {
        precondition(index >= 0 && index < count, "Poller item index out of range")
        items[index].events = events.rawValue
    }

    /// Removes every item, keeping the storage for reuse, and lets go of the polled sockets.
    public mutating func removeAll() {
        count = 0
        owners.removeAll(keepingCapacity: true)
    }

    /// Waits until at least one item is ready or the timeout expires.
    ///
    /// - Parameter timeout: The longest wait; `nil` waits for ever, `.zero` returns at once.
    /// - Returns: The number of ready items (0 when the timeout expired).
    /// - Throws: ``ZMQError/contextTerminated`` when a polled socket's context is shut down;
    ///   ``ZMQError/invalidArgument`` for a poller with no items and no timeout, which would
    ///   wait for ever.
    ///
    /// The corresponding C function is `zmq_poll`; an interrupted wait is resumed for the time
    /// that remains.
    @discardableResult
    public mutating func poll(timeout: Duration? = nil) throws(ZMQError) -> Int {
        // libzmq would sleep about 71 minutes for "no items, no timeout" (usleep(-1000)).
        guard count > 0 || timeout != nil else { throw .invalidArgument }
        let clock = ContinuousClock()
        // Clamp absurd timeouts (about 35,000 years) so the deadline arithmetic cannot overflow.
        let deadline = timeout.map { clock.now + min($0, .seconds(Int64(1) << 40)) }
        let items = self.items, count = CInt(self.count)
        while true {
            var milliseconds: Int = -1
            if let deadline {
                let remaining = clock.now.duration(to: deadline)
                // Rounded up, as options are, so that a sub-millisecond remainder waits
                // instead of spinning.
                milliseconds = remaining <= .zero ? 0 : Int(clamping: remaining.roundedUpMilliseconds)
            }
            do {
                return Int(try valueOrError(retryOnInterrupt: false) { zmq_poll(items, count, milliseconds) })
            } catch .interrupted {
                continue
            }
        }
    }

    /// What is ready on an item after the last ``poll(timeout:)``.
    ///
    /// - Parameter index: The item's index, as `add` returned it.
    /// - Returns: The ready conditions; empty when the item is not ready.
    public func events(at index: Int) -> PollEvents {
        precondition(index >= 0 && index < count, "Poller item index out of range")
        return PollEvents(rawValue: items[index].revents)
    }

    /// Whether an item can be read without blocking, after the last ``poll(timeout:)``.
    public func isReadable(at index: Int) -> Bool { events(at: index).contains(.readable) }

    /// Whether an item can be written without blocking, after the last ``poll(timeout:)``.
    public func isWritable(at index: Int) -> Bool { events(at: index).contains(.writable) }

    private mutating func append(_ item: zmq_pollitem_t) -> Int {
        if count == capacity {
            let newCapacity = capacity * 2
            let newItems = UnsafeMutablePointer<zmq_pollitem_t>.allocate(capacity: newCapacity)
            newItems.moveInitialize(from: items, count: count)
            items.deallocate()
            items = newItems
            capacity = newCapacity
        }
        (items + count).initialize(to: item)
        count += 1
        return count - 1
    }
}
