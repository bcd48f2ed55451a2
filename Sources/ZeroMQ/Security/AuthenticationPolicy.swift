/// Who an ``Authenticator`` lets in for one ZAP domain: address rules, and the CURVE clients
/// and PLAIN users it accepts.
///
/// ```swift
/// // CURVE clients with a public certificate in certs/clients, from the local network only:
/// var policy = AuthenticationPolicy.curve(.certificates(directory: "certs/clients"))
/// policy.allowedAddresses = [try IPAddressRange("192.168.1.0/24")]
/// try authenticator.setPolicy(policy)
/// ```
///
/// A request is decided in this order:
///
/// 1. **Address.** A peer whose address is in ``deniedAddresses`` is refused. Otherwise, if
///    ``allowedAddresses`` is not empty, a peer whose address is in none of its ranges is
///    refused. A deny rule wins over an allow rule for the same address. (pyzmq and czmq
///    take either list, not both; here both may be set.) A peer whose address libzmq could
///    not read (it reports an empty one) is refused by a policy with any address rule. An
///    address rule never lets a peer skip the checks below.
/// 2. **Mechanism.** A CURVE client is accepted when ``curveClients`` accepts its public key,
///    a PLAIN client when ``plainCredentials`` holds its username and password. A mechanism
///    the policy does not configure is refused: a CURVE client when ``curveClients`` is
///    `nil`, a PLAIN client when ``plainCredentials`` is `nil`. A NULL peer (no security,
///    seen only by a server socket with a ``SocketOption/zapDomain``) is accepted only when
///    the policy configures neither CURVE nor PLAIN, so that an address-only policy filters
///    NULL peers by address, as pyzmq's does. GSSAPI is always refused.
///
/// A policy is a value and is safe to share between threads. Its description never shows a
/// password.
public struct AuthenticationPolicy: Equatable, Sendable, CustomStringConvertible {
    /// The addresses a peer must come from, if any: when the list is not empty, every other
    /// address is refused. `ipc://` peers have no IP address and are refused too.
    public var allowedAddresses: [IPAddressRange]

    /// The addresses always refused, whatever else the policy says.
    public var deniedAddresses: [IPAddressRange]

    /// The CURVE clients accepted; `nil` refuses every CURVE client.
    public var curveClients: CurveClients?

    /// The PLAIN users accepted; `nil` refuses every PLAIN client.
    public var plainCredentials: PlainCredentials?

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - allowedAddresses: When not empty, the only addresses peers may come from.
    ///   - deniedAddresses: Addresses always refused.
    ///   - curveClients: The CURVE clients accepted; `nil` (the default) refuses CURVE.
    ///   - plainCredentials: The PLAIN users accepted; `nil` (the default) refuses PLAIN.
    public init(
        allowedAddresses: [IPAddressRange] = [],
        deniedAddresses: [IPAddressRange] = [],
        curveClients: CurveClients? = nil,
        plainCredentials: PlainCredentials? = nil
    ) {
        self.allowedAddresses = allowedAddresses
        self.deniedAddresses = deniedAddresses
        self.curveClients = curveClients
        self.plainCredentials = plainCredentials
    }

    /// A policy that accepts these CURVE clients and refuses every other mechanism.
    ///
    /// - Parameter clients: The clients accepted.
    /// - Returns: The policy, with no address rules.
    public static func curve(_ clients: CurveClients) -> AuthenticationPolicy {
        AuthenticationPolicy(curveClients: clients)
    }

    /// A policy that accepts these PLAIN users and refuses every other mechanism.
    ///
    /// - Parameter credentials: The usernames and passwords accepted.
    /// - Returns: The policy, with no address rules.
    public static func plain(_ credentials: PlainCredentials) -> AuthenticationPolicy {
        AuthenticationPolicy(plainCredentials: credentials)
    }

    /// A policy that filters NULL peers by address only: with `allowing` not empty, only
    /// those addresses get in; `denying` are kept out. PLAIN and CURVE are refused.
    ///
    /// It applies to server sockets that use no security mechanism but have a
    /// ``SocketOption/zapDomain``: libzmq asks the ZAP handler about their peers only then.
    ///
    /// - Parameters:
    ///   - allowing: When not empty, the only addresses peers may come from.
    ///   - denying: Addresses always refused.
    /// - Returns: The policy.
    public static func addresses(
        allowing: [IPAddressRange] = [],
        denying: [IPAddressRange] = []
    ) -> AuthenticationPolicy {
        AuthenticationPolicy(allowedAddresses: allowing, deniedAddresses: denying)
    }

    /// Whether NULL peers are accepted (after the address rules): when the policy configures
    /// neither CURVE nor PLAIN.
    public var acceptsNullMechanism: Bool { curveClients == nil && plainCredentials == nil }

    /// The policy in one line, such as `AuthenticationPolicy(curve: 2 keys, allowed:
    /// 10.0.0.0/8)`; passwords never appear.
    public var description: String {
        var parts: [String] = []
        if let curveClients { parts.append("curve: \(curveClients)") }
        if let plainCredentials { parts.append("plain: users \(plainCredentials.usernames.joined(separator: ", "))") }
        if acceptsNullMechanism { parts.append("null") }
        if !allowedAddresses.isEmpty { parts.append("allowed: " + allowedAddresses.map(\.description).joined(separator: ", ")) }
        if !deniedAddresses.isEmpty { parts.append("denied: " + deniedAddresses.map(\.description).joined(separator: ", ")) }
        return "AuthenticationPolicy(" + parts.joined(separator: "; ") + ")"
    }
}

/// The CURVE clients an ``AuthenticationPolicy`` accepts, by their long-term public key.
///
/// Every CURVE client has proved that it holds the secret key of the public key it presents
/// by the time the ZAP handler is asked; these rules decide which keys are welcome.
///
/// A value of this type is safe to share between threads.
public enum CurveClients: Hashable, Sendable, CustomStringConvertible {
    /// Any client with a valid key pair: the connection is encrypted, but anyone who knows
    /// the server's public key gets in (CurveZMQ's "Stonehouse" pattern without a key list).
    case any

    /// Only clients with one of these public keys.
    case keys(Set<CurvePublicKey>)

    /// Only clients whose public key is in a public certificate file in this directory:
    /// every `*.key` file, in the format of czmq's `zcert` and pyzmq's `zmq.auth` (see
    /// ``CurveCertificate/publicKeys(inDirectory:)``). Secret files (`*.key_secret`) are
    /// not read.
    ///
    /// The keys are read when the policy is set, and again by
    /// ``Authenticator/reloadCertificates()``: a certificate added to or removed from the
    /// directory takes effect only then. An empty directory accepts no client.
    case certificates(directory: String)

    /// `any`, `2 keys` or `certificates in <directory>`.
    public var description: String {
        switch self {
        case .any: "any"
        case .keys(let keys): keys.count == 1 ? "1 key" : "\(keys.count) keys"
        case .certificates(let directory): "certificates in \(directory)"
        }
    }
}
