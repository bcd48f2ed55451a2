import ZeroMQ

/// The frame operations zmqcat's engine needs, for one socket type.
///
/// The library gives each socket type only the operations it has (a PUB socket has no
/// `receive`), which is right for programs but leaves a generic engine nothing to call. These
/// static functions fill the gap: the engine is generic over `CatKind` and specialized for
/// each type, and it never calls an operation the type lacks (``SocketTypeName/canSend``,
/// ``SocketTypeName/canReceive``); the stand-ins for the missing ones report "would block".
protocol CatKind: SocketKind {
    /// The command-line name of the type.
    static var name: SocketTypeName { get }

    /// Sends one frame (see `Socket.send(_:_:retryOnInterrupt:)`).
    static func send(_ socket: borrowing Socket<Self>, _ message: inout Message, _ flags: SendFlags) throws(ZMQError) -> Bool

    /// Receives one frame (see `Socket.receive(into:_:retryOnInterrupt:)`).
    static func receive(_ socket: borrowing Socket<Self>, into message: inout Message, _ flags: ReceiveFlags) throws(ZMQError) -> Bool

    /// Subscribes to messages that begin with `prefix`: SUB sets the option, XSUB sends the
    /// subscription message (`0x01` and the prefix); the other types ignore it.
    static func subscribe(_ socket: borrowing Socket<Self>, to prefix: [UInt8]) throws(ZMQError)

    /// Sets what the type needs before it is attached (ROUTER: mandatory routing, so that a
    /// line for an unknown peer is reported rather than dropped in silence).
    static func prepare(_ socket: borrowing Socket<Self>) throws(ZMQError)
}

extension CatKind {
    static func subscribe(_ socket: borrowing Socket<Self>, to prefix: [UInt8]) throws(ZMQError) {}
    static func prepare(_ socket: borrowing Socket<Self>) throws(ZMQError) {}
}

extension CatKind where Self: SendingKind {
    @inline(__always)
    static func send(_ socket: borrowing Socket<Self>, _ message: inout Message, _ flags: SendFlags) throws(ZMQError) -> Bool {
        try socket.send(&message, flags)
    }
}

extension CatKind where Self: ReceivingKind {
    @inline(__always)
    static func receive(_ socket: borrowing Socket<Self>, into message: inout Message, _ flags: ReceiveFlags) throws(ZMQError) -> Bool {
        try socket.receive(into: &message, flags)
    }
}

extension SocketType.Pair: CatKind { static var name: SocketTypeName { .pair } }
extension SocketType.Req: CatKind { static var name: SocketTypeName { .req } }
extension SocketType.Rep: CatKind { static var name: SocketTypeName { .rep } }
extension SocketType.Dealer: CatKind { static var name: SocketTypeName { .dealer } }
extension SocketType.Router: CatKind {
    static var name: SocketTypeName { .router }
    static func prepare(_ socket: borrowing Socket<Self>) throws(ZMQError) {
        try socket.setMandatoryRouting(true)
    }
}
extension SocketType.XPub: CatKind { static var name: SocketTypeName { .xpub } }
extension SocketType.XSub: CatKind {
    static var name: SocketTypeName { .xsub }
    static func subscribe(_ socket: borrowing Socket<Self>, to prefix: [UInt8]) throws(ZMQError) {
        try socket.subscribe(to: prefix)
    }
}
extension SocketType.Stream: CatKind { static var name: SocketTypeName { .stream } }

extension SocketType.Pub: CatKind {
    static var name: SocketTypeName { .pub }
    /// Never called: a PUB socket receives nothing.
    static func receive(_ socket: borrowing Socket<Self>, into message: inout Message, _ flags: ReceiveFlags) throws(ZMQError) -> Bool { false }
}

extension SocketType.Push: CatKind {
    static var name: SocketTypeName { .push }
    /// Never called: a PUSH socket receives nothing.
    static func receive(_ socket: borrowing Socket<Self>, into message: inout Message, _ flags: ReceiveFlags) throws(ZMQError) -> Bool { false }
}

extension SocketType.Sub: CatKind {
    static var name: SocketTypeName { .sub }
    static func subscribe(_ socket: borrowing Socket<Self>, to prefix: [UInt8]) throws(ZMQError) {
        try socket.subscribe(to: prefix)
    }
    /// Never called: a SUB socket sends nothing.
    static func send(_ socket: borrowing Socket<Self>, _ message: inout Message, _ flags: SendFlags) throws(ZMQError) -> Bool { false }
}

extension SocketType.Pull: CatKind {
    static var name: SocketTypeName { .pull }
    /// Never called: a PULL socket sends nothing.
    static func send(_ socket: borrowing Socket<Self>, _ message: inout Message, _ flags: SendFlags) throws(ZMQError) -> Bool { false }
}
