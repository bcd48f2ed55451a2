// echo-client: the request side of request/reply.
//
// A REQ socket connected to one or more servers sends "msg 0", "msg 1", … and waits for
// each reply, as the Guide's classic client does. Connected to several servers, it spreads
// its requests over them in turn: with two, the first gets msg 0, 2, 4 … and the second
// msg 1, 3, 5 ….
//
//     echo-client --connect tcp://127.0.0.1:5555 --connect tcp://127.0.0.1:5556 --count 10
//
// Against a secured echo-server, as a CURVE or a PLAIN client:
//
//     echo-client --connect tcp://127.0.0.1:5555 --curve-server-key-file server.key \
//                 --curve-secret-key-file client.key_secret
//     echo-client --connect tcp://127.0.0.1:5555 --plain-user alice:secret

import ArgumentParser
import ExampleSupport
import ZeroMQ

struct EchoClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Send numbered requests and wait for each reply (a REQ socket).",
        discussion: """
            Prints "Sending msg <i>" before each request and "Received msg <i>" after its \
            reply, for i from 0 to --count - 1; nothing else goes to standard output (the \
            "connected to" status line goes to standard error). With several --connect \
            endpoints the requests go to them in turn. Fails with status 1 if a reply takes \
            longer than --timeout-ms, or differs from its request.

            Security: --curve-server-key or --curve-server-key-file (the server's public \
            certificate, NAME.key) makes it a CURVE client; its own key pair comes from \
            --curve-secret-key or --curve-secret-key-file, or is generated afresh (its public \
            key is then printed, for the server to --allow). --plain-user makes it a PLAIN \
            client. When the server refuses it, it fails at once, saying that authentication \
            was refused and with which ZAP status. Passwords and secret keys are never printed.
            """
    )

    @Option(
        name: .customLong("connect"),
        help: ArgumentHelp(
            "An endpoint to connect to, such as tcp://127.0.0.1:5555; repeat it to spread requests over several servers.",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(help: "The number of requests to send.")
    var count = 10

    @Option(name: .customLong("timeout-ms"), help: "How long to wait for each reply, in milliseconds.")
    var timeoutMilliseconds = 5000

    @Option(name: .customLong("curve-server-key"), parsing: .unconditional, help: ArgumentHelp(
        "Be a CURVE client of the server with this public key (40 characters of Z85).",
        valueName: "z85"))
    var curveServerKey: String?

    @Option(name: .customLong("curve-server-key-file"), help: ArgumentHelp(
        "Be a CURVE client of the server whose public key is in this certificate file (NAME.key).",
        valueName: "path"))
    var curveServerKeyFile: String?

    @Option(name: .customLong("curve-secret-key"), parsing: .unconditional, help: ArgumentHelp(
        "This client's CURVE secret key (40 characters of Z85); a fresh key pair when absent. Other users can see it in the process list: prefer --curve-secret-key-file.",
        valueName: "z85"))
    var curveSecretKey: String?

    @Option(name: .customLong("curve-secret-key-file"), help: ArgumentHelp(
        "This client's CURVE secret key, from its certificate file (NAME.key_secret, mode 0600).",
        valueName: "path"))
    var curveSecretKeyFile: String?

    @Option(name: .customLong("plain-user"), parsing: .unconditional, help: ArgumentHelp(
        "Be a PLAIN client with this user name and password.",
        valueName: "user:password"))
    var plainUser: String?

    /// Whatever else is on the command line, refused in `validate()` without being shown.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(visibility: .private))
    var unrecognized: [String] = []

    func validate() throws {
        if let error = unrecognizedArgumentError(unrecognized) { throw error }
        if endpoints.isEmpty { throw ValidationError("Give at least one endpoint with --connect.") }
        if count < 1 { throw ValidationError("--count must be at least 1.") }
        if !(1...Int(Int32.max)).contains(timeoutMilliseconds) {
            throw ValidationError("--timeout-ms must be from 1 to \(Int32.max).")
        }
        _ = try security()
    }

    func run() throws {
        let security = try security()
        try Demo.run { context in
            let timeout = Duration.milliseconds(timeoutMilliseconds)
            let socket = try RequestSocket(context: context)
            try socket.setOption(.receiveTimeout, timeout)
            try socket.setOption(.sendTimeout, timeout)
            // Every request that matters has been answered by the time the socket closes.
            try socket.setOption(.linger, .zero)
            try security.configure(socket, name: "echo-client")
            // Handshake failures tell a refusal from a silent server.
            var monitor = try socket.monitor(events: .handshakeFailed)
            for endpoint in endpoints {
                try attempt("connect to '\(endpoint)'") { () throws(ZMQError) in try socket.connect(to: endpoint) }
            }
            Console.error("echo-client: connected to \(endpoints.joined(separator: ", "))")

            var waiter = ReplyWaiter(socket: socket, monitor: monitor)
            var reply = Message()
            for number in 0..<count {
                let request = "msg \(number)"
                print("Sending \(request)")
                guard try waiter.send(request, on: socket, monitor: &monitor, timeout: timeout) else {
                    throw DemoError("could not send '\(request)' within \(timeoutMilliseconds) ms" + waiter.lastFailureNote)
                }
                guard try waiter.receive(into: &reply, from: socket, monitor: &monitor, timeout: timeout) else {
                    throw DemoError("no reply to '\(request)' within \(timeoutMilliseconds) ms" + waiter.lastFailureNote)
                }
                let text = reply.string
                print("Received \(text)")
                guard text == request else {
                    throw DemoError("the reply '\(text)' does not match the request '\(request)'")
                }
            }
        }
    }

    /// The security the options ask for, checked.
    private func security() throws -> ClientSecurity {
        try ClientSecurity(
            curveServerKey: curveServerKey,
            curveServerKeyFile: curveServerKeyFile,
            curveSecretKey: curveSecretKey,
            curveSecretKeyFile: curveSecretKeyFile,
            plainUser: plainUser)
    }
}

/// Sends a request and waits for its reply, watching the socket's monitor meanwhile, so that
/// a server that refuses the client ends the wait at once with the reason: while waiting for
/// the reply, or before the request could even be sent (a refused connection is gone, and
/// a REQ socket with no connection can't send).
struct ReplyWaiter: ~Copyable {
    private var poller = Poller(capacity: 3)
    private let socketItem: Int
    /// The socket again, for writability: a REQ socket is writable only before its request,
    /// so this item is quiet while a reply is awaited.
    private let sendItem: Int
    private let monitorItem: Int
    /// The last handshake failure that was not final (the client reconnects after it).
    private var lastFailure: MonitorEvent.HandshakeFailure?

    init(socket: borrowing RequestSocket, monitor: borrowing SocketMonitor) {
        socketItem = poller.add(socket)
        sendItem = poller.add(socket, events: .writable)
        monitorItem = poller.add(monitor.socket)
    }

    /// What the timeout message adds when a handshake failed along the way.
    var lastFailureNote: String {
        lastFailure?.timeoutNote ?? ""
    }

    /// Sends a request, waiting at most `timeout` from now for the socket to take it.
    ///
    /// - Returns: `true` once sent, `false` when it could not be sent in time.
    /// - Throws: A ``DemoError`` when the server refuses the client (see
    ///   ``receive(into:from:monitor:timeout:)``).
    mutating func send(
        _ request: String,
        on socket: borrowing RequestSocket,
        monitor: inout SocketMonitor,
        timeout: Duration
    ) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try socket.send(request, .dontWait) { return true }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return false }
            try poller.poll(timeout: remaining)
            if poller.isReadable(at: monitorItem) { try checkHandshakeFailures(&monitor) }
        }
    }

    /// Receives the reply, at most `timeout` from now.
    ///
    /// - Returns: `true` with the reply in `message`, `false` when none came in time.
    /// - Throws: A ``DemoError`` when the server refuses the client: authentication refused
    ///   (with the ZAP status), or a security mechanism other than the client's.
    mutating func receive(
        into message: inout Message,
        from socket: borrowing RequestSocket,
        monitor: inout SocketMonitor,
        timeout: Duration
    ) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return false }
            try poller.poll(timeout: remaining)
            if poller.isReadable(at: monitorItem) { try checkHandshakeFailures(&monitor) }
            if poller.isReadable(at: socketItem), try socket.receive(into: &message, .dontWait) {
                return true
            }
        }
    }

    /// Reads the monitor's events: throws on a refusal, and remembers any other handshake
    /// failure for ``lastFailureNote``.
    private mutating func checkHandshakeFailures(_ monitor: inout SocketMonitor) throws {
        while let event = try monitor.receiveEvent(.dontWait) {
            guard case .handshakeFailed(let failure) = event.kind else { continue }
            if let refusal = failure.clientRefusal { throw refusal }
            lastFailure = failure
        }
    }
}

runHidingSecrets(EchoClient.self, secretOptions: ["--curve-secret-key", "--plain-user"])
