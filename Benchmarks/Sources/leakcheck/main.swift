// leakcheck [--count N] [--only PATH,…] [--list]
//
// The program `make leakcheck` runs under valgrind memcheck (Benchmarks/leakcheck.sh): every
// send and receive path of the library, each with N messages (100,000 by default) checked on
// arrival, plus the monitor, the device, and errors with their context. Each path uses a
// context of its own and terminates it, so that at exit nothing the library or libzmq
// allocated for it is left: valgrind's leak report then speaks of the Swift layer alone.
//
// Standard output gets one line per path: `<path> <transport> <messages> <seconds>`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PerfSupport
import ZeroMQ

let usage = "usage: leakcheck [--count N] [--connections N] [--only PATH,...] [--list] [--inject leak|invalid-read]"
let help = """
    \(usage)

    Runs every send and receive path of the ZeroMQ library with N messages each, checking
    every message on arrival; meant to run under valgrind (Benchmarks/leakcheck.sh, make
    leakcheck). Prints one line per path on standard output: the path, its transport, the
    messages (or iterations) and the seconds it took. Exits 1 with the reason when a message
    does not arrive as sent.

      --count N        messages per path (default 100000); the errors path makes N / 10
                       rounds of four errors
      --connections N  connections made and dropped under the monitors (default 200)
      --only PATHS     run only these paths (comma-separated names from --list)
      --list           print the paths and exit
      --inject FAULT   make a mistake on purpose once per message of the message path, to show
                       that valgrind catches it: leak (a Swift object never released) or
                       invalid-read (a byte read just past a heap block)
    """

/// One path: its name, transport, and the work.
struct Path {
    enum Body {
        case blocking((Int) throws -> Void)
        case async(@Sendable (Int) async throws -> Void)
    }

    let name: String
    let transport: String
    /// What it exercises, for `--list`.
    let summary: String
    /// Whether `--connections` is its size rather than `--count`.
    var countsConnections = false
    /// Its size is this fraction of the count (the errors path).
    var divisor = 1
    let body: Body
}

let paths: [Path] = [
    Path(name: "bytes", transport: "tcp",
         summary: "send [UInt8], slices, lazy sequences and buffers; receiveBytes, receive(into: buffer), receive()",
         body: .blocking { try bytesPath(count: $0, over: .tcp) }),
    Path(name: "string", transport: "ipc", summary: "send(String), Message(String); receiveString, Message.string",
         body: .blocking { try stringPath(count: $0, over: .ipc) }),
    Path(name: "message", transport: "inproc",
         summary: "reused Message both ways (rebuild, inout send/receive, echo), consuming send, move, share, metadata",
         body: .blocking { try messagePath(count: $0, over: .inproc) }),
    Path(name: "message-tcp", transport: "tcp", summary: "the message path over tcp",
         body: .blocking { try messagePath(count: $0, over: .tcp) }),
    Path(name: "zero-copy", transport: "inproc",
         summary: "Message(adopting:release:) freed by its release closure (each exactly once), Message(immortal:)",
         body: .blocking { try zeroCopyPath(count: $0, over: .inproc) }),
    Path(name: "zero-copy-tcp", transport: "tcp", summary: "the zero-copy path over tcp (released after encoding)",
         body: .blocking { try zeroCopyPath(count: $0, over: .tcp) }),
    Path(name: "multipart", transport: "tcp",
         summary: "Multipart built, reused, sent and received, popFirst/popLast; send(multipart:), receiveMultipart; ROUTER/DEALER",
         body: .blocking { try multipartPath(count: $0, over: .tcp) }),
    Path(name: "poller", transport: "tcp", summary: "Poller over two sockets and a pipe, receive(.dontWait); polling for room to send",
         body: .blocking { try pollerPath(count: $0, over: .tcp) }),
    Path(name: "device", transport: "ipc", summary: "a streamer Device forwarding, its statistics, stop and wait",
         body: .blocking { try devicePath(count: $0, over: .ipc) }),
    Path(name: "errors", transport: "-",
         summary: "bad endpoints, EFSM, out-of-range options, shut-down context: errors with their context; would-block",
         divisor: 10, body: .blocking { try errorsPath(count: $0) }),
    Path(name: "monitor", transport: "tcp",
         summary: "SocketMonitor.receiveEvent over connections made and dropped; monitors dropped while monitoring",
         countsConnections: true, body: .blocking { try monitorPath(connections: $0) }),
    Path(name: "authenticator", transport: "tcp",
         summary: "Authenticator: CURVE by key and by certificate folder, PLAIN, a denied address; messages with User-Id; refusals; stop",
         body: .blocking { try authenticatorPath(count: $0, connections: options.connections) }),
    Path(name: "async-message", transport: "tcp",
         summary: "await send(inout/consuming Message, bytes, String); await receive(into:), receive(), receiveBytes, receiveString",
         body: .async { try await asyncMessagePath(count: $0, over: .tcp) }),
    Path(name: "async-multipart", transport: "inproc",
         summary: "await send(inout/consuming Multipart, multipart:); await receive(into: Multipart), receiveMultipart",
         body: .async { try await asyncMultipartPath(count: $0, over: .inproc) }),
    Path(name: "async-sequences", transport: "tcp",
         summary: "for try await over messages and multipartMessages, fed by a task sending with await",
         body: .async { try await asyncSequencesPath(count: $0, over: .tcp) }),
    Path(name: "async-serve", transport: "ipc",
         summary: "serve on a ROUTER echoing through its OutboundWriter; withOutboundWriter fed by four tasks",
         body: .async { try await asyncServePath(count: $0, over: .ipc) }),
    Path(name: "async-event-loop", transport: "tcp",
         summary: "the async-message path with its task on AsyncEventLoopExecutor (the event thread as executor)",
         body: .async { count in
             try await withTaskExecutorPreference(try AsyncEventLoopExecutor.shared()) {
                 try await asyncMessagePath(count: count, over: .tcp)
             }
         }),
    Path(name: "async-monitor", transport: "tcp", summary: "monitorEvents() as an AsyncSequence over connections made and dropped",
         countsConnections: true, body: .async { try await asyncMonitorPath(connections: $0) }),
]

/// The command line.
struct Options {
    var count = 100_000
    var connections = 200
    var only: Set<String>?
    var fault: InjectedFault?

    static func parse(paths: [Path]) -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst()
        func number(after name: String) -> Int {
            guard let text = arguments.popFirst(), let value = Int(text), value > 0 else {
                fail("leakcheck: \(name) needs a whole number above 0\n\(usage)")
            }
            return value
        }
        while let argument = arguments.popFirst() {
            switch argument {
            case "-h", "--help":
                print(help)
                exit(0)
            case "--list":
                for path in paths { print("\(path.name) (\(path.transport)): \(path.summary)") }
                exit(0)
            case "--inject":
                guard let name = arguments.popFirst(), let fault = InjectedFault(rawValue: name) else {
                    fail("leakcheck: --inject needs leak or invalid-read\n\(usage)")
                }
                options.fault = fault
            case "--count": options.count = number(after: argument)
            case "--connections": options.connections = number(after: argument)
            case "--only":
                guard let list = arguments.popFirst() else { fail("leakcheck: --only needs path names\n\(usage)") }
                let names = Set(list.split(separator: ",").map(String.init))
                let unknown = names.subtracting(paths.map(\.name))
                guard unknown.isEmpty else {
                    fail("leakcheck: unknown path(s) \(unknown.sorted().joined(separator: ", ")) (see --list)")
                }
                options.only = names
            default:
                fail("leakcheck: unexpected argument '\(argument)'\n\(usage)")
            }
        }
        return options
    }
}

let options = Options.parse(paths: paths)
injectedFault = options.fault
// SIGINT/SIGTERM: stop at once, with status 0 (valgrind still prints its report).
StopSignals.watch { _ in _exit(0) }

let selected = paths.filter { options.only?.contains($0.name) ?? true }
let total = ContinuousClock.now
for path in selected {
    let size = path.countsConnections ? options.connections : max(1, options.count / path.divisor)
    let start = ContinuousClock.now
    switch path.body {
    case .blocking(let body):
        do {
            try body(size)
        } catch {
            fail("leakcheck: FAIL \(path.name): \(error)")
        }
    case .async(let body):
        let name = path.name
        runAsyncMain {
            do {
                try await body(size)
            } catch {
                fail("leakcheck: FAIL \(name): \(error)")
            }
        }
    }
    print("\(path.name) \(path.transport) \(size) \(seconds(since: start))")
}
printError("leakcheck: \(selected.count) paths passed in \(seconds(since: total)) s")
