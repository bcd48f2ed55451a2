// The client side of the demos' CURVE and PLAIN flags (--curve-server-key[-file],
// --curve-secret-key[-file], --plain-user): used by echo-client and zmqcat.

import ArgumentParser
public import ZeroMQ

/// How a client authenticates to a secured server.
///
/// Built from a client's command-line flags with
/// ``init(curveServerKey:curveServerKeyFile:curveSecretKey:curveSecretKeyFile:plainUser:)``,
/// then applied with ``configure(_:name:)`` before the socket connects. Error messages never
/// quote a password or a secret key.
///
/// A value; safe to share between threads.
public enum ClientSecurity: Sendable {
    /// A key given on the command line, or the certificate file to read it from.
    public enum Source<Key: Sendable>: Sendable {
        /// The key itself.
        case value(Key)
        /// The certificate file that holds it.
        case file(String)
    }

    /// No security mechanism.
    case null
    /// A PLAIN client with this user name and password.
    case plain(username: String, password: String)
    /// A CURVE client of the server with this public key, with this secret key (a fresh
    /// key pair when `nil`).
    case curve(serverKey: Source<CurvePublicKey>, secretKey: Source<CurveSecretKey>?)

    /// Works out a client's security from its command-line flags, checking them.
    ///
    /// - Parameters:
    ///   - curveServerKey: `--curve-server-key`: the server's public key (Z85).
    ///   - curveServerKeyFile: `--curve-server-key-file`: … from its public certificate.
    ///   - curveSecretKey: `--curve-secret-key`: this client's secret key (Z85).
    ///   - curveSecretKeyFile: `--curve-secret-key-file`: … from its secret certificate.
    ///   - plainUser: `--plain-user`: `user:password`.
    /// - Throws: `ValidationError` for flags that conflict or don't parse; the message names
    ///   the flag and never quotes a key or a password.
    public init(
        curveServerKey: String?,
        curveServerKeyFile: String?,
        curveSecretKey: String?,
        curveSecretKeyFile: String?,
        plainUser: String?
    ) throws {
        if curveServerKey != nil && curveServerKeyFile != nil {
            throw ValidationError("--curve-server-key and --curve-server-key-file are mutually exclusive.")
        }
        if curveSecretKey != nil && curveSecretKeyFile != nil {
            throw ValidationError("--curve-secret-key and --curve-secret-key-file are mutually exclusive.")
        }
        let isCurve = curveServerKey != nil || curveServerKeyFile != nil
        if !isCurve && (curveSecretKey != nil || curveSecretKeyFile != nil) {
            throw ValidationError("A CURVE secret key needs the server's public key: add --curve-server-key or --curve-server-key-file.")
        }
        if let plainUser {
            if isCurve {
                throw ValidationError("--plain-user and the CURVE options are mutually exclusive: a client has one security mechanism.")
            }
            // Never quote the value: it holds a password.
            guard let colon = plainUser.firstIndex(of: ":"), colon != plainUser.startIndex else {
                throw ValidationError("--plain-user takes <user>:<password>, with a user name before the first colon.")
            }
            self = .plain(username: String(plainUser[..<colon]), password: String(plainUser[plainUser.index(after: colon)...]))
            return
        }
        guard isCurve else {
            self = .null
            return
        }
        var serverKey: Source<CurvePublicKey> = .file(curveServerKeyFile ?? "")
        if let curveServerKey {
            do { serverKey = .value(try CurvePublicKey(z85: curveServerKey)) } catch {
                throw ValidationError("--curve-server-key takes the server's public key: \(error)")
            }
        }
        var secretKey: Source<CurveSecretKey>?
        if let curveSecretKey {
            do { secretKey = .value(try CurveSecretKey(z85: curveSecretKey)) } catch {
                // The error says what is wrong without quoting the key.
                throw ValidationError("--curve-secret-key: \(error)")
            }
        } else if let curveSecretKeyFile {
            secretKey = .file(curveSecretKeyFile)
        }
        self = .curve(serverKey: serverKey, secretKey: secretKey)
    }

    /// Sets a client socket's security options, reading key files as needed.
    ///
    /// Call it before the socket connects. The mechanism (and a CURVE client's public key) is
    /// logged on standard error as `<name>: …`; no password or secret key ever is.
    ///
    /// - Parameters:
    ///   - socket: The client socket.
    ///   - name: The program's name, which begins the log line.
    /// - Throws: A ``DemoError`` when a certificate can't be read or an option can't be set.
    public func configure<Kind: SocketKind>(_ socket: borrowing Socket<Kind>, name: String) throws {
        switch self {
        case .null:
            break
        case .plain(let username, let password):
            try attempt("be a PLAIN client") { () throws(ZMQError) in
                try socket.setOption(.plainUsername, username)
                try socket.setOption(.plainPassword, password)
            }
            Console.error("\(name): PLAIN client, user \(username)")
        case .curve(let serverSource, let secretSource):
            let serverKey: CurvePublicKey
            switch serverSource {
            case .value(let key): serverKey = key
            case .file(let path): serverKey = try Self.loadCertificate(path, purpose: "the server's public key").publicKey
            }
            let keys: CurveKeyPair
            switch secretSource {
            case .value(let secretKey)?:
                keys = try attempt("use the CURVE secret key") { () throws(ZMQError) in try CurveKeyPair(secretKey: secretKey) }
            case .file(let path)?:
                guard let pair = try Self.loadCertificate(path, purpose: "this client's secret key").keyPair else {
                    throw DemoError("\(path) holds no secret key: give the NAME.key_secret file, not NAME.key")
                }
                keys = pair
            case nil:
                keys = try attempt("generate a CURVE key pair") { () throws(ZMQError) in try CurveKeyPair.generate() }
            }
            try attempt("be a CURVE client") { () throws(ZMQError) in
                try socket.setOption(.curveServerKey, serverKey)
                try socket.setOption(.curvePublicKey, keys.publicKey)
                try socket.setOption(.curveSecretKey, keys.secretKey)
            }
            Console.error("\(name): CURVE client with public key \(keys.publicKey.z85)\(secretSource == nil ? " (a fresh key pair)" : "")")
        }
    }

    private static func loadCertificate(_ path: String, purpose: String) throws -> CurveCertificate {
        do {
            return try CurveCertificate(contentsOf: path)
        } catch {
            throw DemoError("cannot read \(purpose): \(error)")
        }
    }
}

extension MonitorEvent.HandshakeFailure {
    /// The error a client reports when this failure means the server refused it for good,
    /// or `nil` when it may pass (the client reconnects and tries again).
    ///
    /// A refusal is an authentication failure (the ZAP handler's status, such as 400) or a
    /// mechanism mismatch (the server uses another security mechanism).
    public var clientRefusal: DemoError? {
        switch self {
        case .authentication(let status):
            DemoError("authentication refused by the server (ZAP status \(status))")
        case .protocol(.mechanismMismatch):
            DemoError("the server refused the handshake: it uses another security mechanism than this client")
        default:
            nil
        }
    }

    /// What a client's timeout message adds when this failure happened along the way, such
    /// as "; the handshake failed: …".
    public var timeoutNote: String {
        switch self {
        case .noDetail(let error):
            "; the handshake failed (\(error)): is it a CURVE server, and its public key the one given?"
        case .protocol(let error):
            "; the handshake failed: \(error)"
        case .authentication(let status):
            "; authentication was refused (ZAP status \(status))"
        }
    }
}
