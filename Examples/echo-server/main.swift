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
            let authenticator = try security.guardServer(socket, in: context, name: "echo-server", domain: "echo")
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
        try ServerSecurity(
            curveSecretKey: curveSecretKey,
            curveSecretKeyFile: curveSecretKeyFile,
            allowedKeys: allowedKeys,
            allowedDirectory: allowedDirectory,
            allowedAddresses: allowedAddresses,
            deniedAddresses: deniedAddresses,
            plainUsers: plainUsers)
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
