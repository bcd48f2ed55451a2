#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Works out the peer address of the TCP connections a monitor reports, and remembers it for
/// the connection's later events.
///
/// libzmq's events carry a file descriptor, not an address, and by the time an event is read
/// the descriptor may be closed (always so for `disconnected`) or even reused by another
/// connection. So the address is read once, when `connected` or `accepted` is received, and
/// only if the descriptor still looks like that connection: a TCP socket whose local address
/// (for `accepted`, the listener's) or remote address (for `connected`, the endpoint's)
/// matches the event's endpoint. It is then remembered per descriptor until `disconnected`,
/// `closed` or the end of monitoring, and lent to the handshake events of an endpoint that has
/// exactly that one connection open.
internal struct PeerTracker {
    private struct Connection {
        var endpoint: String
        var peer: String
    }

    /// The open connections whose peer is known, by descriptor.
    private var connections: [Int32: Connection] = [:]
    /// The descriptors of those connections, by endpoint.
    private var descriptorsByEndpoint: [String: Set<Int32>] = [:]

    init() {}

    /// Builds the event for `kind` on `endpoint`, with the peer address where it can be
    /// told, and updates what is remembered.
    mutating func event(_ kind: MonitorEvent.Kind, endpoint: String) -> MonitorEvent {
        var peer: String?
        switch kind {
        case .connected(let fd), .accepted(let fd):
            forget(fd)
            peer = Self.peerAddress(of: kind, endpoint: endpoint)
            if let peer { remember(fd, Connection(endpoint: endpoint, peer: peer)) }
        case .disconnected(let fd):
            if let connection = connections[fd], connection.endpoint == endpoint { peer = connection.peer }
            forget(fd)
        case .closed(let fd):
            // A listener's or connecter's descriptor: whatever connection had that number is gone.
            forget(fd)
        case .handshakeSucceeded, .handshakeFailed:
            if let open = descriptorsByEndpoint[endpoint], open.count == 1, let fd = open.first {
                peer = connections[fd]?.peer
            }
        case .monitorStopped:
            connections.removeAll()
            descriptorsByEndpoint.removeAll()
        default:
            break
        }
        return MonitorEvent(kind: kind, endpoint: endpoint, peerAddress: peer)
    }

    private mutating func remember(_ fd: Int32, _ connection: Connection) {
        connections[fd] = connection
        descriptorsByEndpoint[connection.endpoint, default: []].insert(fd)
    }

    private mutating func forget(_ fd: Int32) {
        guard let connection = connections.removeValue(forKey: fd) else { return }
        descriptorsByEndpoint[connection.endpoint]?.remove(fd)
        if descriptorsByEndpoint[connection.endpoint]?.isEmpty == true {
            descriptorsByEndpoint.removeValue(forKey: connection.endpoint)
        }
    }

    /// The peer address of a `connected` or `accepted` event's connection, read from its
    /// descriptor now, or `nil` when it is not a TCP connection or the descriptor no longer
    /// matches the endpoint.
    static func peerAddress(of kind: MonitorEvent.Kind, endpoint: String) -> String? {
        guard let target = TCPEndpoint(endpoint) else { return nil }
        switch kind {
        case .accepted(let fd):
            // The connection was accepted on the listener, so its local address is the
            // listener's (any local address for a wildcard bind).
            guard let local = TCPAddress(of: fd, remote: false), local.port == target.port,
                  target.isWildcard || target.numericHost.map({ $0 == local.host }) ?? true,
                  let peer = TCPAddress(of: fd, remote: true)
            else { return nil }
            return peer.formatted
        case .connected(let fd):
            // A connecter has one connection, to the endpoint itself.
            if let peer = TCPAddress(of: fd, remote: true), peer.port == target.port,
               target.numericHost.map({ $0 == peer.host }) ?? true {
                return peer.formatted
            }
            // The descriptor is already closed (or reused): a numeric endpoint still names
            // the peer.
            guard let host = target.numericHost, !target.isWildcard else { return nil }
            return TCPAddress(host: host, port: target.port).formatted
        default:
            return nil
        }
    }
}

/// The host and port of a `tcp://` endpoint as libzmq reports it: `tcp://127.0.0.1:5555`,
/// `tcp://[::1]:5555`, `tcp://localhost:5555`, or `tcp://source;host:port` with a source
/// address.
private struct TCPEndpoint {
    var host: String
    var port: UInt16
    /// The host in the form `TCPAddress` prints, if it is a numeric address.
    var numericHost: String?

    init?(_ endpoint: String) {
        guard let (transport, address) = EndpointCheck.split(endpoint), transport == "tcp",
              let portText = EndpointCheck.tcpPort(address), let port = UInt16(portText),
              let host = EndpointCheck.tcpHost(address)
        else { return nil }
        self.host = String(host)
        self.port = port
        self.numericHost = TCPAddress.normalized(numericHost: self.host)
    }

    /// Whether the host is "any address" (`*`, `0.0.0.0`, `::`).
    var isWildcard: Bool { host == "*" || numericHost == "0.0.0.0" || numericHost == "::" }
}

/// An IPv4 or IPv6 address and port, as a TCP socket reports it.
private struct TCPAddress {
    /// The numeric host, with an IPv4-mapped IPv6 address shown as IPv4.
    var host: String
    var port: UInt16

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, or `[host]:port` for IPv6.
    var formatted: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Reads a descriptor's remote (`getpeername`) or local (`getsockname`) address, if the
    /// descriptor is an open TCP socket.
    init?(of fd: Int32, remote: Bool) {
        var type: CInt = 0
        var typeSize = socklen_t(MemoryLayout<CInt>.size)
        guard fd >= 0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeSize) == 0,
              type == streamSocketType
        else { return nil }
        var storage = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                remote ? getpeername(fd, address, &size) : getsockname(fd, address, &size)
            }
        }
        guard result == 0 else { return nil }
        switch CInt(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            guard let host = withUnsafeBytes(of: address.sin_addr, { Self.format($0, family: AF_INET) })
            else { return nil }
            self.init(host: host, port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            guard let host = withUnsafeBytes(of: address.sin6_addr, { Self.format($0, family: AF_INET6) })
            else { return nil }
            self.init(host: Self.unmapped(host), port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }

    /// A numeric host in the form `init(of:remote:)` prints it (so that spellings such as
    /// `::1` and `0:0::1` compare equal), or `nil` if it is not numeric.
    static func normalized(numericHost host: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: v4) { format($0, family: AF_INET) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: v6) { format($0, family: AF_INET6) }.map(unmapped)
        }
        return nil
    }

    /// Formats an `in_addr` or `in6_addr` with `inet_ntop`.
    private static func format(_ address: UnsafeRawBufferPointer, family: CInt) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let count = buffer.count
        guard inet_ntop(family, address.baseAddress, &buffer, socklen_t(count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `::ffff:1.2.3.4` as `1.2.3.4`.
    private static func unmapped(_ host: String) -> String {
        let prefix = "::ffff:"
        guard host.lowercased().hasPrefix(prefix), host.contains(".") else { return host }
        return String(host.dropFirst(prefix.count))
    }
}

#if canImport(Glibc)
private let streamSocketType = CInt(SOCK_STREAM.rawValue)
#else
private let streamSocketType = CInt(SOCK_STREAM)
#endif
