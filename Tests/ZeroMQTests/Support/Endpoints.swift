import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The transports every socket test runs on.
enum Transport: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inproc, ipc, tcp

    var testDescription: String { rawValue }

    /// A fresh endpoint to bind to: a unique `inproc://` name, a unique socket file in this
    /// process's temporary folder, or an ephemeral loopback TCP port (read the real endpoint
    /// back with `lastEndpoint`, so parallel tests never collide).
    func bindEndpoint() -> String {
        switch self {
        case .inproc: "inproc://test-\(TestEnvironment.uniqueNumber())"
        case .ipc: "ipc://\(TestEnvironment.temporaryFolder)/\(TestEnvironment.uniqueNumber()).ipc"
        case .tcp: "tcp://127.0.0.1:*"
        }
    }
}

enum TestEnvironment {
    private static let counter = Atomic<Int>(0)

    static func uniqueNumber() -> Int {
        counter.add(1, ordering: .relaxed).newValue
    }

    /// A temporary folder for ipc:// socket files, made once per test process.
    static let temporaryFolder: String = {
        var template = Array("/tmp/zmq-swift-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "cannot create a temporary folder for ipc:// tests")
        // Remove the folder and its socket files when the test process exits.
        atexit { removeTemporaryFolder() }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    private static func removeTemporaryFolder() {
        let folder = temporaryFolder
        guard let entries = opendir(folder) else { return }
        while let entry = readdir(entries) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { unlink("\(folder)/\(name)") }
        }
        closedir(entries)
        rmdir(folder)
    }
}

/// The longest any test receive waits; every test socket gets it, so nothing can hang.
let testTimeout: Duration = .seconds(5)

/// Creates a socket whose sends and receives time out after `testTimeout` and whose close
/// does not linger.
func makeSocket<Kind: SocketKind>(
    _ kind: Kind.Type,
    context: Context
) throws(ZMQError) -> Socket<Kind> {
    let socket = try Socket<Kind>(context: context)
    try socket.setOption(.receiveTimeout, testTimeout)
    try socket.setOption(.sendTimeout, testTimeout)
    try socket.setOption(.linger, .zero)
    return socket
}

/// Binds `server` on a fresh endpoint of `transport` and connects `client` to it.
///
/// - Returns: The endpoint as bound (with a TCP port resolved).
@discardableResult
func connect<Server: SocketKind, Client: SocketKind>(
    _ client: borrowing Socket<Client>,
    to server: borrowing Socket<Server>,
    over transport: Transport
) throws -> String {
    let endpoint = try server.bind(to: transport.bindEndpoint()).endpoint
    try client.connect(to: endpoint)
    return endpoint
}
