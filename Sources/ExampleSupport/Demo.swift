#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Synchronization
public import ZeroMQ

/// The frame every demo runs in: signals, a context, and error reporting.
///
/// ```swift
/// func run() throws {
///     try Demo.run { context in
///         let socket = try ReplySocket(context: context)
///         try attempt("bind to '\(endpoint)'") { () throws(ZMQError) in try socket.bind(to: endpoint) }
///         …
///     }
/// }
/// ```
///
/// All members are thread safe.
public enum Demo {
    /// Whether the demo's body has returned, so that only lingering is left.
    private static let bodyFinished = Atomic<Bool>(false)

    /// Runs a demo's body with a fresh context that shuts down on SIGINT or SIGTERM.
    ///
    /// Before anything else this makes standard output line buffered and blocks SIGINT and
    /// SIGTERM (see ``TerminationSignals``), so call it at the very start of `run()`, before
    /// creating any thread. Then it creates a ``Context``, arranges for a signal to shut it
    /// down, and calls `body`.
    ///
    /// When `body` returns, its sockets are closed; `run` then terminates the context, which
    /// waits for each socket's linger period so that queued messages are still delivered.
    ///
    /// Ending through a signal is a normal result: when `body` throws
    /// ``ZMQError/contextTerminated`` after a signal shut the context down, the process exits
    /// at once with status 0, without waiting for queued messages. Any other error is printed
    /// on standard error as `error: …` and turned into ``ExitCode/failure``, so a demo never
    /// traps on bad input. A signal that arrives while the context is waiting for lingering
    /// messages, after `body` returned, also ends the process at once with status 0.
    ///
    /// The context has the default ``Context/defaultLinger`` of one second; a demo that must
    /// deliver more patiently sets a longer linger on its sockets.
    ///
    /// - Parameter body: The demo. It receives the context to create its sockets in.
    /// - Throws: ``ExitCode/failure`` after printing the error, or an ``ExitCode`` or
    ///   `ValidationError` that `body` threw, unchanged, for ArgumentParser to report.
    public static func run(_ body: (Context) throws -> Void) throws {
        Console.lineBufferStandardOutput()
        TerminationSignals.block()
        let context: Context
        do {
            context = try Context()
        } catch {
            Console.error("error: cannot create a ZeroMQ context: \(error)")
            throw ExitCode.failure
        }
        TerminationSignals.shutDownOnSignal(context)
        TerminationSignals.onSignal { _ in
            // Once `body` is done, the context is terminating: only the delivery of queued
            // messages is left, and a signal abandons it.
            if bodyFinished.load(ordering: .acquiring) {
                fflush(nil)
                _exit(EXIT_SUCCESS)
            }
        }
        // The sockets made in `body` are closed by the time it returns or throws, so this
        // does not wait for ever; it waits at most for their linger periods.
        defer { context.terminate() }
        let outcome = Result { try body(context) }
        bodyFinished.store(true, ordering: .releasing)
        do {
            try outcome.get()
        } catch ZMQError.contextTerminated where context.isShutDown {
            // Stopped by SIGINT or SIGTERM: a normal end, and an immediate one. Terminating
            // the context would wait up to each socket's linger period for peers that may
            // never come (a SUB socket's subscription to an absent publisher, say), so the
            // process exits now and drops whatever is still queued. `_exit` skips exit-time
            // destructors, which must not run while libzmq's threads are still live.
            fflush(nil)
            _exit(EXIT_SUCCESS)
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Waits for a while, unless the context is shut down first.
    ///
    /// Demos use it for their pauses, so that SIGINT or SIGTERM stops them promptly even
    /// while they are not blocked in a ZeroMQ call.
    ///
    /// - Parameters:
    ///   - duration: How long to wait; zero or negative returns at once.
    ///   - context: The context whose shutdown ends the wait early.
    /// - Throws: ``ZMQError/contextTerminated`` if the context is, or becomes, shut down.
    public static func sleep(for duration: Duration, in context: Context) throws(ZMQError) {
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        while true {
            if context.isShutDown { throw .contextTerminated }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return }
            let slice = min(remaining, .milliseconds(10))
            let (seconds, attoseconds) = slice.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&request, nil)
        }
    }
}
