/// The endpoint a socket is bound to, as ``Socket/bind(to:)`` returns it, with wildcards
/// resolved: `tcp://127.0.0.1:*` comes back as `tcp://127.0.0.1:41235`, and
/// `ipc://*` as the path libzmq chose.
///
/// A bound endpoint is a value and is safe to share between threads.
public struct BoundEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The endpoint as bound, ready to connect to, such as `tcp://127.0.0.1:41235`.
    public let endpoint: String

    /// Creates a value from a resolved endpoint.
    ///
    /// - Parameter endpoint: The endpoint, such as `tcp://127.0.0.1:41235`.
    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// The endpoint's transport, such as `tcp`, `ipc` or `inproc`.
    public var transport: String {
        EndpointCheck.split(endpoint).map { String($0.transport) } ?? ""
    }

    /// The TCP port of a `tcp://` endpoint (or another transport with `host:port`
    /// addresses); `nil` for `ipc://` and `inproc://`.
    public var port: Int? {
        guard let (transport, address) = EndpointCheck.split(endpoint),
              transport != "ipc", transport != "inproc",
              let port = EndpointCheck.tcpPort(address) else { return nil }
        return Int(port)
    }

    /// The endpoint.
    public var description: String { endpoint }
}
