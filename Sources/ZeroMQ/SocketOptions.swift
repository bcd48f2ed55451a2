internal import CZeroMQ

// The option catalogue. Options that belong to one socket type (subscribe, router mandatory,
// REQ correlation, XPUB verbosity, …) are methods on that type's socket instead; see
// `Socket+TypeSpecific.swift`.

// MARK: - Durations that may be "for ever"

extension SocketOption where Value == Duration? {
    /// How long a closed socket keeps trying to deliver queued messages; `nil` waits for ever,
    /// `.zero` drops them at once. New sockets start with their context's
    /// ``Context/defaultLinger``. The C option is `ZMQ_LINGER`.
    public static var linger: Self { Self(rawValue: ZMQ_LINGER) }

    /// How long a blocking send waits before returning `false`; `nil` waits for ever (the
    /// default). The C option is `ZMQ_SNDTIMEO`.
    public static var sendTimeout: Self { Self(rawValue: ZMQ_SNDTIMEO) }

    /// How long a blocking receive waits before returning `false` or `nil`; `nil` waits for
    /// ever (the default). The C option is `ZMQ_RCVTIMEO`.
    public static var receiveTimeout: Self { Self(rawValue: ZMQ_RCVTIMEO) }

    /// The initial wait before reconnecting a dropped connection (100 ms by default); `nil`
    /// disables reconnection. The C option is `ZMQ_RECONNECT_IVL`.
    public static var reconnectInterval: Self { Self(rawValue: ZMQ_RECONNECT_IVL) }

    /// How long to wait for traffic after a heartbeat before dropping the connection; `nil`
    /// (the default) uses ``heartbeatInterval``. libzmq 4.3 reads the default back as `nil`
    /// but refuses to be set to `nil` (``ZMQError/invalidArgument``).
    /// The C option is `ZMQ_HEARTBEAT_TIMEOUT`.
    public static var heartbeatTimeout: Self { Self(rawValue: ZMQ_HEARTBEAT_TIMEOUT) }

    /// The idle time before TCP keepalive probes start, in whole seconds from 1 to 32767
    /// (anything else throws ``ZMQError/invalidArgument``); `nil` uses the operating system's
    /// default. The C option is `ZMQ_TCP_KEEPALIVE_IDLE`.
    public static var tcpKeepaliveIdle: Self { Self(rawValue: ZMQ_TCP_KEEPALIVE_IDLE) }

    /// The time between TCP keepalive probes, in whole seconds from 1 to 32767 (anything else
    /// throws ``ZMQError/invalidArgument``); `nil` uses the operating system's default.
    /// The C option is `ZMQ_TCP_KEEPALIVE_INTVL`.
    public static var tcpKeepaliveInterval: Self { Self(rawValue: ZMQ_TCP_KEEPALIVE_INTVL) }
}

// MARK: - Durations

extension SocketOption where Value == Duration {
    /// The longest wait between reconnection attempts, doubling from
    /// ``reconnectInterval``; `.zero` (the default) keeps the interval fixed.
    /// The C option is `ZMQ_RECONNECT_IVL_MAX`.
    public static var reconnectIntervalMax: Self { Self(rawValue: ZMQ_RECONNECT_IVL_MAX) }

    /// How long a connection's ZMTP handshake may take before it is dropped (30 s by
    /// default); `.zero` disables the limit. The C option is `ZMQ_HANDSHAKE_IVL`.
    public static var handshakeInterval: Self { Self(rawValue: ZMQ_HANDSHAKE_IVL) }

    /// How long a TCP connect may take before it is retried; `.zero` (the default) uses the
    /// operating system's limit. The C option is `ZMQ_CONNECT_TIMEOUT`.
    public static var connectTimeout: Self { Self(rawValue: ZMQ_CONNECT_TIMEOUT) }

    /// How often to send a ZMTP heartbeat (PING) on each connection; `.zero` (the default)
    /// sends none. The C option is `ZMQ_HEARTBEAT_IVL`.
    public static var heartbeatInterval: Self { Self(rawValue: ZMQ_HEARTBEAT_IVL) }

    /// How long the peer may go without traffic before it drops the connection, sent in each
    /// heartbeat (rounded down to tenths of a second). The C option is `ZMQ_HEARTBEAT_TTL`.
    public static var heartbeatTimeToLive: Self { Self(rawValue: ZMQ_HEARTBEAT_TTL) }


    /// The longest TCP retransmission time before a connection is dropped; `.zero` uses the
    /// operating system's default. The C option is `ZMQ_TCP_MAXRT`.
    public static var tcpMaxRetransmitTimeout: Self { Self(rawValue: ZMQ_TCP_MAXRT) }
}

// MARK: - Counts and sizes

extension SocketOption where Value == Int {
    /// The most outgoing messages queued per peer before sends block or drop (1000 by
    /// default; 0 means no limit). The C option is `ZMQ_SNDHWM`.
    public static var sendHighWaterMark: Self { Self(rawValue: ZMQ_SNDHWM) }

    /// The most incoming messages queued per peer (1000 by default; 0 means no limit).
    /// The C option is `ZMQ_RCVHWM`.
    public static var receiveHighWaterMark: Self { Self(rawValue: ZMQ_RCVHWM) }

    /// The length of the pending-connection queue of a bound TCP or IPC socket (100 by
    /// default). The C option is `ZMQ_BACKLOG`.
    public static var backlog: Self { Self(rawValue: ZMQ_BACKLOG) }


    /// The IP type-of-service (DSCP) byte of outgoing TCP packets. The C option is `ZMQ_TOS`.
    public static var typeOfService: Self { Self(rawValue: ZMQ_TOS) }

    /// The multicast data rate in kilobits per second. The C option is `ZMQ_RATE`.
    public static var multicastRate: Self { Self(rawValue: ZMQ_RATE) }

    /// The time-to-live of outgoing multicast packets. The C option is `ZMQ_MULTICAST_HOPS`.
    public static var multicastHops: Self { Self(rawValue: ZMQ_MULTICAST_HOPS) }
}

extension SocketOption where Value == Int? {
    /// The kernel's send buffer size in bytes; `nil` (the default) keeps the operating
    /// system's. The C option is `ZMQ_SNDBUF`.
    public static var sendBufferSize: Self { Self(rawValue: ZMQ_SNDBUF) }

    /// The kernel's receive buffer size in bytes; `nil` (the default) keeps the operating
    /// system's. The C option is `ZMQ_RCVBUF`.
    public static var receiveBufferSize: Self { Self(rawValue: ZMQ_RCVBUF) }

    /// The largest inbound message a peer may send, in bytes; a peer that sends more is
    /// disconnected. `nil` (the default) means no limit. The C option is `ZMQ_MAXMSGSIZE`.
    public static var maxMessageSize: Self { Self(rawValue: ZMQ_MAXMSGSIZE) }

    /// The number of unanswered TCP keepalive probes before a connection is dropped; `nil`
    /// uses the OS default. The C option is `ZMQ_TCP_KEEPALIVE_CNT`.
    public static var tcpKeepaliveCount: Self { Self(rawValue: ZMQ_TCP_KEEPALIVE_CNT) }
}

// MARK: - Switches

extension SocketOption where Value == Bool {
    /// Queue messages only to completed connections, so sends block (or fail) rather than
    /// queue for peers not yet connected. The C option is `ZMQ_IMMEDIATE`.
    public static var immediate: Self { Self(rawValue: ZMQ_IMMEDIATE) }

    /// Keep only the last message in each queue (PUB, SUB, PUSH, PULL, PAIR, DEALER).
    /// Doesn't support multipart messages. The C option is `ZMQ_CONFLATE`.
    public static var conflate: Self { Self(rawValue: ZMQ_CONFLATE) }

    /// Use IPv6 as well as IPv4 on this socket. The C option is `ZMQ_IPV6`.
    public static var ipv6: Self { Self(rawValue: ZMQ_IPV6) }

    /// Send an empty message on each new connection, so a ROUTER learns the peer's routing id
    /// at once (ROUTER, DEALER, REQ). The C option is `ZMQ_PROBE_ROUTER`.
    public static var probeRouter: Self { Self(rawValue: ZMQ_PROBE_ROUTER) }

    /// Invert topic matching: a SUB receives what does *not* match, a PUB or XPUB sends to
    /// subscribers that do not match. The C option is `ZMQ_INVERT_MATCHING`.
    public static var invertMatching: Self { Self(rawValue: ZMQ_INVERT_MATCHING) }

    /// Act as a PLAIN authentication server. libzmq 4.3 refuses every PLAIN client unless a
    /// ZAP handler is bound at `inproc://zeromq.zap.01` in the same context to check the
    /// credentials. The C option is `ZMQ_PLAIN_SERVER`.
    public static var plainServer: Self { Self(rawValue: ZMQ_PLAIN_SERVER) }

    /// Act as a CURVE server; set ``curveSecretKey`` as well. The C option is
    /// `ZMQ_CURVE_SERVER`.
    public static var curveServer: Self { Self(rawValue: ZMQ_CURVE_SERVER) }

    /// Deliver connect and disconnect notifications (empty messages) on a STREAM socket
    /// (on by default). The C option is `ZMQ_STREAM_NOTIFY`.
    public static var streamNotify: Self { Self(rawValue: ZMQ_STREAM_NOTIFY) }
}

extension SocketOption where Value == Bool? {
    /// Enable (`true`) or disable (`false`) TCP keepalive; `nil` keeps the OS default.
    /// The C option is `ZMQ_TCP_KEEPALIVE`.
    public static var tcpKeepalive: Self { Self(rawValue: ZMQ_TCP_KEEPALIVE) }
}

// MARK: - Identities and strings

extension SocketOption where Value == [UInt8] {
    /// This socket's routing id, as a ROUTER peer sees it (1 to 255 bytes, not starting with
    /// a zero byte). Set it before connecting. The C option is `ZMQ_ROUTING_ID`.
    public static var routingID: Self { Self(rawValue: ZMQ_ROUTING_ID) }

    /// The routing id to give the peer of the next `connect(to:)` (ROUTER and STREAM only);
    /// write-only. The C option is `ZMQ_CONNECT_ROUTING_ID`.
    public static var connectRoutingID: Self { Self(rawValue: ZMQ_CONNECT_ROUTING_ID) }
}

extension SocketOption where Value == String {
    /// The ZAP authentication domain. The C option is `ZMQ_ZAP_DOMAIN`.
    public static var zapDomain: Self { Self(rawValue: ZMQ_ZAP_DOMAIN) }

    /// The PLAIN user name a client sends. The C option is `ZMQ_PLAIN_USERNAME`.
    public static var plainUsername: Self { Self(rawValue: ZMQ_PLAIN_USERNAME) }

    /// The PLAIN password a client sends. The C option is `ZMQ_PLAIN_PASSWORD`.
    public static var plainPassword: Self { Self(rawValue: ZMQ_PLAIN_PASSWORD) }

    /// A SOCKS5 proxy (`host:port`) for outgoing TCP connections. The C option is
    /// `ZMQ_SOCKS_PROXY`.
    public static var socksProxy: Self { Self(rawValue: ZMQ_SOCKS_PROXY) }

    /// The network interface (such as `eth0`) to bind TCP connections to; needs privileges.
    /// The C option is `ZMQ_BINDTODEVICE`.
    public static var bindToDevice: Self { Self(rawValue: ZMQ_BINDTODEVICE) }
}

// MARK: - CURVE keys

extension SocketOption where Value == CurveKey {
    /// This socket's long-term CURVE public key. The C option is `ZMQ_CURVE_PUBLICKEY`.
    public static var curvePublicKey: Self { Self(rawValue: ZMQ_CURVE_PUBLICKEY) }

    /// This socket's long-term CURVE secret key. The C option is `ZMQ_CURVE_SECRETKEY`.
    public static var curveSecretKey: Self { Self(rawValue: ZMQ_CURVE_SECRETKEY) }

    /// The server's public key, set on a CURVE client. The C option is `ZMQ_CURVE_SERVERKEY`.
    public static var curveServerKey: Self { Self(rawValue: ZMQ_CURVE_SERVERKEY) }
}

// MARK: - Read-only properties

extension SocketProperty where Value == SocketTypeCode {
    /// The socket's type. The C option is `ZMQ_TYPE`.
    public static var type: Self { Self(rawValue: ZMQ_TYPE) }
}

extension SocketProperty where Value == PollEvents {
    /// Whether the socket can receive (``PollEvents/readable``) or send
    /// (``PollEvents/writable``) without blocking now. The C option is `ZMQ_EVENTS`.
    public static var events: Self { Self(rawValue: ZMQ_EVENTS) }
}

extension SocketProperty where Value == Int32 {
    /// A file descriptor that becomes readable when ``events`` may have changed, for use with
    /// an external event loop (edge-triggered: check ``events`` until it is empty).
    /// The C option is `ZMQ_FD`.
    public static var fileDescriptor: Self { Self(rawValue: ZMQ_FD) }
}

extension SocketProperty where Value == Bool {
    /// Whether more frames of the last received multipart message follow.
    /// The C option is `ZMQ_RCVMORE`.
    public static var receiveMore: Self { Self(rawValue: ZMQ_RCVMORE) }
}

extension SocketProperty where Value == String {
    /// The endpoint last bound or connected, with wildcards resolved; empty if none.
    /// The C option is `ZMQ_LAST_ENDPOINT`.
    public static var lastEndpoint: Self { Self(rawValue: ZMQ_LAST_ENDPOINT) }
}

extension SocketProperty where Value == Int {
    /// The security mechanism in use: 0 NULL, 1 PLAIN, 2 CURVE, 3 GSSAPI.
    /// The C option is `ZMQ_MECHANISM`.
    public static var mechanism: Self { Self(rawValue: ZMQ_MECHANISM) }
}
