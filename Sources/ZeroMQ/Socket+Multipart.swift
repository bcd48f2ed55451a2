internal import CZeroMQ

extension Socket where Kind: SendingKind {
    /// Sends a multipart message atomically, leaving `parts` empty and ready for reuse.
    ///
    /// The peer receives all frames or none. When the first frame would block or is refused
    /// (for example ``ZMQError/invalidState`` on a REQ socket awaiting its reply), nothing is
    /// sent and `parts` is left intact.
    ///
    /// - Parameters:
    ///   - parts: The frames to send, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when the message can't be queued.
    /// - Returns: `true` when the message was queued; `false` when the call would block.
    /// - Throws: ``ZMQError/invalidArgument`` for an empty multipart message;
    ///   ``ZMQError/wouldBlock`` when a frame after the first could not be queued (the peer
    ///   went away mid-message and the send timeout expired: libzmq drops the unfinished
    ///   message and `parts` is emptied); and the errors of
    ///   ``send(_:_:retryOnInterrupt:)-(Message,_,_)``.
    ///
    /// The corresponding C function is `zmq_msg_send`, once per frame.
    @discardableResult
    public func send(_ parts: inout Multipart, _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        try parts.send(on: handle, flags: flags.rawValue & ~ZMQ_SNDMORE)
    }

    /// Sends copies of byte sequences as one multipart message, atomically.
    ///
    /// Every frame is built before the first is sent, so a failure leaves nothing half sent.
    ///
    /// - Parameters:
    ///   - parts: The frames' payloads, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when the message can't be queued.
    /// - Returns: `true` when the message was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:)-7mwrn``.
    @discardableResult
    public func send<Parts: Sequence>(
        multipart parts: Parts,
        _ flags: SendFlags = []
    ) throws(ZMQError) -> Bool where Parts.Element: Sequence<UInt8> {
        var multipart = try Multipart(copying: parts)
        return try send(&multipart, flags)
    }

    /// Sends strings as one multipart message, one UTF-8 frame each, atomically.
    ///
    /// - Parameters:
    ///   - parts: The frames' payloads, at least one.
    ///   - flags: ``SendFlags/dontWait`` to return at once when the message can't be queued.
    /// - Returns: `true` when the message was queued; `false` when the call would block.
    /// - Throws: The errors of ``send(_:_:)-7mwrn``.
    @discardableResult
    public func send(multipart parts: [String], _ flags: SendFlags = []) throws(ZMQError) -> Bool {
        var multipart = try Multipart(parts)
        return try send(&multipart, flags)
    }
}

extension Socket where Kind: ReceivingKind {
    /// Receives one whole multipart message, replacing the frames in `parts`.
    ///
    /// libzmq delivers multipart messages atomically, so once the first frame is in, the rest
    /// is already here: the call returns all frames or none. Reusing one ``Multipart`` in a
    /// loop allocates nothing in steady state.
    ///
    /// - Parameters:
    ///   - parts: Where to put the frames.
    ///   - flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: `true` when a message was received; `false` when none was ready, and
    ///   `parts` is then empty.
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``; `parts` is then empty.
    ///
    /// The corresponding C function is `zmq_msg_recv`, once per frame.
    @discardableResult
    public func receive(into parts: inout Multipart, _ flags: ReceiveFlags = []) throws(ZMQError) -> Bool {
        try parts.receive(on: handle, flags: flags.rawValue)
    }

    /// Receives one whole multipart message as arrays of bytes.
    ///
    /// - Parameter flags: ``ReceiveFlags/dontWait`` to return at once when nothing is ready.
    /// - Returns: The frames' payloads, or `nil` when no message was ready.
    /// - Throws: The errors of ``receive(into:_:retryOnInterrupt:)``.
    public func receiveMultipart(_ flags: ReceiveFlags = []) throws(ZMQError) -> [[UInt8]]? {
        var parts = Multipart()
        guard try receive(into: &parts, flags) else { return nil }
        return parts.allBytes
    }
}
