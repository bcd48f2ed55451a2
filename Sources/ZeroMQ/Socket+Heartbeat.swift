// ZMTP 3.1 heartbeats in one call: the interval, the timeout and the time-to-live set
// together, checked together, with libzmq 4.3's limits spelled out.

/// The longest heartbeat time-to-live a libzmq 4.3 peer honours.
///
/// The time-to-live travels in each PING as a 16-bit count of tenths of a second, but the
/// receiving libzmq (4.3.4 and 4.3.5, `zmtp_engine_t::process_heartbeat_message`) multiplies
/// it by 100 into a 16-bit count of milliseconds, so a value above 65.5 seconds wraps around:
/// 65.6 seconds arrives as 64 ms, and the peer drops a healthy connection between two PINGs.
internal let heartbeatTimeToLiveLimit: Duration = .milliseconds(65_500)

extension Socket {
    /// Turns on ZMTP heartbeats for the connections this socket makes from now on, so that a
    /// peer that falls silent (a stopped process, a dead link, a relay that stops forwarding
    /// without closing) is noticed and dropped.
    ///
    /// Every `interval`, the socket sends a PING command on each connection, and the peer
    /// answers with a PONG. When no traffic at all arrives within `timeout` of a PING, the
    /// socket drops the connection: a monitor reports
    /// ``MonitorEvent/Kind/disconnected(fileDescriptor:)``, a connecting socket reconnects, and
    /// a ROUTER forgets the peer. A silent peer is therefore noticed at most
    /// `interval + timeout` after the last traffic from it.
    ///
    /// Each PING also carries `timeToLive`, which asks the peer to drop the connection when it
    /// hears nothing from this socket for that long; a libzmq peer honours it without any
    /// heartbeat options of its own, and it reaches the peer in tenths of a second, rounded up.
    ///
    /// ```swift
    /// let server = try RouterSocket(context: context)
    /// try server.setHeartbeat(interval: .seconds(1), timeout: .seconds(3))
    /// var monitor = try server.monitor(events: [.disconnected])
    /// try server.bind(to: "tcp://*:5555")     // dead clients show up as "disconnected"
    /// ```
    ///
    /// Call it before ``bind(to:)`` or ``connect(to:)``: libzmq copies a socket's options into
    /// an endpoint when the endpoint is bound or connected. Heartbeats start once a
    /// connection's handshake is done (``SocketOption/handshakeInterval`` bounds the
    /// handshake). The three values are checked before any is set, so a refused call changes
    /// nothing.
    ///
    /// - Parameters:
    ///   - interval: How often to send a PING on each connection; `.zero` sends none (and so
    ///     also never times out or passes on a time-to-live).
    ///   - timeout: How long to wait for traffic after a PING before dropping the connection;
    ///     `nil` (the default) waits `interval`, as libzmq does, and `.zero` never drops the
    ///     connection itself (the PINGs then only carry `timeToLive` to the peer).
    ///   - timeToLive: How long the peer may go without hearing from this socket before it
    ///     drops the connection, at most 65.5 seconds; `nil` (the default) asks for no limit.
    /// - Throws: ``ZMQError/invalidArgument`` for a negative duration, an `interval` or
    ///   `timeout` longer than libzmq holds (about 24.8 days), or a `timeToLive` above 65.5
    ///   seconds (libzmq 4.3 peers would wrap it around to a few milliseconds and drop healthy
    ///   connections); ``ZMQError/contextTerminated``. The error names the option.
    ///
    /// The corresponding C options are `ZMQ_HEARTBEAT_IVL`, `ZMQ_HEARTBEAT_TIMEOUT` and
    /// `ZMQ_HEARTBEAT_TTL`.
    public func setHeartbeat(
        interval: Duration,
        timeout: Duration? = nil,
        timeToLive: Duration? = nil
    ) throws(ZMQError) {
        let timeout = timeout ?? interval
        let timeToLive = timeToLive ?? .zero
        // Check everything first, so that a refused value leaves the socket as it was.
        try Self.checkHeartbeatDuration(interval, .heartbeatInterval)
        try Self.checkHeartbeatDuration(timeout, .heartbeatTimeout)
        if timeToLive < .zero || timeToLive > heartbeatTimeToLiveLimit {
            let reason = timeToLive < .zero
                ? "must not be negative"
                : "must be at most 65.5 seconds: libzmq 4.3 peers keep it in 16-bit milliseconds and "
                    + "wrap a longer one around (65.6 seconds becomes 64 ms), dropping healthy connections"
            throw ZMQError(.invalidArgument, reason: reason).adding(
                action: .setOption,
                option: SocketOption<Duration>.heartbeatTimeToLive.errorName,
                value: "\(timeToLive)")
        }
        try setOption(.heartbeatInterval, interval)
        try setOption(.heartbeatTimeout, timeout)
        try setOption(.heartbeatTimeToLive, timeToLive)
    }

    /// Throws the error setting `option` to `value` would throw, without setting it.
    private static func checkHeartbeatDuration<Value>(
        _ value: Duration,
        _ option: SocketOption<Value>
    ) throws(ZMQError) {
        do {
            _ = try millisecondsValue(value)
        } catch {
            throw error.adding(action: .setOption, option: option.errorName, value: "\(value)")
        }
    }
}
