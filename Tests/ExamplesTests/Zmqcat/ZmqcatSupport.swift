// What the zmqcat suites share: starting zmqcat (with its standard output captured byte for
// byte in a file when the bytes matter, and its standard input read from a file or a pipe),
// the expectations on its exit statuses, scratch folders for ipc endpoints and files, and the
// pyzmq peers it talks to.
//
// The pyzmq peers are small Python programs that share `PyPeer.prelude`. They print each
// message they receive as one JSON line, the list of its frames in hex, so that the tests
// compare bytes, not text.

import ChildProcesses
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the `zmqcat` executable built next to the test bundle.
enum Zmqcat {
    /// The executable.
    static let executable = demoBinaryFolder.appendingPathComponent("zmqcat")

    private static func checkBuilt() throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw DemoTestError("\(executable.path) is missing; build it first (swift build)")
        }
    }

    /// Starts zmqcat with its output captured; standard input is `/dev/null`, or a pipe for
    /// ``DemoProcess/writeToStandardInput(_:)`` when `standardInput` is true.
    static func start(_ arguments: [String], standardInput: Bool = false) throws -> DemoProcess {
        try checkBuilt()
        return try DemoProcess(executable: executable, name: "zmqcat", arguments, standardInput: standardInput)
    }

    /// Starts zmqcat with standard input read from `inputFile` and/or standard output written
    /// to `outputFile` (so its bytes can be compared exactly: the captured standard output of
    /// ``DemoProcess`` is decoded as UTF-8). Standard error is captured as usual.
    static func start(_ arguments: [String], inputFile: String?, outputFile: String?) throws -> DemoProcess {
        try checkBuilt()
        return try DemoProcess(
            executable: executable, name: "zmqcat", arguments,
            input: inputFile.map { .file($0) } ?? .nullDevice,
            output: outputFile.map { .file($0) } ?? .pipe)
    }

    /// Runs zmqcat to completion (standard input is `/dev/null`).
    static func run(_ arguments: [String], within timeout: Duration = processTimeout) async throws -> DemoResult {
        try await start(arguments).finish(within: timeout)
    }

    /// Runs zmqcat to completion and returns the result with how long it ran.
    static func timedRun(_ arguments: [String]) async throws -> (DemoResult, Duration) {
        let start = ContinuousClock.now
        let result = try await run(arguments)
        return (result, ContinuousClock.now - start)
    }
}

extension DemoResult {
    /// Expects zmqcat's usage or endpoint error: status 2, exactly one line on stderr
    /// starting `error: ` (and containing `mentioning`, when given), nothing on stdout.
    func expectZmqcatUsageError(
        mentioning detail: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!signaled, "zmqcat crashed with signal \(status)", sourceLocation: sourceLocation)
        #expect(status == 2, "status \(status), stderr: \(standardError)", sourceLocation: sourceLocation)
        #expect(errorLines.count == 1, "stderr is not one line: \(standardError.debugDescription)",
                sourceLocation: sourceLocation)
        #expect(standardError.hasPrefix("error: "), "stderr: \(standardError)", sourceLocation: sourceLocation)
        if let detail {
            #expect(standardError.contains(detail), "stderr does not mention \(detail): \(standardError)",
                    sourceLocation: sourceLocation)
        }
        #expect(standardOutput.isEmpty, "stdout: \(standardOutput.debugDescription)", sourceLocation: sourceLocation)
    }

    /// Expects zmqcat's runtime failure: status 1 and a last stderr line equal to `reason`
    /// (or starting `error: ` when no reason is given).
    func expectZmqcatFailure(_ reason: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!signaled, "zmqcat crashed with signal \(status)", sourceLocation: sourceLocation)
        #expect(status == 1, "status \(status), stderr: \(standardError)", sourceLocation: sourceLocation)
        if let reason {
            #expect(errorLines.last == reason, "stderr: \(standardError.debugDescription)", sourceLocation: sourceLocation)
        } else {
            #expect(errorLines.last?.hasPrefix("error: ") == true, "stderr: \(standardError.debugDescription)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Expects a clean exit (status 0), showing stderr when it is not.
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(exitedCleanly, "status \(status) (signaled: \(signaled)), stderr: \(standardError.debugDescription)",
                sourceLocation: sourceLocation)
    }

    /// The messages a pyzmq peer printed (see ``PyPeer``): its stdout lines that are JSON
    /// lists of hex frames, decoded.
    var shownMessages: [[[UInt8]]] { lines.compactMap(decodeShownMessage) }
}

/// A fresh folder for one test (ipc endpoints, files to send, captured output), removed with
/// everything in it when the value goes away.
final class ZmqcatFolder: Sendable {
    let path: String

    init() throws {
        // Short, since an ipc path must fit in sockaddr_un (108 bytes).
        path = "/tmp/zmqcat-\(UUID().uuidString.prefix(13))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// An `ipc://` endpoint in the folder.
    func ipcEndpoint(_ name: String = "socket") -> String { "ipc://\(path)/\(name)" }

    /// A path in the folder.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes bytes into a file of the folder and returns its path.
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// The bytes of a file of the folder (empty when it does not exist).
    func contents(of name: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: file(name))))) ?? []
    }
}

/// The UTF-8 bytes of a string.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Lowercase hex, two digits a byte.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// Messages as the JSON the pyzmq peers take: a list of messages, each a list of frames in
/// hex.
func messagesJSON(_ messages: [[[UInt8]]]) -> String {
    "[" + messages.map { "[" + $0.map { "\"\(hexString($0))\"" }.joined(separator: ",") + "]" }.joined(separator: ",") + "]"
}

/// Messages as the argument the pyzmq peers take: their JSON, or `@<file>` holding it when it
/// is too long for a command line. The file is kept in `folder`.
func messagesArgument(_ messages: [[[UInt8]]], folder: ZmqcatFolder? = nil) throws -> String {
    let json = messagesJSON(messages)
    guard json.utf8.count > 64 * 1024 else { return json }
    guard let folder else { throw DemoTestError("messages too long for a command line: give a folder") }
    let file = try folder.write(utf8(json), to: "messages-\(UUID().uuidString).json")
    return "@" + file
}

private func decodeShownMessage(_ line: String) -> [[UInt8]]? {
    guard line.hasPrefix("["),
          let list = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String]
    else { return nil }
    var frames: [[UInt8]] = []
    for hex in list {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        frames.append(bytes)
    }
    return frames
}

/// Whether the machine has an IPv6 loopback address (`::1`) a socket can bind.
let hasIPv6Loopback: Bool = {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
        }
    }
}()

/// pyzmq peers for zmqcat. Each is `python3 -c <prelude + script> arguments…`.
enum PyPeer {
    /// What every peer starts with: a socket opener with bounded waits, and `show`, which
    /// prints a message as a JSON list of hex frames.
    static let prelude = """
        import json, socket, sys, time, zmq
        ctx = zmq.Context.instance()
        def open_socket(kind, how, endpoint, **options):
            s = ctx.socket(getattr(zmq, kind.upper()))
            s.linger = 5000
            s.rcvtimeo = 10000
            s.sndtimeo = 10000
            for name, value in options.items():
                setattr(s, name, value)
            (s.bind if how == "bind" else s.connect)(endpoint)
            return s
        def show(message):
            print(json.dumps([bytes(f).hex() for f in message]), flush=True)
        def messages(argument):
            if argument.startswith("@"):
                with open(argument[1:]) as file:
                    argument = file.read()
            return [[bytes.fromhex(f) for f in m] for m in json.loads(argument)]

        """

    /// Starts a peer running `script` after the prelude.
    static func start(_ script: String, _ arguments: [String], name: String = "pyzmq peer") throws -> DemoProcess {
        try DemoProcess.python(prelude + script, arguments, name: name)
    }

    /// Sends messages: `kind how endpoint messages`; prints `ready` once its socket is bound
    /// or connecting, and `sent` when done.
    static func send(
        _ kind: String, _ how: String, _ endpoint: String, _ messages: [[[UInt8]]], folder: ZmqcatFolder? = nil
    ) throws -> DemoProcess {
        try start("""
            s = open_socket(sys.argv[1], sys.argv[2], sys.argv[3])
            print("ready", flush=True)
            for m in messages(sys.argv[4]):
                s.send_multipart(m)
            print("sent", flush=True)
            s.close()
            ctx.term()
            """, [kind, how, endpoint, try messagesArgument(messages, folder: folder)], name: "pyzmq \(kind)")
    }

    /// Receives `count` messages and shows each: `kind how endpoint count`. Like every peer
    /// here, it prints `ready` once its socket is bound or connecting.
    static func receive(_ kind: String, _ how: String, _ endpoint: String, count: Int) throws -> DemoProcess {
        try start("""
            s = open_socket(sys.argv[1], sys.argv[2], sys.argv[3])
            print("ready", flush=True)
            if s.type == zmq.SUB:
                s.subscribe(b"")
            for _ in range(int(sys.argv[4])):
                show(s.recv_multipart())
            """, [kind, how, endpoint, String(count)], name: "pyzmq \(kind)")
    }

    /// A REP peer: shows each of `count` requests and answers with `reply`, or echoes it when
    /// `reply` is nil.
    static func reply(_ how: String, _ endpoint: String, count: Int, reply: [[UInt8]]?) throws -> DemoProcess {
        try start("""
            s = open_socket("rep", sys.argv[1], sys.argv[2])
            print("ready", flush=True)
            reply = messages(sys.argv[4])[0] if sys.argv[4] != "echo" else None
            for i in range(int(sys.argv[3])):
                request = s.recv_multipart()
                show(request)
                s.send_multipart(reply if reply is not None else request)
            s.close()
            ctx.term()
            """, [how, endpoint, String(count), try reply.map { try messagesArgument([$0]) } ?? "echo"], name: "pyzmq rep")
    }

    /// A REQ peer: sends each request, shows each reply.
    static func request(_ how: String, _ endpoint: String, _ requests: [[[UInt8]]]) throws -> DemoProcess {
        try start("""
            s = open_socket("req", sys.argv[1], sys.argv[2])
            print("ready", flush=True)
            for m in messages(sys.argv[3]):
                s.send_multipart(m)
                show(s.recv_multipart())
            """, [how, endpoint, try messagesArgument(requests)], name: "pyzmq req")
    }

    /// An XPUB peer that plays a publisher for zmqcat's SUB or XSUB: it waits for
    /// `subscriptions` subscription messages (and shows each), then publishes `messages`.
    static func publishAfterSubscriptions(
        _ how: String, _ endpoint: String, subscriptions: Int, _ messages: [[[UInt8]]]
    ) throws -> DemoProcess {
        try start("""
            s = open_socket("xpub", sys.argv[1], sys.argv[2])
            print("ready", flush=True)
            for _ in range(int(sys.argv[3])):
                show(s.recv_multipart())
            for m in messages(sys.argv[4]):
                s.send_multipart(m)
            print("sent", flush=True)
            time.sleep(0.2)
            s.close()
            ctx.term()
            """, [how, endpoint, String(subscriptions), try messagesArgument(messages)], name: "pyzmq xpub")
    }
}
