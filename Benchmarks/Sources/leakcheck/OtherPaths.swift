#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZeroMQ

/// The blocking monitor: `monitor(events:)` and `receiveEvent()` over `connections` tcp
/// connections made and dropped (each event carries the endpoint and the peer's address, kept
/// by the monitor's peer table); and monitors dropped while monitoring, whose sockets a drain
/// thread reads until the monitored socket closes.
func monitorPath(connections: Int) throws {
    let context = try Context()
    defer { context.terminate() }
    let server = try RouterSocket(context: context)
    var monitor = try server.monitor(events: [.listening, .accepted, .disconnected, .handshakeSucceeded])
    try monitor.socket.setOption(.receiveTimeout, operationTimeout)
    let endpoint = try server.bind(to: "tcp://127.0.0.1:*").endpoint
    var accepted = 0
    var disconnected = 0
    for index in 0..<connections {
        do {
            let client = try DealerSocket(context: context)
            try client.connect(to: endpoint)
            try client.send("hello \(index)")
            var request = Multipart()
            try check(try server.receive(into: &request), "monitor: connection \(index) sent nothing")
        }
        // Until this connection's disconnection (the client closed at the end of the block).
        while disconnected <= index {
            let event = try received(try monitor.receiveEvent(), "monitor event for connection \(index)")
            _ = event.description
            switch event.kind {
            case .accepted: accepted += 1
            case .disconnected: disconnected += 1
            default: break
            }
        }
    }
    try check(accepted == connections && disconnected == connections,
              "monitor: \(accepted) accepted and \(disconnected) disconnected for \(connections) connections")
    // Monitors dropped while monitoring: each goes to a drain thread until its socket closes.
    for _ in 0..<10 {
        let socket = try PairSocket(context: context)
        do {
            let dropped = try socket.monitor()
            try socket.bind(to: "tcp://127.0.0.1:*")
            _ = consume dropped
        }
        _ = consume socket
    }
    try server.stopMonitor()
    while let event = try monitor.receiveEvent() { _ = event }
    try check(monitor.isStopped, "monitor: stopMonitor did not end the events")
}

/// Errors, which carry their context (the endpoint, the option, a reason): bad endpoints of
/// each kind, a REQ socket sending twice, an out-of-range option, a socket of a shut-down
/// context, and would-block results that are not errors.
func errorsPath(count: Int) throws {
    let context = try Context()
    defer { context.terminate() }
    let request = try RequestSocket(context: context)
    try request.connect(to: "inproc://leakcheck-nobody")
    try request.send("first")
    let pull = try PullSocket(context: context)
    let endpoints = ["tcp://", "tcp://127.0.0.1:notaport", "nonsense://x", "ipc://", "inproc://", "no-transport",
                     "tcp://256.1.1.1:1", "ipc://\(String(repeating: "x", count: 200))"]
    var descriptions = 0
    for index in 0..<count {
        do {
            try pull.bind(to: endpoints[index % endpoints.count])
            throw CheckFailure("errors: bind to \(endpoints[index % endpoints.count]) succeeded")
        } catch let error as ZMQError {
            descriptions += error.description.count + (error.endpoint?.count ?? 0)
        }
        do {
            try request.send("again")
            throw CheckFailure("errors: a REQ socket sent twice")
        } catch let error as ZMQError {
            try check(error == .invalidState, "errors: a second REQ send threw \(error)")
            descriptions += error.description.count
        }
        do {
            try pull.setOption(.receiveHighWaterMark, -1 - index)
            throw CheckFailure("errors: a negative high-water mark was accepted")
        } catch let error as ZMQError {
            descriptions += error.description.count + (error.option?.count ?? 0)
        }
        // Would block: a value, not an error.
        try check(try pull.receive(.dontWait) == nil, "errors: an empty socket received something")
    }
    try check(descriptions > 0, "errors: no descriptions")
    let closed = try Context()
    closed.shutdown()
    for _ in 0..<100 {
        do {
            _ = try PushSocket(context: closed)
            throw CheckFailure("errors: a socket of a shut-down context was created")
        } catch let error as ZMQError {
            try check(error == .contextTerminated, "errors: a socket of a shut-down context threw \(error)")
        }
    }
    closed.terminate()
}

/// A `Device` (the steerable proxy on its own thread) forwarding `count` messages PUSH →
/// streamer → PULL, with its statistics read while it runs, then stopped.
func devicePath(count: Int, over transport: Transport) throws {
    let context = try Context()
    defer { context.terminate() }
    let frontend = transport.bindEndpoint("device-in")
    let backend = transport.bindEndpoint("device-out")
    guard transport != .tcp else { throw CheckFailure("device: give it inproc or ipc endpoints") }
    let device = try Device(.streamer, frontend: frontend, backend: backend, context: context)
    let push = try PushSocket(context: context)
    try push.setOption(.sendTimeout, operationTimeout)
    try push.connect(to: frontend)
    let pull = try PullSocket(context: context)
    try pull.setOption(.receiveTimeout, operationTimeout)
    try pull.connect(to: backend)
    var message = Message()
    try batched(count) { index in
        try push.send(payload(index))
    } receive: { index in
        try check(try pull.receive(into: &message), "device: message \(index) did not come through")
        try check(message.withUnsafeBytes { isPayload($0, index: index) }, "device: message \(index) arrived changed")
        if index % 10_000 == 0 { _ = device.statistics() }
    }
    device.stop()
    try device.wait()
}
