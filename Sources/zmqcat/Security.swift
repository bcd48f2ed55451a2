import ArgumentParser
import ExampleSupport
import ZeroMQ

/// zmqcat's security: a server's or a client's, by the role its endpoints give it.
///
/// A zmqcat that only binds is the server (CURVE with its secret key, PLAIN users, address
/// rules, all checked by an ``Authenticator``, exactly as `echo-server`); one that only
/// connects is the client (as `echo-client`). The flags are theirs, and so is the code
/// (ExampleSupport's ``ServerSecurity`` and ``ClientSecurity``).
enum Security: Sendable {
    /// No security flags.
    case none
    /// A server's.
    case server(ServerSecurity)
    /// A client's.
    case client(ClientSecurity)

    /// The ZAP domain a zmqcat server asks its authenticator about.
    static let domain = "zmqcat"

    /// Applies it to the socket before it is attached.
    ///
    /// - Parameters:
    ///   - socket: The socket.
    ///   - context: The context to run a server's authenticator in.
    /// - Returns: The authenticator, to keep until the socket is closed, or `nil`.
    /// - Throws: A `DemoError` when a certificate can't be read or an option can't be set.
    func apply<Kind: SocketKind>(to socket: borrowing Socket<Kind>, in context: Context) throws -> Authenticator? {
        switch self {
        case .none:
            return nil
        case .server(let security):
            return try security.guardServer(socket, in: context, name: "zmqcat", domain: Self.domain)
        case .client(let security):
            try security.configure(socket, name: "zmqcat")
            return nil
        }
    }
}

/// The security flags, with the names `echo-server` and `echo-client` give them.
struct SecurityOptions: ParsableArguments {
    @Option(name: .customLong("curve-server-key"), parsing: .unconditional, help: ArgumentHelp(
        "Client: be a CURVE client of the server with this public key (40 characters of Z85).",
        valueName: "z85"))
    var curveServerKey: String?

    @Option(name: .customLong("curve-server-key-file"), help: ArgumentHelp(
        "Client: … of the server whose public key is in this certificate file (NAME.key).",
        valueName: "path"))
    var curveServerKeyFile: String?

    @Option(name: .customLong("curve-secret-key"), parsing: .unconditional, help: ArgumentHelp(
        "Server: be a CURVE server with this secret key; client: this client's secret key (a fresh key pair when absent). 40 characters of Z85, visible in the process list: prefer --curve-secret-key-file.",
        valueName: "z85"))
    var curveSecretKey: String?

    @Option(name: .customLong("curve-secret-key-file"), help: ArgumentHelp(
        "The CURVE secret key, from a certificate file (NAME.key_secret, mode 0600), as zmq-keygen writes it.",
        valueName: "path"))
    var curveSecretKeyFile: String?

    @Option(name: .customLong("allow"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Server: admit the CURVE client with this public key (Z85); repeatable.",
        valueName: "client-public-z85"))
    var allowedKeys: [String] = []

    @Option(name: .customLong("allow-dir"), help: ArgumentHelp(
        "Server: admit the CURVE clients whose public certificates (*.key) are in this directory.",
        valueName: "dir"))
    var allowedDirectory: String?

    @Option(name: .customLong("allow-ip"), help: ArgumentHelp(
        "Server: admit clients from this IP address or CIDR block only; repeatable.", valueName: "ip"))
    var allowedAddresses: [String] = []

    @Option(name: .customLong("deny-ip"), help: ArgumentHelp(
        "Server: refuse clients from this IP address or CIDR block; repeatable.", valueName: "ip"))
    var deniedAddresses: [String] = []

    @Option(name: .customLong("plain-user"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Server: be a PLAIN server admitting this user (repeatable); client: be a PLAIN client with this user and password.",
        valueName: "user:password"))
    var plainUsers: [String] = []

    /// Whether any security flag is given.
    var isEmpty: Bool {
        curveServerKey == nil && curveServerKeyFile == nil && curveSecretKey == nil && curveSecretKeyFile == nil
            && allowedKeys.isEmpty && allowedDirectory == nil && allowedAddresses.isEmpty
            && deniedAddresses.isEmpty && plainUsers.isEmpty
    }

    /// The security the flags ask for, for a socket that binds (`isServer`) or connects.
    ///
    /// - Parameters:
    ///   - binds: Whether the socket binds any endpoint.
    ///   - connects: Whether it connects to any.
    /// - Throws: `ValidationError` for flags of the other role, flags with both --bind and
    ///   --connect, or flags that conflict or don't parse. No secret is ever quoted.
    func security(binds: Bool, connects: Bool) throws -> Security {
        guard !isEmpty else { return .none }
        if binds && connects {
            throw ValidationError("the security options need one role: a server that only binds, or a client that only connects.")
        }
        if binds {
            if curveServerKey != nil || curveServerKeyFile != nil {
                throw ValidationError("--curve-server-key and --curve-server-key-file are for a client (--connect); a server (--bind) gives its own --curve-secret-key.")
            }
            return .server(try ServerSecurity(
                curveSecretKey: curveSecretKey,
                curveSecretKeyFile: curveSecretKeyFile,
                allowedKeys: allowedKeys,
                allowedDirectory: allowedDirectory,
                allowedAddresses: allowedAddresses,
                deniedAddresses: deniedAddresses,
                plainUsers: plainUsers))
        }
        if !allowedKeys.isEmpty || allowedDirectory != nil || !allowedAddresses.isEmpty || !deniedAddresses.isEmpty {
            throw ValidationError("--allow, --allow-dir, --allow-ip and --deny-ip are for a server (--bind), not a client (--connect).")
        }
        if plainUsers.count > 1 {
            throw ValidationError("a client (--connect) takes one --plain-user.")
        }
        return .client(try ClientSecurity(
            curveServerKey: curveServerKey,
            curveServerKeyFile: curveServerKeyFile,
            curveSecretKey: curveSecretKey,
            curveSecretKeyFile: curveSecretKeyFile,
            plainUser: plainUsers.first))
    }
}
