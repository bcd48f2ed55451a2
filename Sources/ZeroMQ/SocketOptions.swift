internal import CZeroMQ

// The option catalogue. Options that belong to one socket type (subscribe, router mandatory,
// REQ correlation, XPUB verbosity, …) are methods on that type's socket instead; see
// `Socket+TypeSpecific.swift`. Each option names its wire format (`Internals/OptionFormat.swift`).
// Durations are rounded up to whole milliseconds (see `SocketOption`).

// MARK: - Durations that may be "for ever"

extension SocketOption where Value == Duration? {
    /// How long a closed socket keeps trying to deliver queued messages; `nil` waits for ever,
    /// `.zero` drops them at once. New sockets start with their context's
    /// ``Context/defaultLinger``. The C option is `ZMQ_LINGER`.
    public static var linger: Self { Self(ZMQ_LINGER, "linger", "ZMQ_LINGER", .optionalMilliseconds) }

    /// How long a blocking send waits before returning `false`; `nil` waits for ever (the
    /// default). The C option is `ZMQ_SNDTIMEO`.
    public static var sendTimeout: Self { Self(ZMQ_SNDTIMEO, "sendTimeout", "ZMQ_SNDTIMEO", .optionalMilliseconds) }

    /// How long a blocking receive waits before returning `false` or `nil`; `nil` waits for
    /// ever (the default). The C option is `ZMQ_RCVTIMEO`.
    public static var receiveTimeout: Self { Self(ZMQ_RCVTIMEO, "receiveTimeout", "ZMQ_RCVTIMEO", .optionalMilliseconds) }

    /// The initial wait before reconnecting a dropped connection (100 ms by default); `nil`
    /// disables reconnection. The C option is `ZMQ_RECONNECT_IVL`.
    public static var reconnectInterval: Self { Self(ZMQ_RECONNECT_IVL, "reconnectInterval", "ZMQ_RECONNECT_IVL", .optionalMilliseconds) }

    /// How long to wait for traffic after a heartbeat before dropping the connection; `nil`
    /// (the default) uses ``heartbeatInterval``. libzmq 4.3 reads the default back as `nil`
    /// but refuses to be set to `nil` (``ZMQError/invalidArgument``).
    /// The C option is `ZMQ_HEARTBEAT_TIMEOUT`.
    public static var heartbeatTimeout: Self { Self(ZMQ_HEARTBEAT_TIMEOUT, "heartbeatTimeout", "ZMQ_HEARTBEAT_TIMEOUT", .optionalMilliseconds) }

    /// The idle time before TCP keepalive probes start, rounded up to whole seconds, from 1 to
    /// 32767 (anything else throws ``ZMQError/invalidArgument``); `nil` uses the operating
    /// system's default. The C option is `ZMQ_TCP_KEEPALIVE_IDLE`.
    public static var tcpKeepaliveIdle: Self { Self(ZMQ_TCP_KEEPALIVE_IDLE, "tcpKeepaliveIdle", "ZMQ_TCP_KEEPALIVE_IDLE", .optionalSeconds) }

    /// The time between TCP keepalive probes, rounded up to whole seconds, from 1 to 32767
    /// (anything else throws ``ZMQError/invalidArgument``); `nil` uses the operating system's
    /// default. The C option is `ZMQ_TCP_KEEPALIVE_INTVL`.
    public static var tcpKeepaliveInterval: Self { Self(ZMQ_TCP_KEEPALIVE_INTVL, "tcpKeepaliveInterval", "ZMQ_TCP_KEEPALIVE_INTVL", .optionalSeconds) }
}

// MARK: - Durations

extension SocketOption where Value == Duration {
    /// The longest wait between reconnection attempts, doubling from
    /// ``reconnectInterval``; `.zero` (the default) keeps the interval fixed.
    /// The C option is `ZMQ_RECONNECT_IVL_MAX`.
    public static var reconnectIntervalMax: Self { Self(ZMQ_RECONNECT_IVL_MAX, "reconnectIntervalMax", "ZMQ_RECONNECT_IVL_MAX", .milliseconds) }

    /// How long a connection's ZMTP handshake may take before it is dropped (30 s by
    /// default); `.zero` disables the limit. The C option is `ZMQ_HANDSHAKE_IVL`.
    public static var handshakeInterval: Self { Self(ZMQ_HANDSHAKE_IVL, "handshakeInterval", "ZMQ_HANDSHAKE_IVL", .milliseconds) }

    /// How long a TCP connect may take before it is retried; `.zero` (the default) uses the
    /// operating system's limit. The C option is `ZMQ_CONNECT_TIMEOUT`.
    public static var connectTimeout: Self { Self(ZMQ_CONNECT_TIMEOUT, "connectTimeout", "ZMQ_CONNECT_TIMEOUT", .milliseconds) }

    /// How often to send a ZMTP heartbeat (PING) on each connection; `.zero` (the default)
    /// sends none. The C option is `ZMQ_HEARTBEAT_IVL`.
    public static var heartbeatInterval: Self { Self(ZMQ_HEARTBEAT_IVL, "heartbeatInterval", "ZMQ_HEARTBEAT_IVL", .milliseconds) }

    /// How long the peer may go without traffic before it drops the connection, sent in each
    /// heartbeat in tenths of a second: rounded up to a whole tenth; `.zero` sends no limit.
    /// libzmq accepts up to 6553.5 seconds, but a libzmq 4.3 peer keeps the value in 16 bits of
    /// milliseconds, so above 65.5 seconds it wraps to a few milliseconds and the peer drops
    /// healthy connections: ``Socket/setHeartbeat(interval:timeout:timeToLive:)`` refuses such
    /// values. The C option is `ZMQ_HEARTBEAT_TTL`.
    public static var heartbeatTimeToLive: Self { Self(ZMQ_HEARTBEAT_TTL, "heartbeatTimeToLive", "ZMQ_HEARTBEAT_TTL", .deciseconds) }

    /// The longest TCP retransmission time before a connection is dropped; `.zero` uses the
    /// operating system's default. The C option is `ZMQ_TCP_MAXRT`.
    public static var tcpMaxRetransmitTimeout: Self { Self(ZMQ_TCP_MAXRT, "tcpMaxRetransmitTimeout", "ZMQ_TCP_MAXRT", .milliseconds) }
}

// MARK: - Counts and sizes

extension SocketOption where Value == Int {
    /// The most outgoing messages queued per peer before sends block or drop (1000 by
    /// default; 0 means no limit). The C option is `ZMQ_SNDHWM`.
    public static var sendHighWaterMark: Self { Self(ZMQ_SNDHWM, "sendHighWaterMark", "ZMQ_SNDHWM", .count) }

    /// The most incoming messages queued per peer (1000 by default; 0 means no limit).
    /// The C option is `ZMQ_RCVHWM`.
    public static var receiveHighWaterMark: Self { Self(ZMQ_RCVHWM, "receiveHighWaterMark", "ZMQ_RCVHWM", .count) }

    /// The length of the pending-connection queue of a bound TCP or IPC socket (100 by
    /// default). The C option is `ZMQ_BACKLOG`.
    public static var backlog: Self { Self(ZMQ_BACKLOG, "backlog", "ZMQ_BACKLOG", .count) }

    /// The IP type-of-service (DSCP) byte of outgoing TCP packets. The C option is `ZMQ_TOS`.
    public static var typeOfService: Self { Self(ZMQ_TOS, "typeOfService", "ZMQ_TOS", .count) }

    /// The multicast data rate in kilobits per second. The C option is `ZMQ_RATE`.
    public static var multicastRate: Self { Self(ZMQ_RATE, "multicastRate", "ZMQ_RATE", .count) }

    /// The time-to-live of outgoing multicast packets. The C option is `ZMQ_MULTICAST_HOPS`.
    public static var multicastHops: Self { Self(ZMQ_MULTICAST_HOPS, "multicastHops", "ZMQ_MULTICAST_HOPS", .count) }
}

extension SocketOption where Value == Int? {
    /// The kernel's send buffer size in bytes; `nil` (the default) keeps the operating
    /// system's. The C option is `ZMQ_SNDBUF`.
    public static var sendBufferSize: Self { Self(ZMQ_SNDBUF, "sendBufferSize", "ZMQ_SNDBUF", .optionalCount()) }

    /// The kernel's receive buffer size in bytes; `nil` (the default) keeps the operating
    /// system's. The C option is `ZMQ_RCVBUF`.
    public static var receiveBufferSize: Self { Self(ZMQ_RCVBUF, "receiveBufferSize", "ZMQ_RCVBUF", .optionalCount()) }

    /// The largest inbound message a peer may send, in bytes; a peer that sends more is
    /// disconnected. `nil` (the default) means no limit. The C option is `ZMQ_MAXMSGSIZE`.
    public static var maxMessageSize: Self { Self(ZMQ_MAXMSGSIZE, "maxMessageSize", "ZMQ_MAXMSGSIZE", .optionalCount(is64Bit: true)) }

    /// The number of unanswered TCP keepalive probes before a connection is dropped; `nil`
    /// uses the OS default. The C option is `ZMQ_TCP_KEEPALIVE_CNT`.
    public static var tcpKeepaliveCount: Self { Self(ZMQ_TCP_KEEPALIVE_CNT, "tcpKeepaliveCount", "ZMQ_TCP_KEEPALIVE_CNT", .optionalCount()) }
}

// MARK: - Switches

extension SocketOption where Value == Bool {
    /// Queue messages only to completed connections, so sends block (or fail) rather than
    /// queue for peers not yet connected. The C option is `ZMQ_IMMEDIATE`.
    public static var immediate: Self { Self(ZMQ_IMMEDIATE, "immediate", "ZMQ_IMMEDIATE", .bool) }

    /// Keep only the last message in each queue (PUB, SUB, PUSH, PULL, PAIR, DEALER).
    /// Doesn't support multipart messages. The C option is `ZMQ_CONFLATE`.
    public static var conflate: Self { Self(ZMQ_CONFLATE, "conflate", "ZMQ_CONFLATE", .bool) }

    /// Use IPv6 as well as IPv4 on this socket. The C option is `ZMQ_IPV6`.
    public static var ipv6: Self { Self(ZMQ_IPV6, "ipv6", "ZMQ_IPV6", .bool) }

    /// Send an empty message on each new connection, so a ROUTER learns the peer's routing id
    /// at once (ROUTER, DEALER, REQ). Write-only. The C option is `ZMQ_PROBE_ROUTER`.
    public static var probeRouter: Self { Self(ZMQ_PROBE_ROUTER, "probeRouter", "ZMQ_PROBE_ROUTER", .bool.writeOnly) }

    /// Invert topic matching: a SUB receives what does *not* match, a PUB or XPUB sends to
    /// subscribers that do not match. The C option is `ZMQ_INVERT_MATCHING`.
    public static var invertMatching: Self { Self(ZMQ_INVERT_MATCHING, "invertMatching", "ZMQ_INVERT_MATCHING", .bool) }

    /// Act as a PLAIN authentication server. libzmq 4.3 refuses every PLAIN client unless a
    /// ZAP handler is bound at `inproc://zeromq.zap.01` in the same context to check the
    /// credentials. The C option is `ZMQ_PLAIN_SERVER`.
    public static var plainServer: Self { Self(ZMQ_PLAIN_SERVER, "plainServer", "ZMQ_PLAIN_SERVER", .bool) }

    /// Act as a CURVE server; set ``curveSecretKey`` as well. The C option is
    /// `ZMQ_CURVE_SERVER`.
    public static var curveServer: Self { Self(ZMQ_CURVE_SERVER, "curveServer", "ZMQ_CURVE_SERVER", .bool) }

    /// Deliver connect and disconnect notifications (empty messages) on a STREAM socket
    /// (on by default). Write-only. The C option is `ZMQ_STREAM_NOTIFY`.
    public static var streamNotify: Self { Self(ZMQ_STREAM_NOTIFY, "streamNotify", "ZMQ_STREAM_NOTIFY", .bool.writeOnly) }
}

extension SocketOption where Value == Bool? {
    /// Enable (`true`) or disable (`false`) TCP keepalive; `nil` keeps the OS default.
    /// The C option is `ZMQ_TCP_KEEPALIVE`.
    public static var tcpKeepalive: Self { Self(ZMQ_TCP_KEEPALIVE, "tcpKeepalive", "ZMQ_TCP_KEEPALIVE", .optionalBool) }
}

// MARK: - Identities and strings

extension SocketOption where Value == [UInt8] {
    /// This socket's routing id, as a ROUTER peer sees it: 1 to 255 bytes, not starting with a
    /// zero byte (libzmq reserves those for the ids it generates; anything else throws
    /// ``ZMQError/invalidArgument``). Set it before connecting; a `String` works too
    /// (`setOption(.routingID, "worker-1")`). The C option is `ZMQ_ROUTING_ID`.
    public static var routingID: Self { Self(ZMQ_ROUTING_ID, "routingID", "ZMQ_ROUTING_ID", .routingID) }

    /// The routing id to give the peer of the next `connect(to:)` (ROUTER and STREAM only),
    /// with the same rules as ``routingID``. It is write-only: reading it throws
    /// ``ZMQError/invalidArgument`` at once. The C option is `ZMQ_CONNECT_ROUTING_ID`.
    public static var connectRoutingID: Self { Self(ZMQ_CONNECT_ROUTING_ID, "connectRoutingID", "ZMQ_CONNECT_ROUTING_ID", .routingID.writeOnly) }
}

extension SocketOption where Value == String {
    /// The ZAP authentication domain. The C option is `ZMQ_ZAP_DOMAIN`.
    public static var zapDomain: Self { Self(ZMQ_ZAP_DOMAIN, "zapDomain", "ZMQ_ZAP_DOMAIN", .string) }

    /// The PLAIN user name a client sends. The C option is `ZMQ_PLAIN_USERNAME`.
    public static var plainUsername: Self { Self(ZMQ_PLAIN_USERNAME, "plainUsername", "ZMQ_PLAIN_USERNAME", .string) }

    /// The PLAIN password a client sends; it never appears in an error.
    /// The C option is `ZMQ_PLAIN_PASSWORD`.
    public static var plainPassword: Self { Self(ZMQ_PLAIN_PASSWORD, "plainPassword", "ZMQ_PLAIN_PASSWORD", .string.secret) }

    /// A SOCKS5 proxy (`host:port`) for outgoing TCP connections. The C option is
    /// `ZMQ_SOCKS_PROXY`.
    public static var socksProxy: Self { Self(ZMQ_SOCKS_PROXY, "socksProxy", "ZMQ_SOCKS_PROXY", .string) }

    /// The network interface (such as `eth0`) to bind TCP connections to; needs privileges.
    /// The C option is `ZMQ_BINDTODEVICE`.
    public static var bindToDevice: Self { Self(ZMQ_BINDTODEVICE, "bindToDevice", "ZMQ_BINDTODEVICE", .string) }
}

// MARK: - CURVE keys

extension SocketOption where Value == CurvePublicKey {
    /// This socket's long-term CURVE public key. The C option is `ZMQ_CURVE_PUBLICKEY`.
    public static var curvePublicKey: Self { Self(ZMQ_CURVE_PUBLICKEY, "curvePublicKey", "ZMQ_CURVE_PUBLICKEY", .curvePublicKey) }

    /// The server's public key, set on a CURVE client. The C option is `ZMQ_CURVE_SERVERKEY`.
    public static var curveServerKey: Self { Self(ZMQ_CURVE_SERVERKEY, "curveServerKey", "ZMQ_CURVE_SERVERKEY", .curvePublicKey) }
}

extension SocketOption where Value == CurveSecretKey {
    /// This socket's long-term CURVE secret key; it never appears in an error.
    /// The C option is `ZMQ_CURVE_SECRETKEY`.
    public static var curveSecretKey: Self { Self(ZMQ_CURVE_SECRETKEY, "curveSecretKey", "ZMQ_CURVE_SECRETKEY", .curveSecretKey) }
}

// MARK: - Read-only properties

extension SocketProperty where Value == SocketTypeCode {
    /// The socket's type. The C option is `ZMQ_TYPE`.
    public static var type: Self { Self(ZMQ_TYPE, "type", "ZMQ_TYPE", .socketType) }
}

extension SocketProperty where Value == PollEvents {
    /// Whether the socket can receive (``PollEvents/readable``) or send
    /// (``PollEvents/writable``) without blocking now. The C option is `ZMQ_EVENTS`.
    public static var events: Self { Self(ZMQ_EVENTS, "events", "ZMQ_EVENTS", .pollEvents) }
}

extension SocketProperty where Value == Int32 {
    /// A file descriptor that becomes readable when ``events`` may have changed, for use with
    /// an external event loop (edge-triggered: check ``events`` until it is empty).
    /// The C option is `ZMQ_FD`.
    public static var fileDescriptor: Self { Self(ZMQ_FD, "fileDescriptor", "ZMQ_FD", .cInt) }
}

extension SocketProperty where Value == Bool {
    /// Whether more frames of the last received multipart message follow.
    /// The C option is `ZMQ_RCVMORE`.
    public static var receiveMore: Self { Self(ZMQ_RCVMORE, "receiveMore", "ZMQ_RCVMORE", .bool) }
}

extension SocketProperty where Value == String {
    /// The endpoint last bound or connected, with wildcards resolved; empty if none.
    /// The C option is `ZMQ_LAST_ENDPOINT`.
    public static var lastEndpoint: Self { Self(ZMQ_LAST_ENDPOINT, "lastEndpoint", "ZMQ_LAST_ENDPOINT", .string) }
}

extension SocketProperty where Value == Int {
    /// The security mechanism in use: 0 NULL, 1 PLAIN, 2 CURVE, 3 GSSAPI.
    /// The C option is `ZMQ_MECHANISM`.
    public static var mechanism: Self { Self(ZMQ_MECHANISM, "mechanism", "ZMQ_MECHANISM", .count) }
}
