internal import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The reading end of a socket monitor, connected before monitoring starts, so that it
/// cannot miss an event or make libzmq wait.
///
/// Get one from ``Socket/monitor(events:)`` and read typed events with ``receiveEvent(_:)``:
///
/// ```swift
/// let server = try RouterSocket(context: context)
/// var monitor = try server.monitor(events: [.accepted, .disconnected])
/// try server.bind(to: "tcp://127.0.0.1:5555")
/// while let event = try monitor.receiveEvent() {
///     print(event)                // "accepted tcp://127.0.0.1:5555 (fd 14, peer 127.0.0.1:50344)"
///     if case .monitorStopped = event.kind { break }
/// }
/// ```
///
/// The monitor owns a ``PairSocket`` connected to a fresh `inproc://` endpoint that libzmq
/// publishes the events on. It is set up so that libzmq never blocks on it: it is connected
/// before libzmq starts to publish (libzmq otherwise blocks the thread that reports an event
/// until a reader connects), and it queues events without limit, so a reader that falls
/// behind costs memory instead of stalling libzmq's I/O thread. Expose it to a ``Poller`` or
/// set options such as ``SocketOption/receiveTimeout`` through ``socket``; read events only
/// through ``receiveEvent(_:)``, which keeps the bookkeeping for peer addresses.
///
/// **The end of monitoring.** ``MonitorEvent/Kind/monitorStopped`` is always the last event,
/// whether or not ``events`` asks for it: it arrives when the monitored socket stops monitoring
/// (``Socket/stopMonitor()``), starts another monitor, or is closed, and the monitor reports
/// it itself when the context is shut down. Afterwards ``isStopped`` is `true` and
/// ``receiveEvent(_:)`` returns `nil` at once. A reader blocked in ``receiveEvent(_:)`` is
/// therefore always woken when monitoring ends.
///
/// **Peer addresses.** For TCP connections, the events carry the peer's `host:port`
/// (``MonitorEvent/peerAddress``): read from the descriptor when ``MonitorEvent/Kind/connected(fileDescriptor:)``
/// or ``MonitorEvent/Kind/accepted(fileDescriptor:)`` is received, then remembered for the
/// connection's ``MonitorEvent/Kind/disconnected(fileDescriptor:)``, and lent to handshake
/// events when the endpoint has just that one connection open. The monitor asks libzmq for
/// the connection events it needs for this even when ``events`` leaves them out, and does not
/// deliver those. The address is read when the event is received, so read events promptly:
/// if the connection has already been closed, the address of an accepted connection is
/// unknown (`nil`); the monitor checks that the descriptor still belongs to the event's
/// endpoint, but cannot tell apart two connections accepted in turn on the same descriptor
/// number of the same listener.
///
/// **Dropping a monitor** while the socket is still monitored does not block libzmq either:
/// libzmq would block its I/O thread on the first event it could not deliver to a closed
/// reader, so the monitor's socket is handed to a background thread that reads and discards
/// events until monitoring stops (the socket is closed or stops monitoring, or the context is
/// shut down), then closes it. To release that thread early, call ``Socket/stopMonitor()``
/// before dropping the monitor. While a ``Poller`` still holds the monitor's socket, the
/// thread waits for the poller to let go before it reads (so that two threads never use the
/// socket), and libzmq may block meanwhile; stop monitoring first in that case.
///
/// A monitor is not thread safe; it has one owner at a time, like a socket, and may be moved
/// to another thread or task.
///
/// The corresponding C function is `zmq_socket_monitor`.
public struct SocketMonitor: ~Copyable {
    /// The socket the events arrive on, for polling and options. Read events with
    /// ``receiveEvent(_:)`` rather than from this socket, so that none is lost to the
    /// monitor's bookkeeping.
    public let socket: PairSocket

    /// The events this monitor delivers, as requested; ``MonitorEvents/monitorStopped`` is
    /// always delivered too.
    public let events: MonitorEvents

    /// The `inproc://` endpoint libzmq publishes the events on.
    public let endpoint: String

    /// Whether ``MonitorEvent/Kind/monitorStopped`` has been delivered: no event follows.
    public private(set) var isStopped = false

    /// The two frames of an event, reused.
    private var frames = Multipart(capacity: 2)
    private var peers = PeerTracker()

    /// The events the monitor always asks libzmq for, to track peer addresses and the end.
    private static var trackedEvents: MonitorEvents {
        [.connected, .accepted, .disconnected, .closed, .monitorStopped]
    }

    /// Starts monitoring the libzmq socket `target` with a reader already connected.
    internal init(monitoring address: UInt, context: Context, events: MonitorEvents) throws(ZMQError) {
        let target = UnsafeMutableRawPointer(bitPattern: address)!
        let requested = events.union(Self.trackedEvents)
        while true {
            let endpoint = "inproc://zeromq-swift-monitor-\(monitorNumbers.add(1, ordering: .relaxed).newValue)"
            let reader = try PairSocket(context: context)
            // 0 is "no limit": libzmq blocks when a reader's queue is full.
            try reader.setOption(.receiveHighWaterMark, 0)
            try reader.setOption(.linger, .zero)
            // inproc allows connecting before the bind: the reader is attached the moment
            // libzmq binds its end, before any event can be published.
            try reader.connect(to: endpoint)
            do {
                _ = try withEndpoint(endpoint, .monitor) { zmq_socket_monitor(target, $0, CInt(requested.rawValue)) }
            } catch .addressInUse {
                // Someone else bound this name in the context; try the next one.
                continue
            }
            self.socket = reader
            self.events = events
            self.endpoint = endpoint
            return
        }
    }

    /// Receives the next event.
    ///
    /// Events the monitor only tracks for its bookkeeping (connection events ``events``
    /// leaves out) are consumed without being returned; with ``ReceiveFlags/dontWait`` the
    /// call then returns `nil` if nothing else is ready, and when blocking, the socket's
    /// ``SocketOption/receiveTimeout`` applies to each event libzmq sends.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when no event is ready.
    /// - Returns: The event, or `nil` when none was ready (with ``ReceiveFlags/dontWait``, or
    ///   when the socket's ``SocketOption/receiveTimeout`` expired) or monitoring has stopped
    ///   (``isStopped``). A shut-down context ends monitoring: the call then returns a final
    ///   ``MonitorEvent/Kind/monitorStopped`` instead of throwing.
    /// - Throws: ``ZMQError/invalidArgument`` when the message received is not a monitor
    ///   event (it is consumed; the next call goes on with the next event). A wait
    ///   interrupted by a signal is resumed, and a shut-down context is not an error here.
    ///
    /// The corresponding C function is `zmq_msg_recv`, once per frame.
    public mutating func receiveEvent(_ flags: ReceiveFlags = []) throws(ZMQError) -> MonitorEvent? {
        let handle = socket.handle
        while !isStopped {
            let received: Bool
            do {
                received = try frames.receive(on: handle, flags: flags.rawValue)
            } catch .contextTerminated {
                // libzmq stops every monitor of a shut-down context, but this socket can no
                // longer receive the event that says so.
                return finish(MonitorEvent(kind: .monitorStopped, endpoint: ""))
            }
            guard received else { return nil }
            let event = try MonitorEvent(decodingFrames: frames, peers: &peers)
            if case .monitorStopped = event.kind { return finish(event) }
            if events.contains(event.kind.flag) { return event }
        }
        return nil
    }

    private mutating func finish(_ event: MonitorEvent) -> MonitorEvent {
        isStopped = true
        _ = peers.event(.monitorStopped, endpoint: "")
        return event
    }

    deinit {
        guard !isStopped else { return }
        // The end may already be queued (the monitored socket was closed first).
        if RawMonitorEvent.discardUntilEnd(on: socket.handle, flags: ZMQ_DONTWAIT) { return }
        guard !socket.context.isShutDown else { return }
        // Monitoring goes on: closing the reader now would make libzmq block on the next
        // event. Keep reading on a thread of its own until the end.
        nonisolated(unsafe) let owner = socket.owner
        MonitorDrain.start(owner)
    }
}

/// Numbers the monitors' `inproc://` endpoints.
private let monitorNumbers = Atomic<Int>(0)

/// One event as libzmq's version 1 format carries it: frame 1 holds the 16-bit event number
/// and a 32-bit value, frame 2 the endpoint.
internal struct RawMonitorEvent {
    var event: UInt16
    var value: UInt32
    var endpoint: String

    var isMonitorStopped: Bool { CInt(event) == ZMQ_EVENT_MONITOR_STOPPED }

    /// Receives and discards events until monitoring ends.
    ///
    /// - Returns: `true` once monitoring has ended (the last event came, or the context is
    ///   shut down, after which libzmq sends, and blocks on, nothing more); `false` when no
    ///   event is ready (with `ZMQ_DONTWAIT`, or when the receive timeout expired).
    static func discardUntilEnd(on socket: UnsafeMutableRawPointer, flags: CInt) -> Bool {
        var frames = Multipart(capacity: 2)
        while true {
            do {
                guard let raw = try receive(on: socket, into: &frames, flags: flags) else { return false }
                if raw.isMonitorStopped { return true }
            } catch .invalidArgument {
                continue
            } catch {
                return true
            }
        }
    }

    /// Receives one event, or `nil` when none is ready.
    ///
    /// - Throws: ``ZMQError/invalidArgument`` when the message is not an event (it is
    ///   consumed), and the errors of receiving.
    static func receive(
        on socket: UnsafeMutableRawPointer,
        into frames: inout Multipart,
        flags: CInt
    ) throws(ZMQError) -> RawMonitorEvent? {
        guard try frames.receive(on: socket, flags: flags) else { return nil }
        return try RawMonitorEvent(decodingFrames: frames)
    }
}

extension RawMonitorEvent {
    /// Decodes an event from the two frames libzmq sends: the 16-bit event number and the
    /// 32-bit value, in the machine's byte order, then the endpoint (UTF-8; invalid
    /// sequences become U+FFFD).
    ///
    /// - Throws: ``ZMQError/invalidArgument`` when the frames are not a monitor event (not two
    ///   frames, or a first frame of other than 6 bytes).
    init(decodingFrames frames: borrowing Multipart) throws(ZMQError) {
        guard frames.count == 2, frames.size(at: 0) == 6 else { throw .invalidArgument }
        let (event, value) = frames.withUnsafeBytes(at: 0) { bytes in
            (bytes.loadUnaligned(as: UInt16.self), bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        self.init(event: event, value: value, endpoint: frames.string(at: 1))
    }
}

extension MonitorEvent {
    /// Decodes one event as libzmq sends it (see `RawMonitorEvent(decodingFrames:)`), with
    /// the peer's address that `peers` reads or remembers for its connection.
    ///
    /// ``SocketMonitor/receiveEvent(_:)`` decodes every event with it; the fuzz target
    /// `Fuzz/Sources/monitor-event.swift` feeds it arbitrary frames.
    ///
    /// - Throws: ``ZMQError/invalidArgument`` when the frames are not a monitor event.
    internal init(decodingFrames frames: borrowing Multipart, peers: inout PeerTracker) throws(ZMQError) {
        let raw = try RawMonitorEvent(decodingFrames: frames)
        self = peers.event(Kind(event: raw.event, value: raw.value), endpoint: raw.endpoint)
    }
}

/// Reads and discards a dropped monitor's events on a thread of its own until monitoring
/// stops, so that libzmq never blocks on a reader that is gone.
private enum MonitorDrain {
    /// Hands the socket to the draining thread.
    private final class Handoff: Sendable {
        let owner: Mutex<SocketOwner?>
        init(_ owner: sending SocketOwner) { self.owner = Mutex(owner) }
    }

    /// Starts draining; the socket closes when the draining ends. If no thread can be
    /// started, the socket closes at once.
    static func start(_ owner: sending SocketOwner) {
        let handoff = Handoff(owner)
        _ = try? SocketThread<Void, Never>(name: "zmq-monitor-drain") {
            guard var owner = handoff.owner.withLock({ $0.take() }) else { return }
            // The monitor lets go of its reference as its deinit ends; until then, and while
            // a Poller still holds the socket and may poll it, leave the socket alone rather
            // than use it from two threads. Wait as long as that takes, backing off to 50 ms
            // between looks; a shut-down context ends monitoring, and the wait.
            var pause: UInt32 = 100
            while !isKnownUniquelyReferenced(&owner) {
                if owner.context.isShutDown { return }
                usleep(pause)
                pause = min(pause * 2, 50_000)
            }
            drain(owner.handle)
        }
    }

    private static func drain(_ socket: UnsafeMutableRawPointer) {
        // Wait for ever between events: the end is certain to come, or the context to shut down.
        var forever: CInt = -1
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &forever, MemoryLayout<CInt>.size)
        while !RawMonitorEvent.discardUntilEnd(on: socket, flags: 0) {}
    }
}
