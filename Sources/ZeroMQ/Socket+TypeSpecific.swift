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
        try Array(prefix)._write(to: handle, option: ZMQ_SUBSCRIBE)
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
        try Array(prefix)._write(to: handle, option: ZMQ_UNSUBSCRIBE)
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
        try setFlag(isMandatory, option: ZMQ_ROUTER_MANDATORY)
    }

    /// Lets a new connection with an existing routing id take that id over, instead of being
    /// refused.
    ///
    /// - Parameter allowsHandover: Whether handover is allowed (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_ROUTER_HANDOVER`.
    public func setHandover(_ allowsHandover: Bool) throws(ZMQError) {
        try setFlag(allowsHandover, option: ZMQ_ROUTER_HANDOVER)
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
        try setFlag(correlates, option: ZMQ_REQ_CORRELATE)
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
        try setFlag(isRelaxed, option: ZMQ_REQ_RELAXED)
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
        try setFlag(isVerbose, option: ZMQ_XPUB_VERBOSE)
    }

    /// Leaves subscription management to the application: received subscriptions are not
    /// applied until the application calls ``subscribe(to:)`` for them.
    ///
    /// - Parameter isManual: Whether subscriptions are manual (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_MANUAL`.
    public func setManual(_ isManual: Bool) throws(ZMQError) {
        try setFlag(isManual, option: ZMQ_XPUB_MANUAL)
    }

    /// Sends a welcome message to each new subscriber (which must subscribe to it to see it).
    ///
    /// - Parameter message: The welcome message; empty to send none.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_WELCOME_MSG`.
    public func setWelcomeMessage(_ message: some Sequence<UInt8>) throws(ZMQError) {
        try Array(message)._write(to: handle, option: ZMQ_XPUB_WELCOME_MSG)
    }

    /// Makes sends block (or fail with "would block") when a subscriber's queue is full,
    /// instead of dropping messages.
    ///
    /// - Parameter noDrop: Whether to refuse rather than drop (off by default).
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_XPUB_NODROP`.
    public func setNoDrop(_ noDrop: Bool) throws(ZMQError) {
        try setFlag(noDrop, option: ZMQ_XPUB_NODROP)
    }

    /// In manual mode, applies a subscription on behalf of the subscriber whose message was
    /// received last.
    ///
    /// - Parameter prefix: The topic prefix.
    /// - Throws: ``ZMQError/contextTerminated``.
    ///
    /// The corresponding C option is `ZMQ_SUBSCRIBE`.
    public func subscribe(to prefix: some Sequence<UInt8>) throws(ZMQError) {
        try Array(prefix)._write(to: handle, option: ZMQ_SUBSCRIBE)
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
        try Array(prefix)._write(to: handle, option: ZMQ_UNSUBSCRIBE)
    }
}
