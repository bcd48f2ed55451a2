// The server side of the demos' CURVE and PLAIN flags (--curve-secret-key[-file], --allow,
// --allow-dir, --allow-ip, --deny-ip, --plain-user): used by echo-server and zmqcat.

import ArgumentParser
public import ZeroMQ

/// What guards a server socket: its security mechanism, and who gets in.
///
/// Built from a server's command-line flags with
/// ``init(curveSecretKey:curveSecretKeyFile:allowedKeys:allowedDirectory:allowedAddresses:deniedAddresses:plainUsers:)``,
/// which checks them against each other, then applied to the socket with
/// ``guardServer(_:in:name:domain:)`` before it binds. Error messages never quote a
/// password or a secret key.
///
/// A value; safe to share between threads.
public struct ServerSecurity: Sendable {
    /// Where a CURVE server's secret key comes from.
    public enum SecretKeySource: Sendable {
        /// The key itself (`--curve-secret-key`).
        case key(CurveSecretKey)
        /// The secret certificate file to read it from (`--curve-secret-key-file`).
        case file(String)
    }

    /// The security mechanism.
    public enum Mechanism: Sendable {
        /// No mechanism (clients may still be filtered by address).
        case null
        /// PLAIN: user names and passwords, in clear text.
        case plain
        /// CURVE: encrypted, with this secret key.
        case curve(SecretKeySource)
    }

    /// The mechanism.
    public var mechanism: Mechanism
    /// Who gets in: addresses, PLAIN users, CURVE clients.
    public var policy: AuthenticationPolicy

    /// Creates a server's security from its parts.
    ///
    /// - Parameters:
    ///   - mechanism: The mechanism.
    ///   - policy: Who gets in.
    public init(mechanism: Mechanism, policy: AuthenticationPolicy) {
        self.mechanism = mechanism
        self.policy = policy
    }

    /// Works out a server's security from its command-line flags, checking them.
    ///
    /// - Parameters:
    ///   - curveSecretKey: `--curve-secret-key`: be a CURVE server with this Z85 secret key.
    ///   - curveSecretKeyFile: `--curve-secret-key-file`: … with the key in this certificate.
    ///   - allowedKeys: `--allow`: the CURVE clients' public keys to admit (Z85).
    ///   - allowedDirectory: `--allow-dir`: admit the CURVE clients with a public certificate
    ///     in this directory.
    ///   - allowedAddresses: `--allow-ip`: admit only these addresses or CIDR blocks.
    ///   - deniedAddresses: `--deny-ip`: refuse these addresses or CIDR blocks.
    ///   - plainUsers: `--plain-user`: be a PLAIN server admitting these `user:password`s.
    /// - Throws: `ValidationError` for flags that conflict or don't parse; the message names
    ///   the flag and never quotes a key or a password.
    public init(
        curveSecretKey: String?,
        curveSecretKeyFile: String?,
        allowedKeys: [String],
        allowedDirectory: String?,
        allowedAddresses: [String],
        deniedAddresses: [String],
        plainUsers: [String]
    ) throws {
        if curveSecretKey != nil && curveSecretKeyFile != nil {
            throw ValidationError("--curve-secret-key and --curve-secret-key-file are mutually exclusive.")
        }
        let isCurve = curveSecretKey != nil || curveSecretKeyFile != nil
        if !allowedKeys.isEmpty && allowedDirectory != nil {
            throw ValidationError("--allow and --allow-dir are mutually exclusive.")
        }
        if !isCurve && (!allowedKeys.isEmpty || allowedDirectory != nil) {
            throw ValidationError("--allow and --allow-dir need a CURVE server: add --curve-secret-key or --curve-secret-key-file.")
        }
        if isCurve && !plainUsers.isEmpty {
            throw ValidationError("--plain-user and the CURVE options are mutually exclusive: a server has one security mechanism.")
        }
        var policy = AuthenticationPolicy()
        do {
            policy.allowedAddresses = try allowedAddresses.map { (text) throws(ZMQError) in try IPAddressRange(text) }
            policy.deniedAddresses = try deniedAddresses.map { (text) throws(ZMQError) in try IPAddressRange(text) }
        } catch {
            throw ValidationError("--allow-ip and --deny-ip take an IP address or CIDR block: \(error)")
        }
        var mechanism = Mechanism.null
        if let curveSecretKey {
            let key: CurveSecretKey
            do { key = try CurveSecretKey(z85: curveSecretKey) } catch {
                // The error says what is wrong without quoting the key.
                throw ValidationError("--curve-secret-key: \(error)")
            }
            mechanism = .curve(.key(key))
        } else if let curveSecretKeyFile {
            mechanism = .curve(.file(curveSecretKeyFile))
        } else if !plainUsers.isEmpty {
            var users = PlainCredentials()
            for entry in plainUsers {
                // Never quote the entry: it holds a password.
                guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                    throw ValidationError("--plain-user takes <user>:<password>, with a user name before the first colon.")
                }
                users.setPassword(String(entry[entry.index(after: colon)...]), forUser: String(entry[..<colon]))
            }
            policy.plainCredentials = users
            mechanism = .plain
        }
        if case .curve = mechanism {
            if !allowedKeys.isEmpty {
                do {
                    policy.curveClients = .keys(Set(try allowedKeys.map { (text) throws(ZMQError) in try CurvePublicKey(z85: text) }))
                } catch {
                    throw ValidationError("--allow takes a client's public key: \(error)")
                }
            } else if let allowedDirectory {
                policy.curveClients = .certificates(directory: allowedDirectory)
            } else {
                policy.curveClients = .any
            }
        }
        self.init(mechanism: mechanism, policy: policy)
    }

    /// Whether anything is checked at all: a mechanism, or address rules.
    public var isGuarded: Bool {
        if case .null = mechanism { return !policy.allowedAddresses.isEmpty || !policy.deniedAddresses.isEmpty }
        return true
    }

    /// Configures a server socket and starts the authenticator that guards it, if any.
    ///
    /// Call it before the socket binds. The socket asks the authenticator under `domain`, and
    /// refuses every client should no authenticator answer (`zapEnforceDomain`) rather than
    /// let them in. Each decision, and the mechanism (with a CURVE server's public key), is
    /// logged on standard error as `<name>: …`; no password or secret key ever is.
    ///
    /// - Parameters:
    ///   - socket: The server socket.
    ///   - context: The context to run the authenticator in.
    ///   - name: The program's name, which begins each log line.
    ///   - domain: The ZAP domain.
    /// - Returns: The running authenticator, which stops when released (keep it until the
    ///   socket is closed), or `nil` for an unguarded server.
    /// - Throws: A ``DemoError`` when the authenticator can't start, a certificate can't be
    ///   read, or an option can't be set.
    public func guardServer<Kind: SocketKind>(
        _ socket: borrowing Socket<Kind>,
        in context: Context,
        name: String,
        domain: String
    ) throws -> Authenticator? {
        guard isGuarded else { return nil }
        let authenticator = try attempt("start the authenticator") { () throws(ZMQError) in try Authenticator(context: context) }
        do {
            try authenticator.setPolicy(policy, forDomain: domain)
        } catch {
            throw DemoError("cannot read the allowed clients' certificates: \(error)")
        }
        authenticator.setDecisionHandler { decision in Console.error("\(name): \(decision)") }
        try attempt("set the ZAP domain") { () throws(ZMQError) in
            try socket.setOption(.zapDomain, domain)
            try socket.setOption(.zapEnforceDomain, true)
        }
        switch mechanism {
        case .null:
            Console.error("\(name): no security mechanism; clients filtered by address")
        case .plain:
            try attempt("be a PLAIN server") { () throws(ZMQError) in try socket.setOption(.plainServer, true) }
            Console.error("\(name): PLAIN server for \(policy.plainCredentials?.usernames.joined(separator: ", ") ?? "nobody")")
        case .curve(let source):
            let keys: CurveKeyPair
            switch source {
            case .key(let secretKey):
                keys = try attempt("use the CURVE secret key") { () throws(ZMQError) in try CurveKeyPair(secretKey: secretKey) }
            case .file(let path):
                let certificate: CurveCertificate
                do {
                    certificate = try CurveCertificate(contentsOf: path)
                } catch {
                    throw DemoError("cannot read the server's secret key: \(error)")
                }
                guard let pair = certificate.keyPair else {
                    throw DemoError("\(path) holds no secret key: give the NAME.key_secret file, not NAME.key")
                }
                keys = pair
            }
            try attempt("be a CURVE server") { () throws(ZMQError) in
                try socket.setOption(.curveServer, true)
                try socket.setOption(.curveSecretKey, keys.secretKey)
            }
            let clients = switch policy.curveClients {
            case .keys(let keys)?: "\(keys.count) allowed client key\(keys.count == 1 ? "" : "s")"
            case .certificates(let directory)?: "clients with a certificate in \(directory)"
            default: "any client with a valid key pair"
            }
            Console.error("\(name): CURVE server with public key \(keys.publicKey.z85), admitting \(clients)")
        }
        return authenticator
    }
}
