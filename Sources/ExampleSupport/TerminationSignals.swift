#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
public import ZeroMQ

/// Turns SIGINT and SIGTERM into an orderly stop.
///
/// The library retries system calls that a signal interrupts (`EINTR`), so a classic signal
/// handler cannot wake a thread blocked in a receive. Instead, the demos block both signals
/// and let one dedicated thread wait for them with `sigwait`; when one arrives, that thread
/// shuts the context down, and the blocked call throws ``ZMQError/contextTerminated``, which
/// the demo treats as a normal end.
///
/// ```swift
/// TerminationSignals.block()                       // first, before any thread exists
/// let context = try Context()
/// TerminationSignals.shutDownOnSignal(context)
/// ```
///
/// Should a demo still be running a second after the first signal, another signal ends the
/// process at once with status 128 + the signal number, so a stuck demo can always be
/// interrupted. Signals in that first second are ignored: one Ctrl-C or `kill` often arrives
/// twice (GNU `timeout`, for one, signals its child and then its whole process group).
///
/// ``Demo/run(_:)`` does all of this for you. All members are thread safe.
public enum TerminationSignals {
    /// The signals that stop a demo: SIGINT (Ctrl-C) and SIGTERM.
    public static let stopSignals: [CInt] = [SIGINT, SIGTERM]

    private struct State {
        var isBlocked = false
        var watcherStarted = false
        var actions: [@Sendable (CInt) -> Void] = []
        var received: CInt?
        var receivedAt: ContinuousClock.Instant?
    }

    /// How long after the first signal further signals are taken as duplicates of it.
    private static let gracePeriod: Duration = .seconds(1)

    private static let state = Mutex(State())

    /// Blocks SIGINT and SIGTERM in the calling thread and in every thread it creates later.
    ///
    /// Call it from the main thread before creating a ``Context`` or any other thread, since
    /// threads inherit the signal mask of the thread that creates them: a thread created
    /// earlier could still receive the signal and end the process by default. Calling it
    /// again does nothing.
    ///
    /// It also restores the default action of signals the process inherited as ignored, as
    /// a shell's background jobs inherit SIGINT, since an ignored signal never reaches
    /// `sigwait`.
    ///
    /// The corresponding C functions are `pthread_sigmask` and `signal`.
    public static func block() {
        state.withLock { state in
            guard !state.isBlocked else { return }
            var signals = stopSignalSet()
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            // A shell starts background jobs (`demo &` in a script) with SIGINT ignored, and
            // an ignored signal is discarded before `sigwait` can see it. Restore the default
            // action; it never runs while the signals are blocked.
            for number in stopSignals { _ = signal(number, SIG_DFL) }
            state.isBlocked = true
        }
    }

    /// Calls `action` on a dedicated thread when SIGINT or SIGTERM arrives.
    ///
    /// Blocks the signals first if ``block()`` has not been called yet. Actions run once, in
    /// the order they were added, on the first signal; an action added after that signal runs
    /// at once.
    ///
    /// - Parameter action: What to do; it receives the signal number. It must not block for
    ///   long, and must be safe to call from any thread.
    ///
    /// The corresponding C function is `sigwait`.
    public static func onSignal(_ action: @escaping @Sendable (CInt) -> Void) {
        block()
        let (alreadyReceived, mustStartWatcher) = state.withLock { state -> (CInt?, Bool) in
            if state.received == nil { state.actions.append(action) }
            defer { state.watcherStarted = true }
            return (state.received, !state.watcherStarted)
        }
        if let alreadyReceived { action(alreadyReceived) }
        if mustStartWatcher { startWatcher() }
    }

    /// Shuts `context` down when SIGINT or SIGTERM arrives, waking every blocked call on its
    /// sockets with ``ZMQError/contextTerminated``.
    ///
    /// - Parameter context: The context to shut down with ``Context/shutdown()``.
    public static func shutDownOnSignal(_ context: Context) {
        onSignal { _ in context.shutdown() }
    }

    /// The signal that arrived, or `nil` if none has.
    public static var received: CInt? {
        state.withLock { $0.received }
    }

    private static func stopSignalSet() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in stopSignals { sigaddset(&signals, signal) }
        return signals
    }

    private static func startWatcher() {
        do {
            _ = try SocketThread<Never, Never>(name: "signal-watcher") { watch() }
        } catch {
            Console.error("warning: cannot watch for SIGINT/SIGTERM: \(error)")
        }
    }

    /// The watcher thread's loop: runs the actions on the first signal, ignores repeats within
    /// the grace period, and exits on a signal after it.
    private static func watch() -> Never {
        var signals = stopSignalSet()
        while true {
            var signal: CInt = 0
            guard sigwait(&signals, &signal) == 0 else { continue }
            let now = ContinuousClock.now
            let (actions, forceExit) = state.withLock { state -> ([@Sendable (CInt) -> Void], Bool) in
                guard let first = state.receivedAt else {
                    state.received = signal
                    state.receivedAt = now
                    defer { state.actions = [] }
                    return (state.actions, false)
                }
                return ([], first.duration(to: now) >= gracePeriod)
            }
            if forceExit {
                Console.error("interrupted again: exiting now")
                _exit(128 + signal)
            }
            for action in actions { action(signal) }
        }
    }
}
