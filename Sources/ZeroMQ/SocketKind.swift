internal import CZeroMQ

/// A ZeroMQ socket type, used as the phantom type parameter of ``Socket``.
///
/// The conforming types live in the ``SocketType`` namespace. Capabilities are protocols
/// (``SendingKind``, ``ReceivingKind``), so calling `receive` on a PUB socket or `subscribe` on a
/// PUSH socket does not compile.
///
/// The marker types are caseless enums, so their metatypes are `Sendable`
/// (`SendableMetatype`): generic code can move a `Socket<Kind>` onto another thread.
public protocol SocketKind: SendableMetatype {
    /// The libzmq socket type constant (`ZMQ_PUB`, …).
    static var rawType: CInt { get }
}

/// A socket type that can send messages.
public protocol SendingKind: SocketKind {}

/// A socket type that can receive messages.
public protocol ReceivingKind: SocketKind {}

/// A socket type that sends and receives in any order, so that one task can go on receiving
/// while replies computed elsewhere go out: ROUTER, DEALER, PAIR and STREAM. It is what
/// ``Socket/serve(maxConcurrentRequests:outboundCapacity:_:)`` asks for; REQ and REP, which
/// must alternate, are not.
public protocol ServingKind: SendingKind, ReceivingKind {}

/// The socket types of libzmq 4.3, as marker types for ``Socket``.
///
/// The names are ZeroMQ's own terms of art. Each type also has a readable alias, such as
/// ``PublisherSocket`` for `Socket<SocketType.Pub>`.
public enum SocketType {
    /// An exclusive pair: one peer, messages both ways. The C type is `ZMQ_PAIR`.
    public enum Pair: ServingKind {
        /// `ZMQ_PAIR`.
        public static var rawType: CInt { ZMQ_PAIR }
    }
    /// A publisher: sends every message to all matching subscribers. The C type is `ZMQ_PUB`.
    public enum Pub: SendingKind {
        /// `ZMQ_PUB`.
        public static var rawType: CInt { ZMQ_PUB }
    }
    /// A subscriber: receives the messages matching its subscriptions. The C type is `ZMQ_SUB`.
    public enum Sub: ReceivingKind {
        /// `ZMQ_SUB`.
        public static var rawType: CInt { ZMQ_SUB }
    }
    /// A requester: strictly alternates send and receive, load-balancing requests over its
    /// peers. The C type is `ZMQ_REQ`.
    public enum Req: SendingKind, ReceivingKind {
        /// `ZMQ_REQ`.
        public static var rawType: CInt { ZMQ_REQ }
    }
    /// A replier: strictly alternates receive and send, answering each request's sender.
    ///
    /// Facing untrusted peers, prefer a ROUTER: libzmq 4.3's REP can lose its next reply after
    /// a peer sends a request without the empty delimiter frame and disconnects, so an honest
    /// REQ client then waits forever (a REQ with `ZMQ_REQ_RELAXED` and `ZMQ_REQ_CORRELATE`
    /// recovers by resending).
    ///
    /// The C type is `ZMQ_REP`.
    public enum Rep: SendingKind, ReceivingKind {
        /// `ZMQ_REP`.
        public static var rawType: CInt { ZMQ_REP }
    }
    /// An asynchronous requester: load-balances outgoing and fair-queues incoming messages.
    /// The C type is `ZMQ_DEALER`.
    public enum Dealer: ServingKind {
        /// `ZMQ_DEALER`.
        public static var rawType: CInt { ZMQ_DEALER }
    }
    /// An asynchronous replier: prefixes each received message with its sender's routing id
    /// and routes outgoing messages by their first frame. The C type is `ZMQ_ROUTER`.
    public enum Router: ServingKind {
        /// `ZMQ_ROUTER`.
        public static var rawType: CInt { ZMQ_ROUTER }
    }
    /// The receiving end of a pipeline. The C type is `ZMQ_PULL`.
    public enum Pull: ReceivingKind {
        /// `ZMQ_PULL`.
        public static var rawType: CInt { ZMQ_PULL }
    }
    /// The sending end of a pipeline: load-balances messages over its peers.
    /// The C type is `ZMQ_PUSH`.
    public enum Push: SendingKind {
        /// `ZMQ_PUSH`.
        public static var rawType: CInt { ZMQ_PUSH }
    }
    /// A publisher that also receives its subscribers' subscription messages.
    /// The C type is `ZMQ_XPUB`.
    public enum XPub: SendingKind, ReceivingKind {
        /// `ZMQ_XPUB`.
        public static var rawType: CInt { ZMQ_XPUB }
    }
    /// A subscriber that subscribes by sending subscription messages.
    /// The C type is `ZMQ_XSUB`.
    public enum XSub: SendingKind, ReceivingKind {
        /// `ZMQ_XSUB`.
        public static var rawType: CInt { ZMQ_XSUB }
    }
    /// A raw TCP socket: talks to non-ZeroMQ peers, each message prefixed with the peer's
    /// routing id. The C type is `ZMQ_STREAM`.
    public enum Stream: ServingKind {
        /// `ZMQ_STREAM`.
        public static var rawType: CInt { ZMQ_STREAM }
    }
}

/// A PAIR socket. See ``SocketType/Pair``.
public typealias PairSocket = Socket<SocketType.Pair>
/// A PUB socket. See ``SocketType/Pub``.
public typealias PublisherSocket = Socket<SocketType.Pub>
/// A SUB socket. See ``SocketType/Sub``.
public typealias SubscriberSocket = Socket<SocketType.Sub>
/// A REQ socket. See ``SocketType/Req``.
public typealias RequestSocket = Socket<SocketType.Req>
/// A REP socket. See ``SocketType/Rep``.
public typealias ReplySocket = Socket<SocketType.Rep>
/// A DEALER socket. See ``SocketType/Dealer``.
public typealias DealerSocket = Socket<SocketType.Dealer>
/// A ROUTER socket. See ``SocketType/Router``.
public typealias RouterSocket = Socket<SocketType.Router>
/// A PULL socket. See ``SocketType/Pull``.
public typealias PullSocket = Socket<SocketType.Pull>
/// A PUSH socket. See ``SocketType/Push``.
public typealias PushSocket = Socket<SocketType.Push>
/// An XPUB socket. See ``SocketType/XPub``.
public typealias XPublisherSocket = Socket<SocketType.XPub>
/// An XSUB socket. See ``SocketType/XSub``.
public typealias XSubscriberSocket = Socket<SocketType.XSub>
/// A STREAM socket. See ``SocketType/Stream``.
public typealias StreamSocket = Socket<SocketType.Stream>

/// A socket type as a run-time value, as ``SocketProperty/type`` reports it.
public struct SocketTypeCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The libzmq socket type constant.
    public let rawValue: CInt

    /// Creates a code from a libzmq socket type constant.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The code of a marker type, such as `SocketTypeCode(SocketType.Pub.self)`.
    public init<Kind: SocketKind>(_ kind: Kind.Type) { self.rawValue = Kind.rawType }

    /// ZeroMQ's name for the type, such as `"PUB"`, as the ZMTP handshake spells it.
    public var description: String {
        switch rawValue {
        case ZMQ_PAIR: "PAIR"
        case ZMQ_PUB: "PUB"
        case ZMQ_SUB: "SUB"
        case ZMQ_REQ: "REQ"
        case ZMQ_REP: "REP"
        case ZMQ_DEALER: "DEALER"
        case ZMQ_ROUTER: "ROUTER"
        case ZMQ_PULL: "PULL"
        case ZMQ_PUSH: "PUSH"
        case ZMQ_XPUB: "XPUB"
        case ZMQ_XSUB: "XSUB"
        case ZMQ_STREAM: "STREAM"
        default: "socket type \(rawValue)"
        }
    }
}
