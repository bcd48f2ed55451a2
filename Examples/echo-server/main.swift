// echo-server: the reply side of request/reply.
//
// A REP socket answers each request with exactly the frames it received, reusing one
// `Multipart` for every message. Try it with `echo-client`, or behind a queue device:
//
//     echo-server --bind tcp://*:5555
//     echo-server --connect tcp://127.0.0.1:5560      # a queue device's backend
//
// With security, an `Authenticator` decides who gets in, and logs each decision:
//
//     echo-server --bind tcp://*:5555 --curve-secret-key-file server.key_secret --allow-dir clients/
//     echo-server --bind tcp://*:5555 --plain-user alice:secret --allow-ip 10.0.0.0/8

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct EchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Answer each request with the same frames (a REP socket).",
        discussion: """
            Prints "Got <request>" for each request, frames separated by " | ", and sends the \
            frames back unchanged. A frame that is valid UTF-8 without control characters \
            (not even a tab or a newline) is shown as its text; any other frame is shown as \
            its size and its first \(FrameText.hexPrefixLength) bytes in hex, followed by \
            "..." when there are more, such as "<102400 bytes: 8f3a01c2e4d5f6a7...>" or \
            "<3 bytes: 00ff0a>". So each request is one line, and a large binary frame \
            costs no more to show than a small one.

            Security: --curve-secret-key or --curve-secret-key-file makes it a CURVE server \
            (encrypted; clients need its public key, which it prints). It then admits the \
            clients whose public keys are given with --allow, or found in the public \
            certificates (*.key) in --allow-dir; with neither, ANY client with a valid key \
            pair gets in: the traffic is encrypted, but not restricted to known clients. \
            --plain-user makes it a PLAIN server instead (user names and passwords, sent in \
            clear text). --allow-ip and --deny-ip admit or refuse clients by IP address \
            (or CIDR block), with or without CURVE or PLAIN; with --allow-ip, every other \
            address is refused. Each decision is logged on standard error; passwords and \
            secret keys are never printed.

            Standard output carries only the "Got" lines; the "bound to" status line goes to \
            standard error. Stops after --count requests, or on SIGINT or SIGTERM, and exits \
            with status 0 either way.
            """
    )

    @Option(help: ArgumentHelp("The endpoint to bind, such as tcp://*:5555.", valueName: "endpoint"))
    var bind: String?

    @Option(help: ArgumentHelp(
        "Connect to this endpoint instead of binding, such as a queue device's backend.",
        valueName: "endpoint"))
    var connect: String?

    @Option(help: "Stop after answering this many requests (default: run until interrupted).")
    var count: Int?

    @Option(name: .customLong("curve-secret-key"), parsing: .unconditional, help: ArgumentHelp(
        "Be a CURVE server with this secret key (40 characters of Z85). Other users can see it in the process list: prefer --curve-secret-key-file.",
        valueName: "z85"))
    var curveSecretKey: String?

    @Option(name: .customLong("curve-secret-key-file"), help: ArgumentHelp(
        "Be a CURVE server with the secret key in this certificate file (NAME.key_secret, mode 0600), as zmq-keygen writes it.",
        valueName: "path"))
    var curveSecretKeyFile: String?

    @Option(name: .customLong("allow"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Admit the CURVE client with this public key (Z85); repeat it for more.",
        valueName: "client-public-z85"))
    var allowedKeys: [String] = []

    @Option(name: .customLong("allow-dir"), help: ArgumentHelp(
        "Admit the CURVE clients whose public certificates (*.key) are in this directory.",
        valueName: "dir"))
    var allowedDirectory: String?

    @Option(name: .customLong("allow-ip"), help: ArgumentHelp(
        "Admit clients from this IP address or CIDR block (such as 10.0.0.0/8) only; repeat it for more.",
        valueName: "ip"))
    var allowedAddresses: [String] = []

    @Option(name: .customLong("deny-ip"), help: ArgumentHelp(
        "Refuse clients from this IP address or CIDR block; repeat it for more.",
        valueName: "ip"))
    var deniedAddresses: [String] = []

    @Option(name: .customLong("plain-user"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Be a PLAIN server that admits this user with this password; repeat it for more users.",
        valueName: "user:password"))
    var plainUsers: [String] = []

    /// Whatever else is on the command line, refused in `validate()` without being shown.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(visibility: .private))
    var unrecognized: [String] = []

    func validate() throws {
        if let error = unrecognizedArgumentError(unrecognized) { throw error }
        _ = try Attachment(bind: bind, connect: connect)
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        _ = try security()
    }

    func run() throws {
        let attachment = try Attachment(bind: bind, connect: connect)
        let security = try security()
        try Demo.run { context in
            let socket = try ReplySocket(context: context)
            // Released when the body ends (the socket first), which stops it.
            let authenticator = try security.guardServer(socket, in: context)
            try attachment.attach(socket)
            Console.error("echo-server: \(attachment)")

            var request = Multipart()
            var answered = 0
            while answered < count ?? .max {
                guard try socket.receive(into: &request) else { continue }
                var line = "Got "
                for index in 0..<request.count {
                    if index > 0 { line += " | " }
                    request.withUnsafeBytes(at: index) { line += FrameText.describe($0) }
                }
                print(line)
                // Sending empties `request`, ready for the next receive.
                try socket.send(&request)
                answered += 1
            }
            withExtendedLifetime(authenticator) {}
        }
    }

    /// The security the options ask for, checked.
    private func security() throws -> ServerSecurity {
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
        var mechanism = ServerSecurity.Mechanism.null
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
        return ServerSecurity(mechanism: mechanism, policy: policy)
    }
}

/// What guards the server: its security mechanism and who gets in.
struct ServerSecurity {
    /// Where the CURVE server's secret key comes from.
    enum SecretKeySource {
        case key(CurveSecretKey)
        case file(String)
    }

    enum Mechanism {
        case null, plain
        case curve(SecretKeySource)
    }

    /// The ZAP domain the server asks the authenticator about.
    static let domain = "echo"

    var mechanism: Mechanism
    var policy: AuthenticationPolicy

    /// Whether anything is checked at all: a mechanism, or address rules.
    var isGuarded: Bool {
        if case .null = mechanism { return !policy.allowedAddresses.isEmpty || !policy.deniedAddresses.isEmpty }
        return true
    }

    /// Configures the server socket and starts the authenticator that guards it, if any.
    ///
    /// The socket asks the authenticator under its own ZAP domain, and refuses every client
    /// should no authenticator answer (`zapEnforceDomain`) rather than let them in.
    ///
    /// - Returns: The running authenticator, or `nil` for an unguarded server.
    func guardServer(_ socket: borrowing ReplySocket, in context: Context) throws -> Authenticator? {
        guard isGuarded else { return nil }
        let authenticator = try attempt("start the authenticator") { () throws(ZMQError) in try Authenticator(context: context) }
        do {
            try authenticator.setPolicy(policy, forDomain: Self.domain)
        } catch {
            throw DemoError("cannot read the allowed clients' certificates: \(error)")
        }
        authenticator.setDecisionHandler { decision in Console.error("echo-server: \(decision)") }
        try socket.setOption(.zapDomain, Self.domain)
        try socket.setOption(.zapEnforceDomain, true)
        switch mechanism {
        case .null:
            Console.error("echo-server: no security mechanism; clients filtered by address")
        case .plain:
            try socket.setOption(.plainServer, true)
            Console.error("echo-server: PLAIN server for \(policy.plainCredentials?.usernames.joined(separator: ", ") ?? "nobody")")
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
            try socket.setOption(.curveServer, true)
            try socket.setOption(.curveSecretKey, keys.secretKey)
            let clients = switch policy.curveClients {
            case .keys(let keys)?: "\(keys.count) allowed client key\(keys.count == 1 ? "" : "s")"
            case .certificates(let directory)?: "clients with a certificate in \(directory)"
            default: "any client with a valid key pair"
            }
            Console.error("echo-server: CURVE server with public key \(keys.publicKey.z85), admitting \(clients)")
        }
        return authenticator
    }
}

/// How the echo server shows a frame in its "Got" line.
enum FrameText {
    /// How many leading bytes a binary frame's summary shows in hex.
    static let hexPrefixLength = 8

    private static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    /// The frame's text when it is printable UTF-8, otherwise a summary of it.
    ///
    /// Printable means valid UTF-8 without control characters (U+0000–U+001F, U+007F and
    /// U+0080–U+009F), so a text frame never breaks the line. A summary reads
    /// "<*size* bytes: *hex of the first 8 bytes*...>" and costs the same for any size: a
    /// random binary frame fails the control-character scan within a few bytes.
    ///
    /// - Parameter frame: The frame's bytes.
    /// - Returns: The text to print.
    static func describe(_ frame: UnsafeRawBufferPointer) -> String {
        if !containsControlCharacter(frame), let text = String(validating: frame, as: UTF8.self) {
            return text
        }
        var summary = "<\(frame.count) bytes: "
        for byte in frame.prefix(hexPrefixLength) {
            summary.unicodeScalars.append(hexDigits[Int(byte >> 4)])
            summary.unicodeScalars.append(hexDigits[Int(byte & 0x0F)])
        }
        if frame.count > hexPrefixLength { summary += "..." }
        summary += ">"
        return summary
    }

    /// Whether UTF-8 bytes encode a control character: C0 controls and DEL are single bytes,
    /// and the C1 controls U+0080–U+009F are C2 80 … C2 9F (C2 is never a continuation byte).
    private static func containsControlCharacter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) {
                return true
            }
            previous = byte
        }
        return false
    }
}

runHidingSecrets(EchoServer.self, secretOptions: ["--curve-secret-key", "--plain-user"])
