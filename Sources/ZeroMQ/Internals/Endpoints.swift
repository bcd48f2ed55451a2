internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// Endpoint calls (bind, connect, unbind, disconnect, monitor) and what their errors say.
//
// libzmq answers most mistakes in an endpoint with a bare EINVAL, so when a call fails this
// file looks at the endpoint again and says what is wrong with it. That work happens only on
// the failure path; a successful call costs one C-string conversion, as before.

/// Calls a libzmq endpoint function with the endpoint as a C string, and names the endpoint
/// (and, where it can tell, what is wrong with it) in the error.
///
/// An endpoint with a NUL byte would reach libzmq cut short, as another endpoint, and libzmq
/// 4.3 wraps TCP ports above 65535 (`:99999` binds port 34463), so both are refused here.
internal func withEndpoint(
    _ endpoint: String,
    _ action: ErrorContext.Action,
    _ body: (UnsafePointer<CChar>) -> CInt
) throws(ZMQError) -> CInt {
    do throws(ZMQError) {
        if let reason = EndpointCheck.refusal(endpoint) {
            throw ZMQError(.invalidArgument, reason: reason)
        }
        return try valueOrError { endpoint.withCString(body) }
    } catch {
        throw error.adding(
            action: action,
            endpoint: endpoint,
            reason: EndpointCheck.diagnosis(of: endpoint, action: action, error: error))
    }
}

/// What can be said about an endpoint without libzmq.
internal enum EndpointCheck {
    /// The transports libzmq 4.3 parses (some only in builds with them, or with the draft API).
    static let knownTransports = ["tcp", "ipc", "inproc", "pgm", "epgm", "tipc", "vmci", "norm", "udp", "ws", "wss"]

    /// Why the library refuses an endpoint before calling libzmq, or `nil` to let libzmq decide.
    static func refusal(_ endpoint: String) -> String? {
        if endpoint.utf8.contains(0) { return "the endpoint contains a NUL byte" }
        guard let (transport, address) = split(endpoint) else { return nil }
        if transport == "norm" { return normRefusal(address) }
        guard transport == "tcp" else { return nil }
        // A connect may name a source address first: `tcp://source:port;host:port`.
        for part in address.split(separator: ";", omittingEmptySubsequences: false) {
            guard let port = tcpPort(part), !port.isEmpty, port != "*" else { continue }
            guard port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), UInt16(port) != nil else {
                return "the port '\(port)' is not a number from 0 to 65535 (or * for an ephemeral port)"
            }
        }
        return nil
    }

    /// Why a `norm://` address is refused, or `nil` when it is well formed.
    ///
    /// libzmq 4.3 accepts any `norm://` address in `zmq_bind` and `zmq_connect` and parses it
    /// only when its I/O thread starts the NORM session; a failure there is an assertion that
    /// aborts the whole process. So the address, `[id,][interface;]host:port`, is checked here
    /// the way that session will read it: a decimal node id, an existing network interface, a
    /// host that is a numeric address or resolves, and a port from 1 to 65535.
    static func normRefusal(_ address: Substring) -> String? {
        var rest = address
        if let comma = rest.firstIndex(of: ",") {
            let id = rest[..<comma]
            guard !id.isEmpty, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), UInt32(id) != nil else {
                return "the NORM node id before ',' must be a decimal number below 2^32"
            }
            rest = rest[rest.index(after: comma)...]
        }
        if let semicolon = rest.firstIndex(of: ";") {
            let interface = String(rest[..<semicolon])
            guard !interface.isEmpty, interface.utf8.count < 256, if_nametoindex(interface) != 0 else {
                return "no local network interface is called '\(interface)'"
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        guard let colon = rest.lastIndex(of: ":") else {
            return "the endpoint has no port; write norm://host:port"
        }
        let host = rest[..<colon]
        let port = rest[rest.index(after: colon)...]
        guard !port.isEmpty, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = UInt16(port), number > 0 else {
            return "the port '\(port)' is not a number from 1 to 65535"
        }
        guard !host.isEmpty, host.utf8.count < 256 else { return "the endpoint has no host" }
        guard resolves(String(host)) else { return "the host '\(host)' is not an address and does not resolve" }
        return nil
    }

    /// Whether a host is a numeric IPv4 or IPv6 address, or a name the resolver knows.
    private static func resolves(_ host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0 else { return false }
        freeaddrinfo(result)
        return true
    }

    /// Why libzmq refused an endpoint, when the endpoint shows it; `nil` when it does not.
    static func diagnosis(of endpoint: String, action: ErrorContext.Action, error: ZMQError) -> String? {
        guard let (transport, address) = split(endpoint) else {
            return "the endpoint has no transport; write transport://address, such as tcp://127.0.0.1:5555"
        }
        if case .monitor = action, transport != "inproc" {
            return "a monitor publishes its events on an inproc:// endpoint only"
        }
        if error == .protocolNotSupported {
            return knownTransports.contains(String(transport))
                ? "this libzmq was built without the '\(transport)' transport"
                : "unknown transport '\(transport)'; libzmq knows \(knownTransports.prefix(8).joined(separator: ", "))"
        }
        if error == .noSuchDevice, transport == "tcp", let host = tcpHost(address) {
            return "no local network interface or address is called '\(host)'"
        }
        guard error == .invalidArgument else { return nil }
        switch transport {
        case "tcp", "ws", "wss":
            guard let port = tcpPort(address), !port.isEmpty else {
                return "the endpoint has no port; write \(transport)://host:port, or \(transport)://host:* for an ephemeral port"
            }
            guard let host = tcpHost(address), !host.isEmpty else {
                return "the endpoint has no host; use * for every interface, or name one"
            }
            if host == "*", case .connect = action { return "a connect needs a host to connect to, not *" }
            return nil
        case "ipc":
            return address.isEmpty ? "the endpoint has no path" : nil
        case "inproc":
            return address.isEmpty ? "the endpoint has no name" : nil
        default:
            return address.isEmpty ? "the endpoint has no address" : nil
        }
    }

    /// The transport and the address of `transport://address`.
    static func split(_ endpoint: String) -> (transport: Substring, address: Substring)? {
        let scalars = Array(endpoint.utf8)
        guard scalars.count >= 3,
              let offset = (0...(scalars.count - 3)).first(where: { scalars[$0..<$0 + 3].elementsEqual("://".utf8) })
        else { return nil }
        let separator = endpoint.utf8.index(endpoint.startIndex, offsetBy: offset)
        let addressStart = endpoint.utf8.index(separator, offsetBy: 3)
        return (endpoint[..<separator], endpoint[addressStart...])
    }

    /// The part of a TCP address that names the peer: after a `source;` prefix.
    private static func peerPart(_ address: Substring) -> Substring {
        address.lastIndex(of: ";").map { address[address.index(after: $0)...] } ?? address
    }

    /// The port of `host:port` (`[v6]:port` too), or `nil` when there is no colon after the host.
    static func tcpPort(_ address: Substring) -> Substring? {
        let peer = peerPart(address)
        guard let colon = peer.lastIndex(of: ":") else { return nil }
        if let bracket = peer.lastIndex(of: "]"), bracket > colon { return nil }
        return peer[peer.index(after: colon)...]
    }

    /// The host of `host:port`, without IPv6 brackets; `nil` when there is no port.
    static func tcpHost(_ address: Substring) -> Substring? {
        let peer = peerPart(address)
        guard tcpPort(address) != nil, let colon = peer.lastIndex(of: ":") else { return nil }
        var host = peer[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return host
    }
}
