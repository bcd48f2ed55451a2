import Testing
import ZeroMQ

/// How durations reach libzmq: rounded up to whole milliseconds, so a positive duration never
/// becomes "don't wait", with the same rule for options, the default linger and `Poller`.
@Suite("Durations")
struct DurationTests {
    @Test("A sub-millisecond option rounds up to 1 ms, not down to \"don't wait\"")
    func subMillisecondRoundsUp() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try socket.setOption(.receiveTimeout, .microseconds(500))
        let timeout = try socket.option(.receiveTimeout)
        #expect(timeout == .milliseconds(1))
        try socket.setOption(.linger, .nanoseconds(1))
        let linger = try socket.option(.linger)
        #expect(linger == .milliseconds(1))
        // Zero stays zero: it is a choice, not a rounding accident.
        try socket.setOption(.linger, .zero)
        let zero = try socket.option(.linger)
        #expect(zero == .zero)
    }

    @Test("A fractional millisecond rounds up: 1.9 ms waits 2 ms")
    func fractionRoundsUp() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try socket.setOption(.sendTimeout, .microseconds(1900))
        let sendTimeout = try socket.option(.sendTimeout)
        #expect(sendTimeout == .milliseconds(2))
        try socket.setOption(.reconnectIntervalMax, .microseconds(1001))
        let reconnect = try socket.option(.reconnectIntervalMax)
        #expect(reconnect == .milliseconds(2))
        // Options held in seconds round up to whole seconds, and the heartbeat TTL to tenths.
        try socket.setOption(.tcpKeepaliveIdle, .milliseconds(500))
        let idle = try socket.option(.tcpKeepaliveIdle)
        #expect(idle == .seconds(1))
        try socket.setOption(.heartbeatTimeToLive, .milliseconds(50))
        let ttl = try socket.option(.heartbeatTimeToLive)
        #expect(ttl == .milliseconds(100))
    }

    @Test("A receive with a 500 µs timeout waits instead of returning at once")
    func subMillisecondReceiveWaits() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        try socket.bind(to: Transport.inproc.bindEndpoint())
        try socket.setOption(.receiveTimeout, .microseconds(500))
        let clock = ContinuousClock()
        let start = clock.now
        let text = try socket.receiveString()
        let elapsed = start.duration(to: clock.now)
        #expect(text == nil)
        // A wait can't end before its timeout; rounded down to zero it ended in ~0.2 ms.
        #expect(elapsed >= .microseconds(900), "returned after \(elapsed)")
    }

    @Test("Options and Poller.poll round the same way")
    func pollerAgrees() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Pull.self, context: context)
        try socket.bind(to: Transport.inproc.bindEndpoint())
        var poller = Poller()
        poller.add(socket, events: .readable)
        let clock = ContinuousClock()
        let start = clock.now
        let ready = try poller.poll(timeout: .microseconds(500))
        let elapsed = start.duration(to: clock.now)
        #expect(ready == 0)
        #expect(elapsed >= .microseconds(900), "returned after \(elapsed)")
    }

    @Test("The longest duration is Int32.max ms; a longer one names the option and the limit")
    func longestDuration() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        try socket.setOption(.receiveTimeout, .milliseconds(Int32.max))
        let longest = try socket.option(.receiveTimeout)
        #expect(longest == .milliseconds(Int32.max))
        do {
            try socket.setOption(.receiveTimeout, .milliseconds(Int64(Int32.max) + 1))
            Issue.record("a timeout longer than libzmq holds was accepted")
        } catch {
            #expect(error == .invalidArgument)
            #expect(error.option == "receiveTimeout")
            #expect(error.description.contains("2147483647 ms"), "\(error)")
        }
        // Still unchanged.
        let after = try socket.option(.receiveTimeout)
        #expect(after == .milliseconds(Int32.max))
    }

    @Test("A context's default linger rounds up too, and an impossible one is refused")
    func defaultLinger() throws {
        let context = try Context(defaultLinger: .microseconds(10))
        let socket = try Socket<SocketType.Push>(context: context)
        let linger = try socket.option(.linger)
        #expect(linger == .milliseconds(1))
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(defaultLinger: .seconds(-1)) }
        #expect(throws: ZMQError.invalidArgument) { _ = try Context(defaultLinger: .seconds(Int64(Int32.max))) }
    }

    @Test("close(linger:) reports an invalid linger, and still closes the socket")
    func closeReportsInvalidLinger() throws {
        let context = try Context()
        let socket = try Socket<SocketType.Pull>(context: context)
        let endpoint = Transport.inproc.bindEndpoint()
        try socket.bind(to: endpoint)
        do {
            try socket.close(linger: .seconds(-1))
            Issue.record("a negative linger was silently ignored")
        } catch {
            #expect(error == .invalidArgument)
            #expect(error.option == "linger")
        }
        // The socket is closed: its inproc name is free again.
        let again = try Socket<SocketType.Pull>(context: context)
        try bindEventually(again, to: endpoint)
    }

    @Test("No duration traps: every duration option refuses the extremes with an error")
    func extremesAreRefusedNotTrapped() throws {
        let context = try Context()
        let socket = try makeSocket(SocketType.Dealer.self, context: context)
        let extremes: [Duration] = [.seconds(Int64.max), .seconds(Int64.min), .nanoseconds(-1), .milliseconds(Int64(Int32.max) + 1)]
        let durations: [SocketOption<Duration>] = [
            .reconnectIntervalMax, .handshakeInterval, .connectTimeout, .heartbeatInterval,
            .heartbeatTimeToLive, .tcpMaxRetransmitTimeout,
        ]
        let optionalDurations: [SocketOption<Duration?>] = [
            .linger, .sendTimeout, .receiveTimeout, .reconnectInterval, .heartbeatTimeout,
            .tcpKeepaliveIdle, .tcpKeepaliveInterval,
        ]
        for extreme in extremes {
            for option in durations {
                let error = try #require(throws: ZMQError.self, "\(option) \(extreme)") { try socket.setOption(option, extreme) }
                #expect(error == .invalidArgument)
                #expect(error.option == option.name)
            }
            for option in optionalDurations {
                let error = try #require(throws: ZMQError.self, "\(option) \(extreme)") { try socket.setOption(option, extreme) }
                #expect(error == .invalidArgument)
                #expect(error.option == option.name)
            }
        }
    }
}
