import ArgumentParser

/// The socket types zmqcat can be, as typed on its command line, and what each one does.
///
/// Every stable libzmq socket type is here; the draft ones (CLIENT, SERVER, RADIO, DISH…)
/// are not, since Debian's libzmq is built without them.
enum SocketTypeName: String, CaseIterable, ExpressibleByArgument, Sendable {
    case pair, pub, sub, req, rep, dealer, router, pull, push, xpub, xsub, stream

    /// Whether the type can send messages at all.
    var canSend: Bool { self != .sub && self != .pull }

    /// Whether the type can receive messages at all.
    var canReceive: Bool { self != .pub && self != .push }

    /// Whether running it makes no sense without something to send (`--send`,
    /// `--send-file` or `--stdin`).
    var mustSend: Bool { self == .pub || self == .push || self == .req }

    /// Whether `--subscribe` applies.
    var takesSubscriptions: Bool { self == .sub || self == .xsub }

    /// Whether `--send`/`--send-file` are the reply to each received message, rather than a
    /// message sent on the type's own initiative.
    var repliesToEach: Bool { self == .rep || self == .router }

    /// Whether a message sent before any peer has connected would be dropped, block, or sit
    /// in a queue to an absent peer until the linger period drops it at exit, so that the
    /// first send waits for a peer (a completed handshake), bounded by --timeout-ms.
    var sendWaitsForPeer: Bool { [.pub, .push, .xpub, .pair, .dealer].contains(self) }

    /// Whether the first send also waits a moment after the first peer connected, for its
    /// subscriptions to arrive (a publisher drops what no subscription matches).
    var sendWaitsForSubscriptions: Bool { self == .pub || self == .xpub }
}
