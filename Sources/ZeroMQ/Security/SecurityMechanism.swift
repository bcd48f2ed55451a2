/// A ZMTP security mechanism, as a ZAP request names it: `NULL`, `PLAIN`, `CURVE` or `GSSAPI`.
///
/// A mechanism is a value and is safe to share between threads.
public struct SecurityMechanism: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The mechanism's name on the wire, such as `"CURVE"`.
    public let rawValue: String

    /// Creates a mechanism from its name on the wire.
    ///
    /// - Parameter rawValue: The name, such as `"CURVE"`.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// No security: the peer is not authenticated, though a ZAP handler may still filter it by
    /// address (only for a server socket with a ``SocketOption/zapDomain``).
    public static var null: SecurityMechanism { SecurityMechanism(rawValue: "NULL") }

    /// A username and password, sent in clear text (ZMTP-PLAIN, RFC 24).
    public static var plain: SecurityMechanism { SecurityMechanism(rawValue: "PLAIN") }

    /// Elliptic-curve encryption and authentication by public key (CurveZMQ, RFC 26).
    public static var curve: SecurityMechanism { SecurityMechanism(rawValue: "CURVE") }

    /// Kerberos through GSSAPI, which ``Authenticator`` refuses.
    public static var gssapi: SecurityMechanism { SecurityMechanism(rawValue: "GSSAPI") }

    /// The name on the wire, such as `CURVE`.
    public var description: String { rawValue }
}
