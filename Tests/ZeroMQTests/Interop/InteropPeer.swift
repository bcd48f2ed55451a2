import ChildProcesses
import Foundation
import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// The independent peers the interoperability tests talk to:
//
// - pyzmq, with its own bundled libzmq, run as `python3 -u -c script arguments…`;
// - `Tests/Peers/zmqpeer.c`, a small C program against the system libzmq, compiled once per
//   test run with `cc -O2 zmqpeer.c -lzmq`.
//
// The C program and `PythonPeer.zmqpeer` (the same program in Python) take the same command
// line, `zmqpeer [options] <type> <bind|connect> <endpoint> [action ...]` (see zmqpeer.c), so
// a test written once runs against either: `InteropPeer.pyzmq` or `InteropPeer.c`.
//
// Whether they are here, and whether they must be, is `PeerPrograms`'s to say (in the
// ChildProcesses target, shared with the demo tests).

/// A peer process, with its output collected in temporary files (pipes could fill up and
/// stall it), a socket on its standard input to tell it to go on, and bounded waits.
///
/// Standard input is one end of a socket pair, not a pipe: telling the peer to go on is a
/// line sent with `MSG_NOSIGNAL`, which can't raise SIGPIPE in the test process when the peer
/// has already exited. Both ends are close-on-exec, like every descriptor `ChildProcess`
/// makes, so other peers started at the same time by parallel tests can't inherit our end
/// and keep the input open.
class PeerProcess {
    private let child: ChildProcess
    /// Our end of the socket pair, or -1 once closed.
    private var control: Int32
    private let outputPath: String
    private let errorPath: String
    /// What messages call the peer ("the Python peer", "the C peer").
    let name: String

    /// Starts `executable arguments…`.
    init(executable: URL, arguments: [String], name: String) throws {
        self.name = name
        let stem = "\(TestEnvironment.temporaryFolder)/peer-\(TestEnvironment.uniqueNumber())"
        outputPath = stem + ".out"
        errorPath = stem + ".err"
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw PeerError("socketpair failed: errno \(errno)")
        }
        // The child has its own copy of its end once started: ours closes either way.
        defer { close(ends[0]) }
        control = ends[1]
        do {
            child = try ChildProcess(
                executable: executable.path, arguments: arguments,
                standardInput: .descriptor(ends[0]),
                standardOutput: .file(outputPath), standardError: .file(errorPath))
        } catch {
            close(ends[1])
            throw error
        }
    }

    deinit {
        closeInput()
        child.send(SIGKILL)
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    /// Whether the process is still running.
    var isRunning: Bool { child.isRunning }

    /// Sends the peer a line on standard input and ends it: a peer waiting on it (zmqpeer's
    /// `wait` and `repeat`) goes on.
    func closeInput() {
        guard control >= 0 else { return }
        _ = send(control, "\n", 1, Int32(MSG_NOSIGNAL))
        close(control)
        control = -1
    }

    /// What the peer printed on standard output so far.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// What the peer printed on standard error so far.
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Waits until the peer prints a line starting with `prefix` on standard error.
    ///
    /// - Returns: The rest of that line.
    /// - Throws: `PeerError` when the peer exits or `timeout` passes first.
    func waitForError(_ prefix: String, timeout: Duration = .seconds(20)) throws -> String {
        // Only complete lines count: a line being written may be read half-way.
        func search() -> String? {
            errors.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        var found: String?
        _ = waitUntil(timeout: timeout) {
            found = search()
            return found != nil || !child.isRunning
        }
        if found == nil { found = search() }
        guard let found else {
            throw PeerError("\(name) never printed '\(prefix)…': \(errors)")
        }
        return found
    }

    /// Waits until the peer binds and returns its endpoint (zmqpeer prints "bound <endpoint>").
    func boundEndpoint() throws -> String {
        try waitForError("bound ")
    }

    /// Closes its standard input, waits up to `timeout` for the process to exit, killing it if
    /// it doesn't.
    ///
    /// - Returns: The exit status (`nil` if it had to be killed) and what it printed.
    func finish(timeout: Duration = .seconds(20)) -> (status: Int32?, output: String, errors: String) {
        closeInput()
        var status: Int32?
        if let ended = child.waitForExit(timeout: timeout) {
            status = ended.signaled ? 128 + ended.status : ended.status
        } else {
            child.send(SIGTERM)
            if child.waitForExit(timeout: .seconds(1)) == nil {
                child.send(SIGKILL)
                _ = child.waitForExit(timeout: .seconds(1))
            }
        }
        return (status, output, errors)
    }

    /// Waits for the process and expects it to exit with status 0 after printing `expected`.
    func expectSuccess(printing expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let output = expectSuccess(sourceLocation: sourceLocation)
        #expect(output.contains(expected), "\(name) printed \(output.debugDescription)", sourceLocation: sourceLocation)
    }

    /// Waits for the process and expects it to exit with status 0.
    ///
    /// - Returns: What it printed on standard output.
    @discardableResult
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (status, output, errors) = finish()
        if let status {
            #expect(status == 0, "\(name) failed: \(errors)", sourceLocation: sourceLocation)
        } else {
            Issue.record("\(name) was killed after 20 seconds: \(errors)", sourceLocation: sourceLocation)
        }
        return output
    }

    /// Waits for the process and expects it to exit with status 0.
    ///
    /// - Returns: The lines it printed on standard output.
    func expectSuccessLines(sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        expectSuccess(sourceLocation: sourceLocation).split(separator: "\n").map(String.init)
    }
}

/// Why a peer could not be started or did not do what it should.
struct PeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `python3 -u -c` subprocess, usually importing pyzmq.
final class PythonPeer: PeerProcess {
    /// Runs a test only where pyzmq is installed, or always when peers are required.
    static let condition: ConditionTrait = .enabled(
        if: PeerPrograms.hasPyZMQ || PeerPrograms.required,
        "pyzmq is not installed; run `make test-deps` (or `pip install pyzmq`) to test against it")

    /// Runs a test only where pyzmq has CURVE, or always when peers are required.
    static let curveCondition: ConditionTrait = .enabled(
        if: PeerPrograms.hasPyZMQCurve || PeerPrograms.required,
        "pyzmq with CURVE is not installed; run `make test-deps` (or `pip install pyzmq`) to test against it")

    /// Starts `python3 -u -c script arguments…`.
    init(script: String, arguments: [String]) throws {
        try super.init(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", "-u", "-c", script] + arguments, name: "the Python peer")
    }

    /// zmqpeer.c's command line, in Python with pyzmq (see `Tests/Peers/zmqpeer.c`).
    static let zmqpeer = #"""
        import select, sys, time, zmq

        def usage(reason):
            sys.stderr.write("zmqpeer.py: %s\n" % reason)
            sys.exit(2)

        def fail(reason):
            sys.stderr.write("zmqpeer.py: %s\n" % reason)
            sys.exit(1)

        def number(text):
            if not text.isdigit():
                usage("not a number")
            return int(text)

        def unhex(text):
            try:
                return b"" if text == "-" else bytes.fromhex(text)
            except ValueError:
                usage("not hex: %r" % text)

        def message(spec):
            return [unhex(frame) for frame in spec.split(",")]

        def show(frames):
            print(" ".join(frame.hex() if frame else "-" for frame in frames), flush=True)

        def pattern(size, seed):
            # Byte i is (i * 31 + seed * 7 + (i >> 8)) mod 256, which repeats every 65536 bytes.
            period = b"".join(bytes((j * 31 + seed * 7 + k) & 255 for j in range(256)) for k in range(256))
            return (period * (size // len(period) + 1))[:size]

        def stdin_ready(milliseconds):
            return bool(select.select([sys.stdin], [], [], milliseconds / 1000)[0])

        TYPES = ("pair", "pub", "sub", "req", "rep", "dealer", "router", "pull", "push", "xpub", "xsub", "stream")
        OPTIONS = {"--routing-id": 1, "--timeout": 1, "--curve-server": 1, "--curve-client": 3, "--plain-client": 2}
        ACTIONS = {"send": 1, "recv": 1, "echo": 1, "subscribe": 1, "send-pattern": 2, "expect-pattern": 2,
                   "stream-echo": 1, "repeat": 2, "wait": 0, "sleep": 1}

        args = sys.argv[1:]
        options = {}
        while args and args[0].startswith("--"):
            name = args.pop(0)
            if name not in OPTIONS or len(args) < OPTIONS[name]:
                usage("bad option %s" % name)
            options[name] = args[:OPTIONS[name]]
            del args[:OPTIONS[name]]
        if len(args) < 3 or args[0] not in TYPES or args[1] not in ("bind", "connect"):
            usage("expected <type> <bind|connect> <endpoint>")
        kind, mode, endpoint = args[:3]
        del args[:3]

        ctx = zmq.Context()
        s = ctx.socket(getattr(zmq, kind.upper()))
        timeout = number(options.get("--timeout", ["10000"])[0])
        s.linger = 2000
        s.rcvtimeo = timeout
        s.sndtimeo = timeout
        if "--routing-id" in options:
            s.routing_id = unhex(options["--routing-id"][0])
        if "--curve-server" in options:
            s.curve_server = True
            s.curve_secretkey = options["--curve-server"][0].encode()
        if "--curve-client" in options:
            server, public, secret = options["--curve-client"]
            s.curve_serverkey = server.encode()
            s.curve_publickey = public.encode()
            s.curve_secretkey = secret.encode()
        if "--plain-client" in options:
            s.plain_username = options["--plain-client"][0].encode()
            s.plain_password = options["--plain-client"][1].encode()

        try:
            if mode == "bind":
                s.bind(endpoint)
                sys.stderr.write("bound %s\n" % s.last_endpoint.decode())
                sys.stderr.flush()
            else:
                s.connect(endpoint)
            while args:
                action = args.pop(0)
                if action not in ACTIONS or len(args) < ACTIONS[action]:
                    usage("bad action %s" % action)
                values = args[:ACTIONS[action]]
                del args[:ACTIONS[action]]
                if action == "send":
                    s.send_multipart(message(values[0]))
                elif action in ("recv", "echo"):
                    for _ in range(number(values[0])):
                        frames = s.recv_multipart()
                        show(frames)
                        if action == "echo":
                            s.send_multipart(frames)
                elif action == "subscribe":
                    s.setsockopt(zmq.SUBSCRIBE, unhex(values[0]))
                elif action == "send-pattern":
                    s.send(pattern(number(values[0]), number(values[1])))
                elif action == "expect-pattern":
                    size = number(values[0])
                    frames = s.recv_multipart()
                    if frames != [pattern(size, number(values[1]))]:
                        fail("expected %d pattern bytes, got frames of %s bytes" % (size, [len(f) for f in frames]))
                    print("pattern %d ok" % size, flush=True)
                elif action == "stream-echo":
                    echoed, total = 0, number(values[0])
                    while echoed < total:
                        frames = s.recv_multipart()
                        if len(frames) != 2:
                            fail("a STREAM message without two frames")
                        if frames[1]:
                            s.send_multipart(frames)
                            echoed += len(frames[1])
                elif action == "repeat":
                    messages = [message(spec) for spec in values[1:] + args]
                    args = []
                    n = 0
                    while not stdin_ready(number(values[0])):
                        s.send_multipart(messages[n % len(messages)])
                        n += 1
                elif action == "wait":
                    if not stdin_ready(30000):
                        fail("nothing on standard input in 30 s")
                elif action == "sleep":
                    time.sleep(number(values[0]) / 1000)
        except zmq.Again:
            fail("timed out")
        except zmq.ZMQError as error:
            fail(str(error))
        s.close()
        ctx.term()
        """#
}

/// `Tests/Peers/zmqpeer.c`, compiled against the system libzmq on first use.
final class CPeer: PeerProcess {
    /// `Tests/Peers/zmqpeer.c` in the package.
    static let source = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Interop
        .deletingLastPathComponent()  // ZeroMQTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Peers/zmqpeer.c")

    /// Runs a test only where a C compiler is on `PATH`, or always when peers are required.
    static let condition: ConditionTrait = .enabled(
        if: PeerPrograms.cCompiler != nil || PeerPrograms.required,
        "no C compiler (cc) on PATH: cannot build the C peer")

    private static let build = Mutex<Result<URL, PeerError>?>(nil)

    /// The compiled program; the first call compiles it (the others wait for that).
    ///
    /// - Throws: `PeerError` with the compiler's output when it does not compile.
    static func binary() throws(PeerError) -> URL {
        try build.withLock { build in
            if build == nil { build = compile() }
            return build!
        }.get()
    }

    private static func compile() -> Result<URL, PeerError> {
        guard let compiler = PeerPrograms.cCompiler else { return .failure(PeerError("no C compiler: cc is not on PATH")) }
        let output = "\(TestEnvironment.temporaryFolder)/zmqpeer"
        do {
            let cc = try PeerProcess(
                executable: compiler, arguments: ["-O2", source.path, "-lzmq", "-o", output], name: "cc")
            let (status, _, errors) = cc.finish(timeout: .seconds(60))
            guard status == 0 else {
                return .failure(PeerError("cc -O2 \(source.path) -lzmq failed: \(errors)"))
            }
            return .success(URL(fileURLWithPath: output))
        } catch {
            return .failure(PeerError("cannot run cc: \(error)"))
        }
    }

    /// Starts `zmqpeer arguments…`.
    init(arguments: [String]) throws {
        try super.init(executable: try Self.binary(), arguments: arguments, name: "the C peer")
    }
}

/// Which independent implementation runs `zmqpeer`.
enum InteropPeer: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// pyzmq, with its own bundled libzmq.
    case pyzmq
    /// zmqpeer.c against the system libzmq.
    case c

    var testDescription: String { rawValue }

    /// Whether this peer can run here.
    var isAvailable: Bool {
        switch self {
        case .pyzmq: PeerPrograms.hasPyZMQ
        case .c: PeerPrograms.cCompiler != nil
        }
    }

    /// The peers to test against: those available here, or all of them when peers are
    /// required (then a missing one fails). A missing peer's own check in `InteropPeerTests`
    /// is skipped with the reason.
    static var testable: [InteropPeer] {
        allCases.filter { PeerPrograms.required || $0.isAvailable }
    }

    /// Starts `zmqpeer arguments…` in this implementation.
    ///
    /// - Throws: `PeerError` at once when the peer is missing (it runs only when peers are
    ///   required), rather than a timeout later.
    func start(_ arguments: [String]) throws -> PeerProcess {
        switch self {
        case .pyzmq where !PeerPrograms.hasPyZMQ:
            throw PeerError("pyzmq is required (ZEROMQ_REQUIRE_PEERS=1), but python3 can't import zmq: run `make test-deps`")
        case .pyzmq: try PythonPeer(script: PythonPeer.zmqpeer, arguments: arguments)
        case .c: try CPeer(arguments: arguments)
        }
    }
}

/// Lowercase hex, "-" for no bytes: zmqpeer's notation for one frame.
func hex(_ bytes: some Collection<UInt8>) -> String {
    bytes.isEmpty ? "-" : bytes.map { String(format: "%02x", $0) }.joined()
}

/// Lowercase hex of a string's UTF-8 bytes.
func hex(_ text: String) -> String { hex(Array(text.utf8)) }

/// zmqpeer's `send` argument for a message: hex frames joined by ",".
func peerMessage(_ parts: [[UInt8]]) -> String { parts.map { hex($0) }.joined(separator: ",") }

/// zmqpeer's `send` argument for a message of text frames.
func peerMessage(_ parts: String...) -> String { parts.map { hex($0) }.joined(separator: ",") }

/// The line zmqpeer prints for a received message: hex frames joined by a space.
func peerLine(_ parts: [[UInt8]]) -> String { parts.map { hex($0) }.joined(separator: " ") }

/// The line zmqpeer prints for a received message of text frames.
func peerLine(_ parts: String...) -> String { parts.map { hex($0) }.joined(separator: " ") }
