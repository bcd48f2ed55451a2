import ArgumentParser
import ExampleSupport
import ZeroMQ

/// The `zmqcat` command: its options, their checks, and the dispatch to the engine.
struct Zmqcat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmqcat",
        abstract: "Send and receive ZeroMQ messages from the shell, with any socket type.",
        usage: "zmqcat <type> (--bind <endpoint> | --connect <endpoint>)... [options]",
        discussion: """
            Examples, one for each pattern:

              zmqcat rep --bind tcp://*:5555                 (echo each request)
              zmqcat req --connect tcp://127.0.0.1:5555 --send ping --timeout-ms 1000
              zmqcat pub --bind tcp://*:5556 --send weather --send sunny --count 10
              zmqcat sub --connect tcp://127.0.0.1:5556 --subscribe weather
              zmqcat push --connect tcp://127.0.0.1:5557 --stdin < tasks.txt
              zmqcat pull --bind tcp://*:5557 --count 1000 --format json
              zmqcat router --bind tcp://*:5558 --send ok    (reply ok to each)
              zmqcat dealer --connect tcp://127.0.0.1:5558 --routing-id me --stdin
              zmqcat pair --connect ipc:///tmp/pair.sock --stdin --delimiter '|'
              zmqcat xpub --bind tcp://*:5559 --format quoted  (see subscriptions)
              zmqcat xsub --connect tcp://127.0.0.1:5559 --subscribe news
              zmqcat stream --connect tcp://example.com:80 --format quoted \\
                  --send $'GET / HTTP/1.0\\r\\n\\r\\n'

            Receiving: each message is printed on one line of standard output in --format: \
            text (frames as UTF-8, invalid bytes as U+FFFD, joined by a tab), quoted (each \
            frame in double quotes with \\\\ \\" \\n \\r \\t \\0 and \\xHH escapes, separated by \
            a space), hex (lowercase, an empty frame as -, separated by a space), json \
            ({"frames": [...]}, a frame that is not UTF-8 as {"base64": "..."}) or raw (the \
            bytes, nothing added). Standard output carries only messages; errors go to \
            standard error.

            Sending: --send (each one frame, together one message), --send-file (one frame \
            each, after the --send frames) or --stdin (each line one message, without its \
            newline; --delimiter splits it into frames). --count N sends it N times, \
            --interval-ms waits between sends.

            Per type: req sends each message and prints its reply. rep prints each request \
            and replies with the --send frames, else the request itself (with --stdin, the \
            next line; it ends with its input). router prints the peer's routing id as the \
            first frame; with --send it replies to each message (its routing id, then the \
            --send frames; to a message whose second frame is empty, as a REQ peer's \
            delimiter is, that empty frame too); with --stdin each line's first \
            frame is the routing id (as text) of the peer to send to. pub, push, xpub, \
            pair and dealer wait for a peer before their first send (pub and xpub then \
            \(Int(Plan.subscriptionDelay.components.attoseconds / 1_000_000_000_000_000)) ms \
            more, for subscriptions to arrive). sub and xsub subscribe to each --subscribe \
            prefix (none: everything). stream prints [routing id, data] for each chunk from a \
            plain TCP peer (connections and disconnections are not printed, --count does not \
            count them) and sends each frame to every connected peer, once one is.

            When it ends: after --count messages received (req: replies; rep, router: \
            requests answered); pub and push once everything is sent; pair, dealer, xpub, \
            xsub, stream, and router with --stdin, once everything is sent (--stdin: at the \
            end of input) unless --count asks for messages or there was nothing to send. \
            Queued messages are then delivered for up to --linger-ms (over ipc://, a sender \
            also waits up to \(Plan.ipcDeliveryCap.components.seconds) s for its peers to hang \
            up: libzmq issue 4660).

            Exit status: 0 when done, on --help, on SIGINT or SIGTERM (at once), or when the \
            reader of standard output goes away; 1 on a timeout (no reply, nothing received, \
            no peer, within --timeout-ms), a refused handshake, or another runtime error; 2 on \
            a usage error or an endpoint error (malformed, or bind/connect failed). Each error \
            is one line on standard error beginning "error: ".
            """
    )

    @Argument(help: ArgumentHelp("The socket type.", valueName: "type"))
    var type: SocketTypeName

    @Option(name: .customLong("bind"), help: ArgumentHelp(
        "Bind this endpoint, such as tcp://*:5555; repeatable.", valueName: "endpoint"))
    var bindEndpoints: [String] = []

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "Connect to this endpoint, such as tcp://127.0.0.1:5555; repeatable.", valueName: "endpoint"))
    var connectEndpoints: [String] = []

    @Option(name: .customLong("send"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "A frame to send (UTF-8); repeat it for a multipart message.", valueName: "text"))
    var sendFrames: [String] = []

    @Option(name: .customLong("send-file"), help: ArgumentHelp(
        "A frame to send holding this file's bytes (at most 1 GiB); repeatable (after the --send frames).", valueName: "path"))
    var sendFiles: [String] = []

    @Flag(name: .customLong("stdin"), help: "Send each line of standard input as one message.")
    var readsStandardInput = false

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "With --stdin, split each line into frames at this character.", valueName: "char"))
    var delimiter: String?

    @Option(help: ArgumentHelp(
        "Send the message N times; exit after N messages received.", valueName: "N"))
    var count: Int?

    @Option(name: .customLong("interval-ms"), help: ArgumentHelp("Wait M ms between sends.", valueName: "M"))
    var intervalMilliseconds: Int?

    @Option(help: ArgumentHelp("How to print received messages (default: text).",
                               valueName: "format"))
    var format: OutputFormat?

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "SUB, XSUB: receive messages beginning with this prefix; repeatable (default: everything).",
        valueName: "prefix"))
    var subscribe: [String] = []

    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp(
        "Exit with status 1 when nothing (no reply, message, or peer) arrives within T ms.", valueName: "T"))
    var timeoutMilliseconds: Int?

    @Option(help: ArgumentHelp("The send and receive high-water marks, in messages (0: no limit).", valueName: "N"))
    var hwm: Int?

    @Option(name: .customLong("linger-ms"), help: ArgumentHelp(
        "At the end, wait up to N ms for queued messages to be delivered (default: \(Plan.defaultLinger.components.seconds * 1000); 0 for sub, xsub and pull).",
        valueName: "N"))
    var lingerMilliseconds: Int?

    @Option(name: .customLong("routing-id"), parsing: .unconditional, help: ArgumentHelp(
        "This socket's routing id (1 to 255 bytes of text), as a ROUTER peer sees it.", valueName: "text"))
    var routingID: String?

    @Option(name: .customLong("heartbeat-ms"), help: ArgumentHelp(
        "Send a heartbeat every N ms; drop a connection silent for 3 N ms.", valueName: "N"))
    var heartbeatMilliseconds: Int?

    @Flag(help: "Allow IPv6 as well as IPv4 for tcp:// endpoints.")
    var ipv6 = false

    @OptionGroup(title: "Security (a server only binds, a client only connects)")
    var securityOptions: SecurityOptions

    /// Whatever else is on the command line, refused in `validate()` without being shown.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(visibility: .private))
    var unrecognized: [String] = []

    func validate() throws {
        _ = try makePlan(readingFiles: false)
    }

    func run() throws {
        let plan = try makePlan(readingFiles: true)
        try Demo.run { context in
            StalledOutput.exitOnSignal()
            switch plan.type {
            case .pair: try Runner.run(SocketType.Pair.self, plan: plan, context: context)
            case .pub: try Runner.run(SocketType.Pub.self, plan: plan, context: context)
            case .sub: try Runner.run(SocketType.Sub.self, plan: plan, context: context)
            case .req: try Runner.run(SocketType.Req.self, plan: plan, context: context)
            case .rep: try Runner.run(SocketType.Rep.self, plan: plan, context: context)
            case .dealer: try Runner.run(SocketType.Dealer.self, plan: plan, context: context)
            case .router: try Runner.run(SocketType.Router.self, plan: plan, context: context)
            case .pull: try Runner.run(SocketType.Pull.self, plan: plan, context: context)
            case .push: try Runner.run(SocketType.Push.self, plan: plan, context: context)
            case .xpub: try Runner.run(SocketType.XPub.self, plan: plan, context: context)
            case .xsub: try Runner.run(SocketType.XSub.self, plan: plan, context: context)
            case .stream: try Runner.run(SocketType.Stream.self, plan: plan, context: context)
            }
        }
    }

    /// Checks the options against each other and the type, and works out the plan.
    ///
    /// - Parameter readingFiles: Whether to read the --send-file files (in `run`), or only
    ///   check the options (in `validate`).
    /// - Throws: `ValidationError` for a usage error.
    private func makePlan(readingFiles: Bool) throws -> Plan {
        if let error = unrecognizedArgumentError(unrecognized) { throw error }
        // Binds first, so that a socket that does both is listening before it connects.
        let attachments = bindEndpoints.map(Endpoint.bind) + connectEndpoints.map(Endpoint.connect)
        guard !attachments.isEmpty else {
            throw ValidationError("give at least one endpoint with --bind or --connect.")
        }
        var plan = Plan(type: type, attachments: attachments)

        let sends = !sendFrames.isEmpty || !sendFiles.isEmpty
        if readsStandardInput && sends {
            throw ValidationError("--stdin can't be combined with --send or --send-file.")
        }
        if !type.canSend && (sends || readsStandardInput || intervalMilliseconds != nil) {
            throw ValidationError("a \(type.rawValue.uppercased()) socket only receives: --send, --send-file, --stdin and --interval-ms don't apply.")
        }
        if type.mustSend && !sends && !readsStandardInput {
            throw ValidationError("a \(type.rawValue.uppercased()) socket needs something to send: give --send, --send-file or --stdin.")
        }
        if delimiter != nil && !readsStandardInput {
            throw ValidationError("--delimiter applies to --stdin only.")
        }
        if let delimiter {
            guard delimiter.count == 1 else { throw ValidationError("--delimiter takes exactly one character.") }
            plan.delimiter = Array(delimiter.utf8)
        }
        if !subscribe.isEmpty && !type.takesSubscriptions {
            throw ValidationError("--subscribe applies to SUB and XSUB sockets only.")
        }
        if !type.canReceive && format != nil {
            throw ValidationError("a \(type.rawValue.uppercased()) socket only sends: --format doesn't apply.")
        }
        plan.readsStandardInput = readsStandardInput
        plan.format = format ?? .text
        plan.subscriptions = subscribe.map { Array($0.utf8) }

        if let count {
            guard count >= 1 else { throw ValidationError("--count must be at least 1.") }
            plan.count = count
        }
        if let intervalMilliseconds {
            guard intervalMilliseconds >= 0 else { throw ValidationError("--interval-ms must not be negative.") }
            plan.interval = .milliseconds(intervalMilliseconds)
        }
        if let timeoutMilliseconds {
            guard (1...Int(Int32.max)).contains(timeoutMilliseconds) else {
                throw ValidationError("--timeout-ms must be from 1 to \(Int32.max).")
            }
            plan.timeout = .milliseconds(timeoutMilliseconds)
            plan.timeoutMilliseconds = timeoutMilliseconds
        }
        if let hwm {
            guard (0...Int(Int32.max)).contains(hwm) else { throw ValidationError("--hwm must be from 0 to \(Int32.max).") }
            plan.highWaterMark = hwm
        }
        if let lingerMilliseconds {
            guard (0...Int(Int32.max)).contains(lingerMilliseconds) else {
                throw ValidationError("--linger-ms must be from 0 to \(Int32.max).")
            }
            plan.linger = .milliseconds(lingerMilliseconds)
        } else if [.sub, .xsub, .pull].contains(plan.type) {
            // Their only outgoing traffic is subscriptions: waiting to deliver those to a
            // publisher that went away (a connecting SUB keeps them for its reconnection)
            // would hold the exit for the whole linger period.
            plan.linger = .zero
        }
        if let routingID {
            guard (1...255).contains(routingID.utf8.count) else {
                throw ValidationError("--routing-id must be 1 to 255 bytes long.")
            }
            plan.routingID = routingID
        }
        if let heartbeatMilliseconds {
            // libzmq keeps the timeout (3 N) in milliseconds in an int.
            guard (1...Int(Int32.max) / 3).contains(heartbeatMilliseconds) else {
                throw ValidationError("--heartbeat-ms must be from 1 to \(Int32.max / 3).")
            }
            plan.heartbeat = .milliseconds(heartbeatMilliseconds)
        }
        plan.ipv6 = ipv6
        plan.security = try securityOptions.security(binds: !bindEndpoints.isEmpty, connects: !connectEndpoints.isEmpty)

        if sends {
            var frames = sendFrames.map { Array($0.utf8) }
            for path in sendFiles {
                guard readingFiles else { continue }
                do {
                    frames.append(try FileContents.bytes(atPath: path))
                } catch {
                    throw ValidationError("--send-file: \(error)")
                }
            }
            plan.frames = frames
        }
        return plan
    }
}
