import ChildProcesses
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The longest a demo may run in a test before it is killed and the test fails.
let processTimeout: Duration = .seconds(20)

/// The folder holding the built demos: the one the test bundle was built into (such as
/// `.build/debug`), or `$DEMO_BIN_DIR` when set.
let demoBinaryFolder: URL = {
    if let folder = ProcessInfo.processInfo.environment["DEMO_BIN_DIR"] {
        return URL(fileURLWithPath: folder, isDirectory: true)
    }
    // `swift test` runs `<bin>/<Package>PackageTests.xctest`, which sits next to the demos.
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
}()

/// What a finished demo left behind.
struct DemoResult: Sendable {
    /// The exit status, or the signal number when `signaled` is true.
    let status: Int32
    /// Whether the process was ended by a signal (a crash, or a kill) instead of exiting.
    let signaled: Bool
    let standardOutput: String
    let standardError: String

    /// Whether the process exited (not killed by a signal) with status 0.
    var exitedCleanly: Bool { !signaled && status == 0 }

    /// The lines of standard output.
    var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }

    /// The lines of standard error.
    var errorLines: [String] { standardError.split(separator: "\n").map(String.init) }

    /// Expects a usage error of demo `name`: status 64 (EX_USAGE, ArgumentParser's status for
    /// a validation error), the reason first on stderr, then the usage (the whole help when an
    /// option is missing), and nothing on stdout.
    func expectUsageError(of name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!signaled, "\(name) crashed with signal \(status)", sourceLocation: sourceLocation)
        #expect(status == 64, sourceLocation: sourceLocation)
        #expect(standardError.hasPrefix("Error: "), "stderr: \(standardError)", sourceLocation: sourceLocation)
        #expect(standardError.contains("Usage: \(name)") || standardError.contains("USAGE: \(name)"),
                sourceLocation: sourceLocation)
        #expect(standardOutput.isEmpty, sourceLocation: sourceLocation)
    }

    /// Expects a demo's failure to bind or connect: status 1, a last stderr line starting with
    /// `error`, and nothing on stdout.
    func expectEndpointError(_ error: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!signaled, sourceLocation: sourceLocation)
        #expect(status == 1, sourceLocation: sourceLocation)
        #expect(errorLines.last?.hasPrefix(error) == true, "stderr: \(standardError)", sourceLocation: sourceLocation)
        #expect(standardOutput.isEmpty, sourceLocation: sourceLocation)
    }
}

/// One of a child process's output streams.
enum StandardStream: Sendable, CustomStringConvertible {
    case standardOutput, standardError

    var description: String { self == .standardOutput ? "stdout" : "stderr" }
}

/// A demo executable running as a child process, with its output captured.
///
/// It can also run another program, such as one of the Guide's C programs the tests compile
/// (see `init(executable:name:_:standardInput:)`).
///
/// Every wait is bounded: a demo that outlives ``processTimeout`` is killed and the test
/// fails. A demo still running when the value is released is killed too, so a failing test
/// leaves nothing behind.
final class DemoProcess: Sendable {
    let name: String
    private let child: ChildProcess

    /// Starts a demo.
    ///
    /// - Parameters:
    ///   - name: The executable's name, such as `echo-server`.
    ///   - arguments: Its command-line arguments.
    convenience init(_ name: String, _ arguments: [String]) throws {
        let executable = demoBinaryFolder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw DemoTestError("\(executable.path) is missing; build the demos first (swift build)")
        }
        try self.init(executable: executable, name: name, arguments)
    }

    /// Starts any program, with standard output and standard error captured.
    ///
    /// - Parameters:
    ///   - executable: The program.
    ///   - name: What messages call it, such as `taskvent.c`.
    ///   - arguments: Its command-line arguments.
    ///   - standardInput: Whether to give it a pipe on standard input, for
    ///     ``writeToStandardInput(_:)``; otherwise it reads from `/dev/null`.
    convenience init(executable: URL, name: String, _ arguments: [String], standardInput: Bool = false) throws {
        try self.init(
            executable: executable, name: name, arguments, input: standardInput ? .pipe : .nullDevice, output: .pipe)
    }

    /// Starts any program with standard error captured, and standard input and standard
    /// output as given.
    ///
    /// - Parameters:
    ///   - executable: The program.
    ///   - name: What messages call it.
    ///   - arguments: Its command-line arguments.
    ///   - input: Its standard input.
    ///   - output: Its standard output; ``standardOutput`` holds it only when it is a pipe.
    init(
        executable: URL, name: String, _ arguments: [String],
        input: ChildProcess.Input, output: ChildProcess.Output
    ) throws {
        self.name = name
        child = try ChildProcess(
            executable: executable.path, arguments: arguments,
            standardInput: input, standardOutput: output, standardError: .pipe)
    }

    /// Runs a demo to completion.
    static func run(_ name: String, _ arguments: [String]) async throws -> DemoResult {
        let demo = try DemoProcess(name, arguments)
        return try await demo.finish()
    }

    /// The standard output so far.
    var standardOutput: String { String(decoding: child.standardOutput, as: UTF8.self) }

    /// The standard error so far.
    var standardError: String { String(decoding: child.standardError, as: UTF8.self) }

    /// Whether the process is still running.
    var isRunning: Bool { child.isRunning }

    /// Writes text to the process's standard input (a pipe, given at start).
    ///
    /// - Throws: An error if the process was started without a pipe on standard input, or
    ///   the write fails.
    func writeToStandardInput(_ text: String) throws {
        try child.writeToStandardInput(Array(text.utf8))
    }

    /// Sends the process a signal, such as `SIGINT`.
    func send(_ signal: Int32) {
        child.send(signal)
    }

    /// Waits until standard output, or standard error, contains `text`.
    ///
    /// - Parameters:
    ///   - text: The text to wait for.
    ///   - stream: The stream to watch: standard output (for data lines) unless told.
    /// - Throws: An error, after killing the demo, if the text does not appear within
    ///   ``processTimeout`` or the demo ends without printing it.
    func waitForOutput(_ text: String, on stream: StandardStream = .standardOutput) async throws {
        func printed() -> String { stream == .standardOutput ? standardOutput : standardError }
        let deadline = ContinuousClock.now + processTimeout
        while !printed().contains(text) {
            if !child.isRunning {
                // Give the reader a moment to drain what the process wrote before exiting.
                try await child.waitForEndOfOutput(until: .now + .seconds(2))
                if printed().contains(text) { return }
                throw DemoTestError("\(name) ended without printing '\(text)' on \(stream); \(describeOutput())")
            }
            if ContinuousClock.now > deadline {
                send(SIGKILL)
                throw DemoTestError(
                    "\(name) did not print '\(text)' on \(stream) within \(processTimeout); \(describeOutput())")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for the process to end and returns its status and output.
    ///
    /// - Parameter timeout: How long to wait before killing the process.
    /// - Throws: An error, after killing the demo, if it does not end in time.
    func finish(within timeout: Duration = processTimeout) async throws -> DemoResult {
        guard let ended = try await child.exit(within: timeout) else {
            send(SIGKILL)
            throw DemoTestError("\(name) did not exit within \(timeout); \(describeOutput())")
        }
        try await child.waitForEndOfOutput(until: .now + .seconds(2))
        return DemoResult(
            status: ended.status, signaled: ended.signaled,
            standardOutput: standardOutput, standardError: standardError)
    }

    /// Sends a signal, and returns the result and how long the demo took to exit.
    func stop(with signal: Int32 = SIGTERM) async throws -> (DemoResult, Duration) {
        let start = ContinuousClock.now
        send(signal)
        let result = try await finish()
        return (result, (child.ended?.instant ?? .now) - start)
    }

    private func describeOutput() -> String {
        "stdout: \(standardOutput.debugDescription), stderr: \(standardError.debugDescription)"
    }
}

struct DemoTestError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Fresh loopback TCP endpoints for the demos, which take explicit endpoints.
///
/// The kernel picks a free port: a socket with `SO_REUSEADDR` is bound to port 0 and then
/// kept open, never listening, for the rest of the test run. That reserves the port: no other
/// socket without `SO_REUSEADDR`, in this process or another test run, can bind it (and the
/// kernel does not hand it out for port 0), yet the demo can, since libzmq sets
/// `SO_REUSEADDR` and Linux lets a listener share a port with bound sockets that are not
/// listening. So tests running in parallel never collide, and no port is fixed.
enum Endpoints {
    /// The reserved ports, with the descriptors that hold them.
    private static let reserved = Mutex<[UInt16: Int32]>([:])

    /// A `tcp://127.0.0.1:<port>` endpoint that nothing listens on yet.
    static func fresh() throws -> String {
        for _ in 0..<100 {
            let (port, descriptor) = try reservePort()
            let isNew = reserved.withLock { reserved in
                guard reserved[port] == nil else { return false }
                reserved[port] = descriptor
                return true
            }
            if isNew { return "tcp://127.0.0.1:\(port)" }
            close(descriptor)
        }
        throw DemoTestError("cannot find a free TCP port")
    }

    private static func reservePort() throws -> (UInt16, Int32) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw DemoTestError("socket() failed: errno \(errno)") }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            let error = errno
            close(descriptor)
            throw DemoTestError("cannot bind a loopback port: errno \(error)")
        }
        return (UInt16(bigEndian: address.sin_port), descriptor)
    }
}
