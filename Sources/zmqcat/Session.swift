#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ExampleSupport
import ZeroMQ

/// The engine: one socket, sending and receiving at the same time in one thread.
///
/// A ``Poller`` waits on the socket, its monitor (handshakes, disconnections) and, with
/// `--stdin`, the standard-input descriptor, so nothing is polled in a busy loop and no thread
/// is needed per direction. Received frames go straight from one reused ``Message`` into the
/// ``OutputBuffer``, which is written out when it fills up and before each wait.
///
/// The per-type behaviour (see `Zmqcat`'s discussion) comes from a few switches on
/// ``Plan/type``; the frame operations come from ``CatKind``, so the loop is specialized for
/// each socket type.
struct Session<Kind: CatKind>: ~Copyable {
    let socket: Socket<Kind>
    private var monitor: SocketMonitor
    private let plan: Plan
    private var poller = Poller(capacity: 3)
    private let socketItem: Int
    private let monitorItem: Int
    private var standardInputItem: Int?

    // Receiving.
    private var message = Message()
    private var output = OutputBuffer()
    private var printer: MessagePrinter
    /// The index of the next frame within its message.
    private var frameIndex = 0
    /// Complete messages received (STREAM's connect and disconnect notices not counted).
    private var received = 0
    /// REP: the request being received, kept to echo it back.
    private var request = Multipart()
    /// STREAM: the routing id of the message being received.
    private var routingID: [UInt8] = []
    /// ROUTER replying: the routing id of the message being received.
    private var replyRoutingID: [UInt8] = []
    /// ROUTER replying: whether the message's second frame is empty, as a REQ peer's
    /// delimiter is, so that the reply has it too (a REQ peer drops a reply without it).
    private var hasRequestDelimiter = false
    /// STREAM: the peers connected now, by routing id.
    private var streamPeers: [[UInt8]] = []

    // Sending.
    /// Standard input, with --stdin.
    private var lines: LineReader?
    /// How many more times the --send message is to be sent on the engine's own initiative.
    private var remainingSends = 0
    /// The message to send next, frame by frame.
    private var outgoing: [[UInt8]]?
    /// Whether the last attempt to send `outgoing` would have blocked.
    private var sendBlocked = false
    /// When the next send may happen (--interval-ms, or a publisher's subscription delay).
    private var notBefore: ContinuousClock.Instant?
    /// REQ: whether a reply is awaited; REP with --stdin: whether a request awaits its reply.
    private var awaitingReply = false

    // Peers and time.
    /// Whether a peer has completed a handshake.
    private var peerConnected = false
    /// Connections open now, as the monitor reports them.
    private var openConnections = 0
    /// The last handshake failure that did not end the run.
    private var lastFailure: MonitorEvent.HandshakeFailure?
    /// When the silence that --timeout-ms measures began.
    private var waitingSince = ContinuousClock.now
    private let clock = ContinuousClock()

    /// Sets up the engine around a configured, attached socket.
    ///
    /// - Parameters:
    ///   - socket: The socket.
    ///   - monitor: Its monitor, started before the socket was attached, watching
    ///     ``Session/monitoredEvents``.
    ///   - plan: What to do.
    init(socket: consuming Socket<Kind>, monitor: consuming SocketMonitor, plan: Plan) {
        self.socket = socket
        self.monitor = monitor
        self.plan = plan
        printer = MessagePrinter(format: plan.format)
        socketItem = poller.add(self.socket, events: [])
        monitorItem = poller.add(self.monitor.socket, events: .readable)
        if plan.readsStandardInput {
            lines = LineReader()
            standardInputItem = poller.add(fileDescriptor: STDIN_FILENO, events: [])
        }
        if plan.sendsOnItsOwn { remainingSends = plan.count ?? 1 }
    }

    /// The monitor events the engine uses.
    static var monitoredEvents: MonitorEvents { [.handshakeSucceeded, .handshakeFailed, .disconnected] }

    /// Drops whatever is still queued when the socket closes (after a failure, or when
    /// nobody reads the output any more), so that the exit does not wait for it.
    func abandonQueuedMessages() {
        try? socket.setOption(.linger, .zero)
    }

    // MARK: - The loop

    /// Runs until the work is done (returns), a timeout or a refusal (throws a `DemoError`),
    /// or a signal (throws ``ZMQError/contextTerminated``).
    ///
    /// Whatever was received is written to standard output before it returns or throws.
    mutating func run() throws {
        do {
            try loop()
            try output.flush()
        } catch let error as OutputClosed {
            throw error
        } catch {
            try? output.flush()
            throw error
        }
    }

    private mutating func loop() throws {
        /// Sends since the last poll.
        var burst = 0
        while true {
            try prepareOutgoing()
            var sent = false
            if outgoing != nil && mayTrySending { sent = try sendOutgoing() }
            if isDone { break }

            var wait = try pollTimeout()
            if sent {
                // More may be ready to go at once. A type that only sends goes straight on
                // (a poll now and then picks up monitor events); one that also receives
                // looks for arrivals first, without waiting.
                burst += 1
                if !Kind.name.canReceive && burst < 1024 { continue }
                wait = .zero
            }
            burst = 0
            updatePollEvents()
            if wait != .zero { try output.flush() }
            let ready = try poller.poll(timeout: wait)
            if ready > 0 {
                if poller.isReadable(at: monitorItem) { try readMonitorEvents() }
                if let standardInputItem, !poller.events(at: standardInputItem).isEmpty {
                    try readStandardInput()
                }
                if poller.isReadable(at: socketItem) { try receiveAvailable() }
                if poller.isWritable(at: socketItem) { sendBlocked = false }
            }
        }
        if Kind.name.canSend && !Kind.name.canReceive && plan.usesIPC {
            try output.flush()
            try waitForDeliveryOverIPC()
        }
    }

    /// Reads standard input when its descriptor reported readiness (data, or a hang-up even
    /// while no line is wanted), and stops polling it at its end: a descriptor at its end
    /// stays "ready" for ever.
    private mutating func readStandardInput() throws {
        try lines?.fill()
        guard lines?.isAtEnd == true else { return }
        poller.removeAll()
        _ = poller.add(socket, events: [])
        _ = poller.add(monitor.socket, events: .readable)
        standardInputItem = nil
    }

    /// Whether everything is done: the messages asked for received, or nothing left to send
    /// and nothing more expected.
    private var isDone: Bool {
        if Kind.name == .rep && plan.readsStandardInput && outgoing == nil && !hasMoreToSend {
            // REP with --stdin ends with its input, even with a request left unanswered.
            return true
        }
        let sendingIsDone = outgoing == nil && !awaitingReply && !hasMoreToSend
        if let count = plan.count, Kind.name.canReceive, received >= count {
            switch Kind.name {
            // REQ counts its replies; REP its answered requests.
            case .req: return true
            case .rep: return !awaitingReply
            // The others also finish sending what they were given.
            default: if sendingIsDone { return true }
            }
        }
        guard sendingIsDone else { return false }
        return !plan.keepsReceivingAfterSending
    }

    /// REP with --stdin: a request was received and its reply line is still to come.
    private var awaitingReplyLine: Bool { Kind.name == .rep && plan.readsStandardInput && awaitingReply }

    /// Whether more messages are to come from --send or --stdin.
    private var hasMoreToSend: Bool {
        if remainingSends > 0 { return true }
        if let lines { return !lines.isExhausted }
        return false
    }

    /// Takes the next message to send from --send or --stdin, when its turn has come.
    private mutating func prepareOutgoing() throws {
        guard outgoing == nil else { return }
        switch Kind.name {
        case .req where awaitingReply: return
        case .rep where !awaitingReply: return
        default: break
        }
        if remainingSends > 0, let frames = plan.frames {
            outgoing = frames
            remainingSends -= 1
        } else if var reader = lines {
            let line = reader.nextLine()
            lines = reader
            if let line { outgoing = split(line) }
        }
    }

    /// A --stdin line as frames: split at each --delimiter, or whole.
    private func split(_ line: [UInt8]) -> [[UInt8]] {
        guard let delimiter = plan.delimiter, !delimiter.isEmpty else { return [line] }
        var frames: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + delimiter.count <= line.count {
            if line[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                frames.append(Array(line[start..<index]))
                index += delimiter.count
                start = index
            } else {
                index += 1
            }
        }
        frames.append(Array(line[start...]))
        return frames
    }

    /// Whether `outgoing` may be tried now: a peer is there if the type needs one, the
    /// interval has passed, and the socket did not just report it would block.
    private var mayTrySending: Bool {
        if sendBlocked { return false }
        if Kind.name.sendWaitsForPeer && !peerConnected { return false }
        if Kind.name == .stream && streamPeers.isEmpty { return false }
        if let notBefore, clock.now < notBefore { return false }
        return true
    }

    /// How long the next poll may wait: until the next send is due, or the timeout expires.
    ///
    /// - Throws: A `DemoError` when --timeout-ms has expired.
    private mutating func pollTimeout() throws -> Duration? {
        let now = clock.now
        var wait: Duration?
        if outgoing != nil, !sendBlocked, let notBefore, notBefore > now, peerReady {
            wait = now.duration(to: notBefore)
        }
        if let timeout = plan.timeout, timeoutApplies {
            let remaining = timeout - waitingSince.duration(to: now)
            guard remaining > .zero else { throw timeoutError() }
            wait = min(wait ?? remaining, remaining)
        }
        return wait
    }

    /// Whether the peer conditions of ``mayTrySending`` hold (the interval aside).
    private var peerReady: Bool {
        if Kind.name.sendWaitsForPeer && !peerConnected { return false }
        if Kind.name == .stream && streamPeers.isEmpty { return false }
        return true
    }

    /// Whether the engine is waiting for something --timeout-ms bounds: a message, a reply, a
    /// peer, or room to send. Not while it waits for the user to type a line.
    private var timeoutApplies: Bool {
        switch Kind.name {
        case .req: return awaitingReply || (outgoing != nil && sendBlocked)
        case .rep: return !awaitingReply
        default:
            if outgoing != nil { return !peerReady || sendBlocked }
            return Kind.name.canReceive
        }
    }

    private func timeoutError() -> DemoError {
        let milliseconds = plan.timeoutMilliseconds ?? 0
        let note = lastFailureNote
        switch Kind.name {
        case .req where awaitingReply:
            return DemoError("no reply within \(milliseconds) ms\(note)")
        case _ where outgoing != nil && !peerReady:
            return DemoError("no peer connected within \(milliseconds) ms\(note)")
        case _ where outgoing != nil:
            return DemoError("could not send within \(milliseconds) ms\(note)")
        default:
            return DemoError("nothing received within \(milliseconds) ms\(note)")
        }
    }

    /// What a timeout message adds when a handshake failed along the way.
    private var lastFailureNote: String { lastFailure?.timeoutNote ?? "" }

    private mutating func updatePollEvents() {
        var socketEvents: PollEvents = []
        if Kind.name.canReceive && !awaitingReplyLine { socketEvents.insert(.readable) }
        if outgoing != nil && sendBlocked { socketEvents.insert(.writable) }
        poller.setEvents(socketEvents, at: socketItem)
        if let standardInputItem {
            let wantsLine = outgoing == nil && !(lines?.isAtEnd ?? true)
                && (Kind.name != .req || !awaitingReply) && (Kind.name != .rep || awaitingReply)
            poller.setEvents(wantsLine ? .readable : [], at: standardInputItem)
        }
    }

    // MARK: - Sending

    /// Sends `outgoing`, or notes that the socket would block.
    ///
    /// - Returns: Whether it went (or was dropped with a warning), so the next may follow.
    private mutating func sendOutgoing() throws -> Bool {
        guard let frames = outgoing else { return false }
        switch Kind.name {
        case .stream:
            // Each frame goes to every connected peer, after the peer's routing id.
            for peer in streamPeers {
                for frame in frames {
                    _ = try sendFrame(peer, more: true, wait: true)
                    _ = try sendFrame(frame, more: false, wait: true)
                }
            }
        case .router:
            guard frames.count > 1 else {
                Console.error("zmqcat: a ROUTER line needs a routing id and a frame, separated by --delimiter; line dropped")
                break
            }
            do {
                guard try sendMessage(frames) else { return false }
            } catch ZMQError.hostUnreachable {
                Console.error("zmqcat: no peer with routing id \(String(decoding: frames[0], as: UTF8.self)); message dropped")
            }
        default:
            guard try sendMessage(frames) else { return false }
        }
        outgoing = nil
        waitingSince = clock.now
        if let interval = plan.interval { notBefore = clock.now + interval }
        switch Kind.name {
        case .req: awaitingReply = true
        case .rep: awaitingReply = false
        default: break
        }
        return true
    }

    /// Sends a multipart message: its first frame without waiting, so that a socket that
    /// can't take it leaves it for later; the others follow at once (libzmq takes a
    /// message's remaining frames once it took the first).
    ///
    /// - Returns: `false` when the first frame would block (``sendBlocked`` is then set).
    private mutating func sendMessage(_ frames: [[UInt8]]) throws -> Bool {
        for (index, frame) in frames.enumerated() {
            let isLast = index == frames.count - 1
            guard try sendFrame(frame, more: !isLast, wait: index > 0) else {
                sendBlocked = true
                return false
            }
        }
        return true
    }

    private func sendFrame(_ bytes: [UInt8], more: Bool, wait: Bool) throws -> Bool {
        var frame = try Message(copying: bytes)
        var flags: SendFlags = more ? .sendMore : []
        if !wait { flags.insert(.dontWait) }
        return try Kind.send(socket, &frame, flags)
    }

    // MARK: - Receiving

    /// Receives and prints every message available now, up to --count.
    private mutating func receiveAvailable() throws {
        while try Kind.receive(socket, into: &message, .dontWait) {
            let isLast = !message.hasMore
            try handleFrame(isLast: isLast)
            frameIndex = isLast ? 0 : frameIndex + 1
            if isLast {
                if let count = plan.count, received >= count { return }
                if awaitingReplyLine { return }
                if Kind.name == .req && !awaitingReply { return }
            }
        }
    }

    /// Prints a received frame (in `message`) and does what the type does with it.
    private mutating func handleFrame(isLast: Bool) throws {
        switch Kind.name {
        case .stream:
            try handleStreamFrame(isLast: isLast)
            return
        case .rep:
            try Self.print(message, isLast: isLast, &printer, &output)
            if plan.frames == nil {
                // Echo: keep the frame (its payload moves; nothing is copied).
                var frame = Message()
                frame.move(from: &message)
                request.append(frame)
            }
        case .router:
            if plan.frames != nil && !plan.readsStandardInput { keepEnvelope() }
            try Self.print(message, isLast: isLast, &printer, &output)
        default:
            try Self.print(message, isLast: isLast, &printer, &output)
        }
        guard isLast else { return }
        received += 1
        // Only --timeout-ms measures silence: spare the clock read per message otherwise.
        if plan.timeout != nil { waitingSince = clock.now }
        switch Kind.name {
        case .req:
            awaitingReply = false
        case .rep:
            try reply()
        case .router where plan.frames != nil && !plan.readsStandardInput:
            // Reply to the sender: its routing id (and a REQ peer's delimiter), then the
            // --send frames.
            var frames = hasRequestDelimiter ? [replyRoutingID, []] : [replyRoutingID]
            frames.append(contentsOf: plan.frames!)
            do {
                _ = try sendMessage(frames)
            } catch ZMQError.hostUnreachable {
                // The peer left meanwhile.
            }
            sendBlocked = false
        default:
            break
        }
    }

    /// ROUTER replying: notes the routing id, and whether a REQ delimiter follows it.
    private mutating func keepEnvelope() {
        if frameIndex == 0 {
            Self.copy(message, into: &replyRoutingID)
            hasRequestDelimiter = false
        } else if frameIndex == 1 {
            hasRequestDelimiter = message.isEmpty && message.hasMore
        }
    }

    /// REP: answers the request just received, with the --send frames or the request itself;
    /// with --stdin, the reply is the next line, sent by the loop.
    private mutating func reply() throws {
        if plan.readsStandardInput {
            awaitingReply = true
            return
        }
        if let frames = plan.frames {
            // A REP socket never blocks on a reply.
            _ = try sendMessage(frames)
            sendBlocked = false
            return
        }
        let count = request.count
        for index in 0..<count {
            guard var frame = request.popFirst() else { break }
            _ = try Kind.send(socket, &frame, index < count - 1 ? .sendMore : [])
        }
    }

    /// STREAM: a message is [routing id, data]; empty data announces a connection or a
    /// disconnection, which is tracked and not printed.
    private mutating func handleStreamFrame(isLast: Bool) throws {
        if frameIndex == 0 && !isLast {
            Self.copy(message, into: &routingID)
            return
        }
        if message.isEmpty {
            if let index = streamPeers.firstIndex(of: routingID) {
                streamPeers.remove(at: index)
            } else {
                streamPeers.append(routingID)
            }
            return
        }
        try routingID.withUnsafeBytes { try printer.print($0, isLast: false, to: &output) }
        try message.withUnsafeBytes { try printer.print($0, isLast: isLast, to: &output) }
        if isLast {
            received += 1
            waitingSince = clock.now
        }
    }

    @inline(__always)
    private static func print(
        _ message: borrowing Message, isLast: Bool, _ printer: inout MessagePrinter, _ output: inout OutputBuffer
    ) throws {
        try message.withUnsafeBytes { try printer.print($0, isLast: isLast, to: &output) }
    }

    /// Copies a frame into a reused array (a routing id).
    private static func copy(_ message: borrowing Message, into bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        message.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    // MARK: - Monitor

    /// Reads the monitor's events: peers connecting and leaving, and handshake failures; a
    /// client the server refuses stops at once.
    private mutating func readMonitorEvents() throws {
        while let event = try monitor.receiveEvent(.dontWait) {
            switch event.kind {
            case .handshakeSucceeded:
                openConnections += 1
                if !peerConnected {
                    peerConnected = true
                    if Kind.name.sendWaitsForSubscriptions {
                        let ready = clock.now + Plan.subscriptionDelay
                        notBefore = max(notBefore ?? ready, ready)
                    }
                }
            case .disconnected:
                openConnections = max(0, openConnections - 1)
            case .handshakeFailed(let failure):
                // A server's refusals are its authenticator's decisions, logged as such.
                guard plan.isClient else { break }
                if let refusal = failure.clientRefusal { throw refusal }
                lastFailure = failure
            case .monitorStopped:
                if socket.context.isShutDown { throw ZMQError.contextTerminated }
            default:
                break
            }
        }
    }

    /// Over ipc://, waits until the peers hang up, at most ``Plan/ipcDeliveryCap``.
    ///
    /// A sender that closes right after its last send can lose the tail of the stream over
    /// ipc:// even with linger (libzmq issue 4660), so a PUB or PUSH keeps its socket open
    /// until the receivers have disconnected (a `zmqcat pull --count N`, say), or a moment.
    private mutating func waitForDeliveryOverIPC() throws {
        let deadline = clock.now + Plan.ipcDeliveryCap
        poller.setEvents([], at: socketItem)
        while openConnections > 0 {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return }
            if try poller.poll(timeout: remaining) > 0, poller.isReadable(at: monitorItem) {
                try readMonitorEvents()
            }
        }
    }
}
