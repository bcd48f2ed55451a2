import ArgumentParser
public import ZeroMQ

/// How a demo socket reaches its peers: by binding an endpoint, or by connecting to one.
///
/// ZeroMQ lets either side of a connection bind. The servers bind by default, and connect
/// instead when a device sits in the middle and binds both of its own endpoints (an echo
/// server connecting to a queue device's backend, for example).
public enum Attachment: Hashable, Sendable, CustomStringConvertible {
    /// Bind the endpoint and accept connections on it.
    case bind(String)
    /// Connect to an endpoint that another process binds.
    case connect(String)

    /// Chooses the attachment from a demo's `--bind` and `--connect` options.
    ///
    /// - Parameters:
    ///   - bind: The `--bind` value, if given.
    ///   - connect: The `--connect` value, if given.
    /// - Throws: `ValidationError` unless exactly one of the two is given.
    public init(bind: String?, connect: String?) throws {
        switch (bind, connect) {
        case let (endpoint?, nil): self = .bind(endpoint)
        case let (nil, endpoint?): self = .connect(endpoint)
        case (nil, nil): throw ValidationError("Give an endpoint with --bind (or --connect).")
        case (_?, _?): throw ValidationError("Give either --bind or --connect, not both.")
        }
    }

    /// The endpoint to bind or connect to.
    public var endpoint: String {
        switch self {
        case .bind(let endpoint), .connect(let endpoint): endpoint
        }
    }

    /// "bound to *endpoint*" or "connected to *endpoint*".
    public var description: String {
        switch self {
        case .bind(let endpoint): "bound to \(endpoint)"
        case .connect(let endpoint): "connected to \(endpoint)"
        }
    }

    /// Binds or connects a socket.
    ///
    /// - Parameter socket: The socket to attach.
    /// - Throws: A ``DemoError`` such as "cannot bind to 'foo': Invalid argument (EINVAL)",
    ///   or ``ZMQError/contextTerminated``.
    public func attach<Kind: SocketKind>(_ socket: borrowing Socket<Kind>) throws {
        switch self {
        case .bind(let endpoint):
            try attempt("bind to '\(endpoint)'") { () throws(ZMQError) in try socket.bind(to: endpoint) }
        case .connect(let endpoint):
            try attempt("connect to '\(endpoint)'") { () throws(ZMQError) in try socket.connect(to: endpoint) }
        }
    }
}
