// The one socket option that belongs with the authenticator rather than in the general
// catalogue (SocketOptions.swift): it decides what a server socket does when no ZAP handler
// answers.

extension SocketOption where Value == Bool {
    /// Refuse every peer when no ZAP handler is bound in the context, instead of letting it
    /// in. Takes effect only together with a non-empty ``zapDomain``.
    ///
    /// Without it, a server socket whose context has no ZAP handler (no ``Authenticator``,
    /// or one that has stopped) accepts any CURVE client with a valid key pair, and any NULL
    /// peer; only PLAIN is refused. With it (and a ZAP domain), the handshake fails instead,
    /// so a server stays closed while its authenticator is not running.
    ///
    /// libzmq 4.3 lists this option as draft API and leaves it out of `zmq.h`, but release
    /// builds accept and honour it (checked with 4.3.4); a build without it throws
    /// ``ZMQError/invalidArgument`` here. The C option is `ZMQ_ZAP_ENFORCE_DOMAIN` (93).
    public static var zapEnforceDomain: Self {
        Self(93, "zapEnforceDomain", "ZMQ_ZAP_ENFORCE_DOMAIN", .bool)
    }
}
