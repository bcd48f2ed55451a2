#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import ZeroMQ

/// The decisions an authenticator has made, counted as its handler reports them.
private final class DecisionCount: Sendable {
    private let counts = Mutex((allowed: 0, denied: 0))

    func record(_ decision: AuthenticationDecision) {
        _ = decision.description
        counts.withLock { counts in
            if decision.isAllowed { counts.allowed += 1 } else { counts.denied += 1 }
        }
    }

    var current: (allowed: Int, denied: Int) { counts.withLock { $0 } }

    /// Waits until `condition` holds for the counts, or `operationTimeout` passes.
    func wait(until condition: ((allowed: Int, denied: Int)) -> Bool) throws(CheckFailure) {
        let deadline = ContinuousClock.now + operationTimeout
        while !condition(current) {
            guard ContinuousClock.now < deadline else {
                throw CheckFailure("authenticator: no decision within \(operationTimeout) (\(current))")
            }
            usleep(1000)
        }
    }
}

/// The authenticator (the ZAP handler): CURVE clients allowed by key and by a certificate
/// folder (reloaded), PLAIN users allowed and refused, an IP address denied; `count` messages
/// over an allowed CURVE connection and `count / 10` over a PLAIN one, with their `User-Id`;
/// `connections` handshakes in all, half of them refused, each decision awaited. Then the
/// authenticator is stopped and the context terminated.
func authenticatorPath(count: Int, connections: Int) throws {
    let folder = temporaryFolder + "/leakcheck-certificates-\(getpid())"
    guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw CheckFailure("cannot create \(folder)") }
    defer {
        for name in ["client.key", "client.key_secret"] { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    let context = try Context()
    defer { context.terminate() }
    let authenticator = try Authenticator(context: context)
    let decisions = DecisionCount()
    authenticator.setDecisionHandler(decisions.record)
    // A stream nobody reads: its buffer must be released with the authenticator.
    let unread = authenticator.decisions(bufferingNewest: 16)

    let serverKeys = try CurveKeyPair.generate()
    let allowedKeys = try CurveKeyPair.generate()
    let listedKeys = try CurveKeyPair.generate()
    try authenticator.setPolicy(.curve(.keys([allowedKeys.publicKey])), forDomain: "curve")
    try authenticator.setPolicy(.plain(["alice": "secret password"]), forDomain: "plain")
    try authenticator.setPolicy(.addresses(denying: [try IPAddressRange("127.0.0.1")]), forDomain: "denied")
    // A folder of certificates: empty at first, then reloaded with the listed client's.
    try authenticator.setPolicy(.curve(.certificates(directory: folder)), forDomain: "folder")
    try CurveCertificate(keyPair: listedKeys, metadata: ["name": "listed client"]).save(inDirectory: folder, name: "client")
    try authenticator.reloadCertificates()

    /// A ROUTER server of one domain, bound (read its endpoint from `lastEndpoint`).
    func server(domain: String, curve: Bool, plain: Bool = false) throws -> RouterSocket {
        let socket = try RouterSocket(context: context)
        try socket.setOption(.receiveTimeout, operationTimeout)
        try socket.setOption(.zapDomain, domain)
        if curve {
            try socket.setOption(.curveServer, true)
            try socket.setOption(.curveSecretKey, serverKeys.secretKey)
        }
        if plain { try socket.setOption(.plainServer, true) }
        try socket.bind(to: "tcp://127.0.0.1:*")
        return socket
    }
    /// A DEALER client, connected. A client that will be refused lingers for no time when
    /// closed (its message can never go out); one that gets in has a second to deliver. Either
    /// way it does not try again soon, so that each handshake asks the authenticator once.
    func client(to endpoint: String, keys: CurveKeyPair? = nil, user: (String, String)? = nil,
                refused: Bool = false) throws -> DealerSocket {
        let socket = try DealerSocket(context: context)
        try socket.setOption(.receiveTimeout, operationTimeout)
        try socket.setOption(.linger, refused ? .zero : .seconds(1))
        try socket.setOption(.reconnectInterval, .seconds(10))
        if let keys {
            try socket.setOption(.curveServerKey, serverKeys.publicKey)
            try socket.setOption(.curvePublicKey, keys.publicKey)
            try socket.setOption(.curveSecretKey, keys.secretKey)
        }
        if let (username, password) = user {
            try socket.setOption(.plainUsername, username)
            try socket.setOption(.plainPassword, password)
        }
        try socket.connect(to: endpoint)
        return socket
    }

    let curveServer = try server(domain: "curve", curve: true)
    let plainServer = try server(domain: "plain", curve: false, plain: true)
    let deniedServer = try server(domain: "denied", curve: false)
    let folderServer = try server(domain: "folder", curve: true)
    let curveEndpoint = curveServer.lastEndpoint ?? ""
    let plainEndpoint = plainServer.lastEndpoint ?? ""
    let deniedEndpoint = deniedServer.lastEndpoint ?? ""
    let folderEndpoint = folderServer.lastEndpoint ?? ""

    // Messages over an allowed connection, checked with their identity.
    var request = Multipart()
    func exchange(_ total: Int, from connection: borrowing DealerSocket, to server: borrowing RouterSocket,
                  identity: String) throws {
        try batched(total) { index in
            try connection.send(payload(index))
        } receive: { index in
            try check(try server.receive(into: &request), "authenticator: message \(index) from \(identity) did not arrive")
            try check(request.count == 2 && request.withUnsafeBytes(at: 1) { isPayload($0, index: index) },
                      "authenticator: message \(index) from \(identity) arrived changed")
            if index % 1000 == 0 {
                // The payload frame's metadata holds the identity.
                guard let payload = request.popLast() else { throw CheckFailure("authenticator: no payload") }
                try check(payload.userID == identity, "authenticator: User-Id \(payload.userID ?? "none"), not \(identity)")
            }
        }
    }
    try exchange(count, from: try client(to: curveEndpoint, keys: allowedKeys), to: curveServer,
                 identity: allowedKeys.publicKey.z85)
    try exchange(max(1, count / 10), from: try client(to: plainEndpoint, user: ("alice", "secret password")),
                 to: plainServer, identity: "alice")

    // Handshakes, allowed and refused, each decision awaited; nothing crosses a refused one.
    let rounds = max(1, connections / 5)
    let strangerKeys = try CurveKeyPair.generate()
    for round in 0..<rounds {
        let before = decisions.current
        let attempts: [(String, CurveKeyPair?, (String, String)?, Bool)] = [
            (curveEndpoint, allowedKeys, nil, true),
            (curveEndpoint, strangerKeys, nil, false),
            (plainEndpoint, nil, ("alice", round % 2 == 0 ? "wrong" : "secret passwor"), false),
            (deniedEndpoint, nil, nil, false),
            (folderEndpoint, listedKeys, nil, true),
        ]
        for (endpoint, keys, user, allowed) in attempts {
            // Counted before connecting: the handshake, and so the decision, can come before
            // the send returns.
            let seen = decisions.current
            let connection = try client(to: endpoint, keys: keys, user: user, refused: !allowed)
            try connection.send("hello \(round)")
            try decisions.wait { allowed ? $0.allowed > seen.allowed : $0.denied > seen.denied }
        }
        let after = decisions.current
        try check(after.allowed - before.allowed == 2 && after.denied - before.denied >= 3,
                  "authenticator: round \(round) made \(after.allowed - before.allowed) allowed and \(after.denied - before.denied) denied decisions")
        // The two allowed hellos arrive; the refused ones never do.
        try check(try curveServer.receive(into: &request) && request.string(at: 1) == "hello \(round)",
                  "authenticator: the allowed CURVE client's hello did not arrive")
        try check(try folderServer.receive(into: &request) && request.string(at: 1) == "hello \(round)",
                  "authenticator: the listed CURVE client's hello did not arrive")
    }
    try curveServer.setOption(.receiveTimeout, .zero)
    try plainServer.setOption(.receiveTimeout, .zero)
    try deniedServer.setOption(.receiveTimeout, .zero)
    try check(!(try curveServer.receive(into: &request)), "authenticator: a refused CURVE client's message crossed")
    try check(!(try plainServer.receive(into: &request)), "authenticator: a refused PLAIN client's message crossed")
    try check(!(try deniedServer.receive(into: &request)), "authenticator: a denied address's message crossed")
    _ = unread
    authenticator.stop()
    try check(!authenticator.isRunning, "authenticator: still running after stop()")
}
