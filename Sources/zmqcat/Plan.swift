/// What one run of zmqcat is to do, worked out from its command line before any socket
/// exists: the engine's whole configuration.
struct Plan: Sendable {
    /// The socket type.
    var type: SocketTypeName
    /// The endpoints, in command-line order.
    var attachments: [Endpoint]
    /// The message given with `--send`/`--send-file`: one entry per frame.
    var frames: [[UInt8]]?
    /// Whether messages come from standard input, one per line.
    var readsStandardInput = false
    /// The bytes that split a `--stdin` line into frames.
    var delimiter: [UInt8]?
    /// `--count`: how many times to send the message, and how many messages to receive
    /// before exiting.
    var count: Int?
    /// `--interval-ms`: the pause between two sends.
    var interval: Duration?
    /// `--timeout-ms`: how long to wait for a message (or a reply, or a peer).
    var timeout: Duration?
    /// `--timeout-ms` as given, for messages.
    var timeoutMilliseconds: Int?
    /// How received messages are printed.
    var format: OutputFormat = .text
    /// The prefixes to subscribe to (SUB, XSUB).
    var subscriptions: [[UInt8]] = []
    /// `--hwm`: the send and receive high-water marks.
    var highWaterMark: Int?
    /// How long queued messages may take to be delivered at the end (`--linger-ms`).
    var linger: Duration = Plan.defaultLinger
    /// `--routing-id`.
    var routingID: String?
    /// `--heartbeat-ms`: the heartbeat interval.
    var heartbeat: Duration?
    /// `--ipv6`.
    var ipv6 = false
    /// The CURVE or PLAIN security, as a server or a client.
    var security = Security.none

    /// How long, by default, zmqcat waits at the end for what it queued to be delivered.
    static let defaultLinger: Duration = .seconds(30)

    /// How long a publisher waits, after its first peer connected, before its first send, so
    /// that the peer's subscriptions have arrived (a publisher drops what nobody subscribed to).
    static let subscriptionDelay: Duration = .milliseconds(200)

    /// The longest wait at the end, over ipc://, for the peer to hang up (see
    /// ``Session/waitForDeliveryOverIPC()``).
    static let ipcDeliveryCap: Duration = .seconds(2)

    /// Whether it only connects, so that a refused handshake is the server refusing it.
    var isClient: Bool { attachments.allSatisfy { if case .connect = $0 { true } else { false } } }

    /// Whether any endpoint is ipc://.
    var usesIPC: Bool { attachments.contains { $0.address.hasPrefix("ipc://") } }

    /// Whether the engine goes on receiving after it has nothing left to send: when `--count`
    /// asks for that many messages, or when it never had anything to send.
    var keepsReceivingAfterSending: Bool {
        guard type.canReceive else { return false }
        switch type {
        case .req: return false
        // Its replies answer requests; --stdin supplies them, and ends with it.
        case .rep: return !readsStandardInput
        case .router where !readsStandardInput: return true
        default: return count != nil || (frames == nil && !readsStandardInput)
        }
    }

    /// Whether the --send/--send-file message is sent on the engine's own initiative, rather
    /// than as the reply to each message received (REP, ROUTER).
    var sendsOnItsOwn: Bool { frames != nil && !type.repliesToEach }
}

/// One `--bind` or `--connect`.
enum Endpoint: Sendable {
    /// `--bind`.
    case bind(String)
    /// `--connect`.
    case connect(String)

    /// The endpoint's address.
    var address: String {
        switch self {
        case .bind(let address), .connect(let address): address
        }
    }
}
