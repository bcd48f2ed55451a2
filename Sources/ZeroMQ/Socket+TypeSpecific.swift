internal import CZeroMQ

// Options and operations that make sense for one socket type only. Calling them on another
// type does not compile; for example `push.subscribe(to: "")` fails with "referencing instance
// method 'subscribe(to:)' on 'Socket' requires the types 'SocketType.Push' and 'SocketType.Sub'
// be equivalent".

extension Socket where Kind == SocketType.Sub {
    /// Subscribes to messages whose first frame starts with `prefix`; an empty prefix
    /// subscribes to everything. A new SUB socket receives nothing until it subscribes.
    ///
    /// - Parameter prefix: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_SUBSCRIBE`.
    public func subscribe(to prefix: some Sequence<UInt8>) throws(ZMQError) {
        try setOption(.subscribe, Array(prefix))
    }

    /// Subscribes to messages whose first frame starts with the UTF-8 bytes of `topic`.
    ///
    /// - Parameter topic: The topic prefix; `""` subscribes to everything.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_SUBSCRIBE`.
    public func subscribe(to topic: String) throws(ZMQError) {
        try subscribe(to: topic.utf8)
    }

    /// Removes one earlier subscription to exactly this prefix.
    ///
    /// - Parameter prefix: The topic prefix, as subscribed.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_UNSUBSCRIBE`.
    public func unsubscribe(from prefix: some Sequence<UInt8>) throws(ZMQError) {
        try setOption(.unsubscribe, Array(prefix))
    }

    /// Removes one earlier subscription to exactly this topic.
    ///
    /// - Parameter topic: The topic prefix, as subscribed.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_UNSUBSCRIBE`.
    public func unsubscribe(from topic: String) throws(ZMQError) {
        try unsubscribe(from: topic.utf8)
    }
}

extension Socket where Kind == SocketType.XSub {
    /// Subscribes by sending a subscription message (`0x01` followed by the prefix) upstream.
    ///
    /// - Parameter prefix: The topic prefix; empty subscribes to everything.
    /// - Throws: ``ZMQError/wouldBlock`` if the subscription could not be queued within the
    ///   socket's ``SocketOption/sendTimeout``, and the errors of sending.
    public func subscribe(to prefix: some Sequence<UInt8>) throws(ZMQError) {
        guard try send([1] + Array(prefix)) else { throw .wouldBlock }
    }

    /// Subscribes by sending a subscription message for the UTF-8 bytes of `topic`.
    ///
    /// - Parameter topic: The topic prefix; `""` subscribes to everything.
    /// - Throws: The errors of sending.
    public func subscribe(to topic: String) throws(ZMQError) {
        try subscribe(to: topic.utf8)
    }

    /// Unsubscribes by sending an unsubscription message (`0x00` followed by the prefix).
    ///
    /// - Parameter prefix: The topic prefix, as subscribed.
    /// - Throws: ``ZMQError/wouldBlock`` if the message could not be queued within the
    ///   socket's ``SocketOption/sendTimeout``, and the errors of sending.
    public func unsubscribe(from prefix: some Sequence<UInt8>) throws(ZMQError) {
        guard try send([0] + Array(prefix)) else { throw .wouldBlock }
    }

    /// Unsubscribes by sending an unsubscription message for the UTF-8 bytes of `topic`.
    ///
    /// - Parameter topic: The topic prefix, as subscribed.
    /// - Throws: The errors of sending.
    public func unsubscribe(from topic: String) throws(ZMQError) {
        try unsubscribe(from: topic.utf8)
    }
}

extension Socket where Kind == SocketType.Router {
    /// Makes a message to an unknown or unreachable routing id fail with
    /// ``ZMQError/hostUnreachable`` (or block, returning `false` with ``SendFlags/dontWait``)
    /// instead of being dropped silently.
    ///
    /// - Parameter isMandatory: Whether routing is mandatory (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_ROUTER_MANDATORY`.
    public func setMandatoryRouting(_ isMandatory: Bool) throws(ZMQError) {
        try setOption(.routerMandatory, isMandatory)
    }

    /// Lets a new connection with an existing routing id take that id over, instead of being
    /// refused.
    ///
    /// - Parameter allowsHandover: Whether handover is allowed (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_ROUTER_HANDOVER`.
    public func setHandover(_ allowsHandover: Bool) throws(ZMQError) {
        try setOption(.routerHandover, allowsHandover)
    }
}

extension Socket where Kind == SocketType.Req {
    /// Prefixes each request with a request id and drops replies that don't match the last
    /// request, for use with ``setRelaxed(_:)``.
    ///
    /// - Parameter correlates: Whether to correlate replies (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_REQ_CORRELATE`.
    public func setCorrelation(_ correlates: Bool) throws(ZMQError) {
        try setOption(.requestCorrelation, correlates)
    }

    /// Allows a new request before the previous reply arrived, resending to another peer;
    /// a late reply to the old request is dropped (with ``setCorrelation(_:)``).
    ///
    /// - Parameter isRelaxed: Whether the strict send/receive alternation is relaxed (off by
    ///   default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_REQ_RELAXED`.
    public func setRelaxed(_ isRelaxed: Bool) throws(ZMQError) {
        try setOption(.requestRelaxed, isRelaxed)
    }
}

extension Socket where Kind == SocketType.XPub {
    /// Passes every subscription message up to the application, not only new ones.
    ///
    /// - Parameter isVerbose: Whether to pass duplicate subscriptions (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_VERBOSE`.
    public func setVerbose(_ isVerbose: Bool) throws(ZMQError) {
        try setOption(.xpubVerbose, isVerbose)
    }

    /// Leaves subscription management to the application: received subscriptions are not
    /// applied until the application calls `subscribe(to:)` for them.
    ///
    /// - Parameter isManual: Whether subscriptions are manual (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_MANUAL`.
    public func setManual(_ isManual: Bool) throws(ZMQError) {
        try setOption(.xpubManual, isManual)
    }

    /// Sends a welcome message to each new subscriber (which must subscribe to it to see it).
    ///
    /// - Parameter message: The welcome message; empty to send none.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_WELCOME_MSG`.
    public func setWelcomeMessage(_ message: some Sequence<UInt8>) throws(ZMQError) {
        try setOption(.xpubWelcomeMessage, Array(message))
    }

    /// Makes sends block (or fail with "would block") when a subscriber's queue is full,
    /// instead of dropping messages.
    ///
    /// - Parameter noDrop: Whether to refuse rather than drop (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_NODROP`.
    public func setNoDrop(_ noDrop: Bool) throws(ZMQError) {
        try setOption(.xpubNoDrop, noDrop)
    }

    /// In manual mode, applies a subscription on behalf of the subscriber whose message was
    /// received last.
    ///
    /// - Parameter prefix: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_SUBSCRIBE`.
    public func subscribe(to prefix: some Sequence<UInt8>) throws(ZMQError) {
        try setOption(.subscribe, Array(prefix))
    }

    /// In manual mode, applies a subscription to the UTF-8 bytes of `topic` on behalf of the
    /// subscriber whose message was received last.
    ///
    /// - Parameter topic: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_SUBSCRIBE`.
    public func subscribe(to topic: String) throws(ZMQError) {
        try subscribe(to: topic.utf8)
    }

    /// In manual mode, removes a subscription on behalf of the last subscriber.
    ///
    /// - Parameter prefix: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_UNSUBSCRIBE`.
    public func unsubscribe(from prefix: some Sequence<UInt8>) throws(ZMQError) {
        try setOption(.unsubscribe, Array(prefix))
    }

    /// In manual mode, removes a subscription to the UTF-8 bytes of `topic` on behalf of the
    /// last subscriber.
    ///
    /// - Parameter topic: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_UNSUBSCRIBE`.
    public func unsubscribe(from topic: String) throws(ZMQError) {
        try unsubscribe(from: topic.utf8)
    }

    /// Sends a welcome message, the UTF-8 bytes of `message`, to each new subscriber.
    ///
    /// - Parameter message: The welcome message; empty to send none.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_WELCOME_MSG`.
    public func setWelcomeMessage(_ message: String) throws(ZMQError) {
        try setWelcomeMessage(message.utf8)
    }
}

// The options behind the methods above: internal, so that each is set only on its socket
// type, but named, so that their errors say what failed.

extension SocketOption where Value == [UInt8] {
    static var subscribe: Self { Self(ZMQ_SUBSCRIBE, "subscribe", "ZMQ_SUBSCRIBE", .bytes.writeOnly) }
    static var unsubscribe: Self { Self(ZMQ_UNSUBSCRIBE, "unsubscribe", "ZMQ_UNSUBSCRIBE", .bytes.writeOnly) }
    static var xpubWelcomeMessage: Self {
        Self(ZMQ_XPUB_WELCOME_MSG, "welcomeMessage", "ZMQ_XPUB_WELCOME_MSG", .bytes.writeOnly)
    }
}

extension SocketOption where Value == Bool {
    static var routerMandatory: Self { Self(ZMQ_ROUTER_MANDATORY, "mandatoryRouting", "ZMQ_ROUTER_MANDATORY", .bool.writeOnly) }
    static var routerHandover: Self { Self(ZMQ_ROUTER_HANDOVER, "handover", "ZMQ_ROUTER_HANDOVER", .bool.writeOnly) }
    static var requestCorrelation: Self { Self(ZMQ_REQ_CORRELATE, "correlation", "ZMQ_REQ_CORRELATE", .bool.writeOnly) }
    static var requestRelaxed: Self { Self(ZMQ_REQ_RELAXED, "relaxed", "ZMQ_REQ_RELAXED", .bool.writeOnly) }
    static var xpubVerbose: Self { Self(ZMQ_XPUB_VERBOSE, "verbose", "ZMQ_XPUB_VERBOSE", .bool.writeOnly) }
    static var xpubManual: Self { Self(ZMQ_XPUB_MANUAL, "manual", "ZMQ_XPUB_MANUAL", .bool.writeOnly) }
    static var xpubNoDrop: Self { Self(ZMQ_XPUB_NODROP, "noDrop", "ZMQ_XPUB_NODROP", .bool.writeOnly) }
}
