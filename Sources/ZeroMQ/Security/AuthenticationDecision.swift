/// What an ``Authenticator`` decided about one peer: who asked, how, and whether it got in.
///
/// Read decisions with ``Authenticator/decisions(bufferingNewest:)`` or
/// ``Authenticator/setDecisionHandler(_:)``:
///
/// ```swift
/// for await decision in authenticator.decisions() {
///     print(decision)
///     // denied CURVE client rT$…Lq from 10.0.0.7 (domain "global"): unknown key (ZAP status 400)
/// }
/// ```
///
/// A decision names the peer by its address and by the identity it claimed: the PLAIN
/// username or the CURVE public key. It never holds a password. Text the peer chose (a
/// username) is escaped in ``description``, so a decision logged as one line stays one line.
///
/// A decision is a value and is safe to share between threads.
public struct AuthenticationDecision: Hashable, Sendable, CustomStringConvertible {
    /// Whether the peer got in.
    public enum Outcome: Hashable, Sendable {
        /// The peer got in, and its messages carry this `User-Id` (empty for NULL peers).
        case allowed(userID: String)
        /// The peer was refused.
        case denied(DenialReason)
    }

    /// Why a peer was refused.
    public enum DenialReason: Hashable, Sendable, CustomStringConvertible {
        /// No policy covers the domain: neither its own nor ``Authenticator/anyDomain``'s.
        case domainNotConfigured
        /// The peer's address is in the policy's ``AuthenticationPolicy/deniedAddresses``.
        case addressDenied
        /// The policy has ``AuthenticationPolicy/allowedAddresses`` and the peer's address is
        /// in none of them; or the policy has address rules and libzmq could not tell the
        /// peer's address (it reported none).
        case addressNotAllowed
        /// The policy does not configure the peer's security mechanism.
        case mechanismNotAllowed
        /// A PLAIN client gave a username the policy does not know.
        case unknownUser
        /// A PLAIN client gave a known username with the wrong password.
        case wrongPassword
        /// A CURVE client's public key is not among those the policy accepts.
        case unknownKey
        /// The request did not follow RFC 27; the text says how. Answered with status 500
        /// when it could be answered at all.
        case malformedRequest(String)
        /// The authenticator was stopping and refused the requests still waiting, with
        /// status 500.
        case authenticatorStopped

        /// The reason in words, such as `unknown key`.
        public var description: String {
            switch self {
            case .domainNotConfigured: "domain not configured"
            case .addressDenied: "address denied"
            case .addressNotAllowed: "address not allowed"
            case .mechanismNotAllowed: "mechanism not allowed"
            case .unknownUser: "unknown user"
            case .wrongPassword: "wrong password"
            case .unknownKey: "unknown key"
            case .malformedRequest(let what): "malformed request: \(what)"
            case .authenticatorStopped: "authenticator stopped"
            }
        }
    }

    /// The ZAP domain of the server socket that asked (its ``SocketOption/zapDomain``; empty
    /// unless set).
    public var domain: String
    /// The peer's IP address as libzmq reports it, such as `"127.0.0.1"`, without a port; for
    /// an `ipc://` peer, libzmq's `"localhost:<uid>:<gid>:<pid>"`.
    public var peerAddress: String
    /// The security mechanism the peer used.
    public var mechanism: SecurityMechanism
    /// The username a PLAIN client gave, known or not; `nil` for other mechanisms.
    public var username: String?
    /// The public key a CURVE client presented, accepted or not; `nil` for other mechanisms.
    public var clientKey: CurvePublicKey?
    /// Whether the peer got in, and why not.
    public var outcome: Outcome
    /// The ZAP status code sent back: 200 (allowed), 400 (refused) or 500 (malformed request,
    /// or the authenticator was stopping).
    public var statusCode: Int

    /// Creates a decision, for instance to test code that handles decisions.
    ///
    /// - Parameters:
    ///   - domain: The server socket's ZAP domain.
    ///   - peerAddress: The peer's address.
    ///   - mechanism: The peer's security mechanism.
    ///   - username: The PLAIN username, if any.
    ///   - clientKey: The CURVE client key, if any.
    ///   - outcome: Whether the peer got in.
    ///   - statusCode: The ZAP status code.
    public init(
        domain: String,
        peerAddress: String,
        mechanism: SecurityMechanism,
        username: String? = nil,
        clientKey: CurvePublicKey? = nil,
        outcome: Outcome,
        statusCode: Int
    ) {
        self.domain = domain
        self.peerAddress = peerAddress
        self.mechanism = mechanism
        self.username = username
        self.clientKey = clientKey
        self.outcome = outcome
        self.statusCode = statusCode
    }

    /// Whether the peer got in.
    public var isAllowed: Bool {
        if case .allowed = outcome { return true }
        return false
    }

    /// The `User-Id` the peer's messages carry, if it got in: the PLAIN username or the
    /// CURVE key in Z85, empty for a NULL peer.
    public var userID: String? {
        if case .allowed(let userID) = outcome { return userID }
        return nil
    }

    /// Why the peer was refused, if it was.
    public var denialReason: DenialReason? {
        if case .denied(let reason) = outcome { return reason }
        return nil
    }

    /// The decision in one line, such as `allowed PLAIN user "alice" from 127.0.0.1
    /// (domain "")` or `denied CURVE client <z85> from 10.0.0.7 (domain "global"): unknown
    /// key (ZAP status 400)`. Text the peer chose is quoted and escaped.
    public var description: String {
        var text = isAllowed ? "allowed " : "denied "
        text += mechanism.rawValue.debugDescription.dropFirst().dropLast()
        if let username {
            text += " user " + username.debugDescription
        } else if let clientKey {
            text += " client " + clientKey.z85
        } else {
            text += " peer"
        }
        text += " from " + (peerAddress.isEmpty ? "an unknown address" : String(peerAddress.debugDescription.dropFirst().dropLast()))
        text += " (domain \(domain.debugDescription))"
        if let reason = denialReason {
            // The reason's text of a malformed request may come from the request itself.
            text += ": " + String(reason.description.debugDescription.dropFirst().dropLast())
            text += " (ZAP status \(statusCode))"
        }
        return text
    }
}
