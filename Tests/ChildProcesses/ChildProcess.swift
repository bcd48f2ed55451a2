// The child processes the tests start: demos, zmqcat, pyzmq peers, C programs, compilers.
//
// Why not Foundation's `Process`: on Linux it learns that a child ended when a socket it
// leaks into the child closes, and every descriptor it creates (that socket, its `Pipe`s) is
// inheritable; a child it starts closes the descriptors that were open when it listed them,
// not those another thread opens in the meantime. Tests run in parallel, so a child started
// at the same moment as another can inherit the other's socket and pipes: the other's end
// then goes unnoticed, and its output never reaches end of file, until both have exited. In
// CI a demo that printed its error and exited at once was reported still running 20 s later
// while long-lived peers were being started. swift-corelibs-foundation issue 4795 describes
// the mechanism.
//
// Here every descriptor the parent creates is close-on-exec from birth (`pipe2`), a child
// gets only its three standard streams (`dup2` in the spawn's file actions, and
// `closefrom(3)` where glibc has it), and the end of a child is learnt from `waitpid` on its
// own process id, by a thread that waits for nothing else.

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A program running as a child process of the tests.
///
/// Its standard streams are the null device, a pipe whose bytes the tests read (see
/// ``standardOutput``), a file, or a descriptor the caller supplies. Nothing else of the test
/// process reaches it, and its end is noticed however many other children run at the same
/// time. A child still running when the value is released is killed.
public final class ChildProcess: Sendable {
    /// Where a child's standard input comes from.
    public enum Input: Sendable {
        /// The null device: the child reads end of file at once.
        case nullDevice
        /// A pipe the tests write to with ``writeToStandardInput(_:)`` and close with
        /// ``closeStandardInput()``.
        case pipe
        /// A file, opened for reading in the child.
        case file(String)
        /// A descriptor of the test process, duplicated as the child's standard input; the
        /// caller keeps its own copy and closes it.
        case descriptor(Int32)
    }

    /// Where a child's standard output or standard error goes.
    public enum Output: Sendable {
        /// The null device.
        case nullDevice
        /// A pipe read into memory on a thread of its own (see ``standardOutput``).
        case pipe
        /// A file, created (or truncated) in the child.
        case file(String)
    }

    /// How a child ended.
    public struct Termination: Sendable, Equatable {
        /// The exit status, or the signal number when ``signaled`` is true.
        public let status: Int32
        /// Whether a signal ended the process (a crash or a kill) rather than `exit`.
        public let signaled: Bool
        /// When the waiting thread saw the process end.
        public let instant: ContinuousClock.Instant
    }

    /// The child's process id.
    public let processIdentifier: Int32

    /// How the process ended, once the waiting thread has reaped it. A box of its own, so
    /// that the waiting thread does not keep the `ChildProcess` alive (its deinit kills a
    /// child that is still running).
    private let termination = TerminationBox()
    private let output: CapturedOutput?
    private let errors: CapturedOutput?
    /// The write end of the pipe on the child's standard input, or -1.
    private let input: Mutex<Int32>

    /// Starts `executable` with `arguments` (not including the program name) and the test
    /// process's environment.
    ///
    /// - Parameters:
    ///   - executable: The program's path; it is not looked up in `PATH`.
    ///   - arguments: The arguments after the program name.
    ///   - standardInput: The child's standard input.
    ///   - standardOutput: The child's standard output.
    ///   - standardError: The child's standard error.
    /// - Throws: ``ChildProcessError`` if a pipe cannot be made or the program cannot start.
    public init(
        executable: String, arguments: [String],
        standardInput: Input = .nullDevice, standardOutput: Output = .pipe, standardError: Output = .pipe
    ) throws(ChildProcessError) {
        Self.ignoreBrokenPipes()
        let actions = SpawnActions()
        defer { actions.destroy() }
        // The parent's ends of the pipes, and the child's ends to close once it has them.
        var inputWriter: Int32 = -1
        var outputReader: Int32 = -1
        var errorReader: Int32 = -1
        var childEnds: [Int32] = []
        var ownEnds: [Int32] = []
        defer { for descriptor in childEnds { close(descriptor) } }

        do {
            switch standardInput {
            case .nullDevice: try actions.open(0, "/dev/null", O_RDONLY)
            case .file(let path): try actions.open(0, path, O_RDONLY)
            case .descriptor(let descriptor): try actions.duplicate(descriptor, as: 0)
            case .pipe:
                let (reader, writer) = try makePipe()
                childEnds.append(reader)
                ownEnds.append(writer)
                inputWriter = writer
                try actions.duplicate(reader, as: 0)
            }
            for (output, target) in [(standardOutput, Int32(1)), (standardError, Int32(2))] {
                switch output {
                case .nullDevice: try actions.open(target, "/dev/null", O_WRONLY)
                case .file(let path): try actions.open(target, path, O_WRONLY | O_CREAT | O_TRUNC)
                case .pipe:
                    let (reader, writer) = try makePipe()
                    childEnds.append(writer)
                    ownEnds.append(reader)
                    if target == 1 { outputReader = reader } else { errorReader = reader }
                    try actions.duplicate(writer, as: target)
                }
            }
            try actions.closeTheRest()
            processIdentifier = try spawn(executable, arguments, actions)
        } catch {
            for descriptor in ownEnds { close(descriptor) }
            throw error
        }

        input = Mutex(inputWriter)
        output = outputReader >= 0 ? CapturedOutput(reading: outputReader) : nil
        errors = errorReader >= 0 ? CapturedOutput(reading: errorReader) : nil
        let pid = processIdentifier
        Thread.detachNewThread { [termination] in
            let ended = reap(pid)
            termination.value.withLock { $0 = ended }
        }
    }

    private static let brokenPipesIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    private static func ignoreBrokenPipes() { _ = brokenPipesIgnored }

    deinit {
        send(SIGKILL)
        closeStandardInput()
    }

    /// How the process ended, or `nil` while it runs.
    public var ended: Termination? { termination.value.withLock { $0 } }

    /// Whether the process is still running.
    public var isRunning: Bool { ended == nil }

    /// Sends the process a signal, such as `SIGTERM`; nothing once it has ended.
    public func send(_ signal: Int32) {
        // The process id stays ours until the waiting thread reaps it, which is when `ended`
        // is set: checking first never signals a stranger that reused the id.
        termination.value.withLock { ended in
            if ended == nil { kill(processIdentifier, signal) }
        }
    }

    /// Waits for the process to end, up to `timeout`, blocking the calling thread.
    ///
    /// - Returns: How it ended, or `nil` if it still runs.
    public func waitForExit(timeout: Duration) -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ended { return ended }
            if ContinuousClock.now >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Waits for the process to end, up to `timeout`, without blocking a thread.
    ///
    /// - Returns: How it ended, or `nil` if it still runs.
    public func exit(within timeout: Duration) async throws -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ended { return ended }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Writes bytes to the child's standard input (a ``Input/pipe``).
    ///
    /// A child that no longer reads makes this throw (`EPIPE`): the test process ignores
    /// SIGPIPE from the first child it starts, so that a pipe whose reader has gone can't
    /// kill it. (The library never needs it: libzmq sends with `MSG_NOSIGNAL`.)
    ///
    /// - Throws: ``ChildProcessError`` if there is no such pipe, it is closed, or the child
    ///   no longer reads it.
    public func writeToStandardInput(_ bytes: some Collection<UInt8>) throws(ChildProcessError) {
        try input.withLock { (descriptor) throws(ChildProcessError) in
            guard descriptor >= 0 else { throw ChildProcessError("no open pipe on the child's standard input") }
            var remaining = Array(bytes)[...]
            while !remaining.isEmpty {
                let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ChildProcessError("cannot write to the child's standard input: errno \(errno)")
                }
                remaining = remaining.dropFirst(written)
            }
        }
    }

    /// Closes the pipe on the child's standard input, so that it reads end of file.
    public func closeStandardInput() {
        input.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }

    /// The bytes the child wrote to its standard output so far (a ``Output/pipe``).
    public var standardOutput: [UInt8] { output?.bytes ?? [] }

    /// The bytes the child wrote to its standard error so far (a ``Output/pipe``).
    public var standardError: [UInt8] { errors?.bytes ?? [] }

    /// When the pipes on standard output and standard error both reached end of file (as
    /// their reading threads saw it), or `nil` while one is open. `nil` too when neither is a
    /// pipe.
    public var endOfOutput: ContinuousClock.Instant? {
        let pipes = [output, errors].compactMap { $0 }
        guard !pipes.isEmpty else { return nil }
        var last: ContinuousClock.Instant?
        for captured in pipes {
            guard let ended = captured.endedAt else { return nil }
            last = max(last ?? ended, ended)
        }
        return last
    }

    /// Waits until the pipes on standard output and standard error reach end of file, at
    /// most until `deadline`.
    ///
    /// They do once the child and any process it started have exited; a grandchild that
    /// lives on keeps them open, and what the child wrote is here by the deadline anyway.
    public func waitForEndOfOutput(until deadline: ContinuousClock.Instant) async throws {
        for captured in [output, errors].compactMap({ $0 }) {
            while captured.endedAt == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}

/// How a child ended, shared with the thread that waits for it.
private final class TerminationBox: Sendable {
    let value = Mutex<ChildProcess.Termination?>(nil)
}

/// Why a child process could not be started or fed.
public struct ChildProcessError: Error, CustomStringConvertible, Sendable {
    /// What failed.
    public let description: String

    /// Creates an error that says what failed.
    public init(_ description: String) { self.description = description }
}

/// A pipe whose both ends are close-on-exec from birth, so that no child started by another
/// thread at the same moment inherits them.
private func makePipe() throws(ChildProcessError) -> (reader: Int32, writer: Int32) {
    guard let pipeWithFlags else { throw ChildProcessError("this C library has no pipe2") }
    var ends: [Int32] = [-1, -1]
    guard pipeWithFlags(&ends, O_CLOEXEC) == 0 else {
        throw ChildProcessError("cannot create a pipe: errno \(errno)")
    }
    return (ends[0], ends[1])
}

/// `pipe2`, which Swift's Glibc module does not import (it is a GNU extension), looked up at
/// run time.
private let pipeWithFlags: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
}()

/// Starts the program, with no signal blocked, the default action for SIGPIPE, SIGINT and
/// SIGTERM, and in a process group of its own.
///
/// A child inherits the signal mask of the thread that spawns it, and the threads of Swift's
/// cooperative pool block nearly every signal, SIGTERM included: a C program started from a
/// test would then ignore the SIGTERM that stops it. Spawning with nothing blocked starts
/// children as a shell does. (The demos block SIGINT and SIGTERM themselves, and wait for
/// them with `sigwait`.) The test process ignores SIGPIPE (see
/// ``ChildProcess/writeToStandardInput(_:)``), and an ignored signal stays ignored across
/// `exec`: the child gets the default back, as from a shell. Its own process group keeps a
/// Ctrl-C in the terminal running the tests from reaching it, as with Foundation's `Process`.
private func spawn(_ executable: String, _ arguments: [String], _ actions: SpawnActions) throws(ChildProcessError) -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable, actions.actions, &attributes, argv, environ)
    guard status == 0 else {
        throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(status)))")
    }
    return pid
}

/// Waits until the process ends and reaps it.
private func reap(_ pid: pid_t) -> ChildProcess.Termination {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        guard errno == EINTR else {
            // Only a bug (someone else reaped our child) gets here; report it as a crash.
            return ChildProcess.Termination(status: -1, signaled: true, instant: .now)
        }
    }
    let now = ContinuousClock.now
    // WIFSIGNALED and WTERMSIG are macros Swift can't import: the low 7 bits hold the signal
    // number (0 when the process exited, 0x7f when it stopped); the exit status is in bits 8–15.
    let signal = status & 0x7f
    if signal != 0 && signal != 0x7f {
        return ChildProcess.Termination(status: signal, signaled: true, instant: now)
    }
    return ChildProcess.Termination(status: (status >> 8) & 0xff, signaled: false, instant: now)
}
