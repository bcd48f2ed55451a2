import ArgumentParser
import ExampleSupport
import ZeroMQ

/// Creates the socket a ``Plan`` asks for, configures and attaches it, and runs the engine.
enum Runner {
    /// Runs zmqcat with a socket of type `Kind`.
    ///
    /// - Parameters:
    ///   - kind: The socket type.
    ///   - plan: What to do.
    ///   - context: The context to create the socket in (``Demo/run(_:)``'s).
    /// - Throws: `ExitCode(2)` after printing the reason for an endpoint error; a `DemoError`
    ///   for a timeout, a refusal or another failure; ``ZMQError/contextTerminated`` on a
    ///   signal.
    static func run<Kind: CatKind>(_ kind: Kind.Type, plan: Plan, context: Context) throws {
        let socket: Socket<Kind>
        do {
            socket = try Socket<Kind>(context: context)
        } catch .contextTerminated {
            throw ZMQError.contextTerminated
        } catch {
            throw DemoError("cannot create a \(Kind.name.rawValue.uppercased()) socket: \(error)")
        }
        try configure(socket, plan: plan)
        // Stops when released, at the end of this function, after the socket closed.
        let authenticator = try plan.security.apply(to: socket, in: context)
        let monitor: SocketMonitor
        do {
            monitor = try socket.monitor(events: Session<Kind>.monitoredEvents)
        } catch .contextTerminated {
            throw ZMQError.contextTerminated
        } catch {
            throw DemoError("cannot monitor the socket: \(error)")
        }
        try attach(socket, plan: plan)
        var session = Session(socket: socket, monitor: monitor, plan: plan)
        do {
            try session.run()
        } catch is OutputClosed {
            // The reader of standard output went away: stop, as `cat` does, with status 0.
            session.abandonQueuedMessages()
        } catch {
            // Nothing queued matters after a failure: exit without waiting to deliver it.
            session.abandonQueuedMessages()
            throw error
        }
        withExtendedLifetime(authenticator) {}
    }

    /// Sets the socket options the plan asks for.
    private static func configure<Kind: CatKind>(_ socket: borrowing Socket<Kind>, plan: Plan) throws {
        try attempt("configure the socket") { () throws(ZMQError) in
            try socket.setOption(.linger, plan.linger)
            if let hwm = plan.highWaterMark {
                try socket.setOption(.sendHighWaterMark, hwm)
                try socket.setOption(.receiveHighWaterMark, hwm)
            }
            if let routingID = plan.routingID { try socket.setOption(.routingID, routingID) }
            if let heartbeat = plan.heartbeat { try socket.setHeartbeat(interval: heartbeat, timeout: heartbeat * 3) }
            if plan.ipv6 { try socket.setOption(.ipv6, true) }
            try Kind.prepare(socket)
            if Kind.name == .sub {
                for prefix in plan.subscriptions.isEmpty ? [[]] : plan.subscriptions {
                    try Kind.subscribe(socket, to: prefix)
                }
            }
        }
    }

    /// Binds and connects the endpoints; an XSUB then sends its subscriptions.
    ///
    /// - Throws: `ExitCode(2)`, after printing the reason, when an endpoint is malformed or
    ///   can't be bound or connected.
    private static func attach<Kind: CatKind>(_ socket: borrowing Socket<Kind>, plan: Plan) throws {
        for endpoint in plan.attachments {
            do {
                switch endpoint {
                case .bind(let address):
                    try attempt("bind to '\(address)'") { () throws(ZMQError) in _ = try socket.bind(to: address) }
                case .connect(let address):
                    try attempt("connect to '\(address)'") { () throws(ZMQError) in try socket.connect(to: address) }
                }
            } catch let error as DemoError {
                // An endpoint error is a usage error: status 2.
                Console.error("error: \(error)")
                throw ExitCode(2)
            }
        }
        if Kind.name == .xsub {
            // XSUB also sends them again to each peer that connects later.
            try attempt("subscribe") { () throws(ZMQError) in
                for prefix in plan.subscriptions.isEmpty ? [[]] : plan.subscriptions {
                    try Kind.subscribe(socket, to: prefix)
                }
            }
        }
    }
}
