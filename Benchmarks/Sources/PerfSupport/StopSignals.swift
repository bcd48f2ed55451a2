import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM for the long-running tools (soak, leakcheck), which stop cleanly on
/// them and exit 0, as the house rule for command-line programs asks.
///
/// ``watch(_:)`` blocks both signals in the calling thread, so call it from the main thread
/// before any other thread starts (libzmq's threads, the Swift concurrency pool): they inherit
/// the mask, and only the watcher thread, which waits with `sigwait`, ever sees the signals.
public enum StopSignals {
    private static let received = Atomic<Int32>(0)

    /// The signal that asked the tool to stop, or `nil` while none has arrived.
    public static var stopSignal: Int32? {
        let signal = received.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// Starts watching SIGINT and SIGTERM; on the first, records it and calls `action` (on the
    /// watcher thread), which should make the tool's loops return (shut its context down).
    /// A second signal exits at once with status 0.
    ///
    /// - Parameters:
    ///   - announce: Whether to say on standard error that a signal arrived (a child process
    ///     its parent stops need not).
    ///   - action: What to do on the first signal.
    public static func watch(announce: Bool = true, _ action: @escaping @Sendable (Int32) -> Void) {
        var signals = stopSet()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // A shell starts background jobs with SIGINT ignored, and an ignored signal is
        // discarded before sigwait can see it; the default action never runs while blocked.
        _ = signal(SIGINT, SIG_DFL)
        _ = signal(SIGTERM, SIG_DFL)
        do {
            _ = try SocketThread<Never, Never>(name: "stop-signals") { () -> Never in
                var signals = StopSignals.stopSet()
                while true {
                    var signal: Int32 = 0
                    guard sigwait(&signals, &signal) == 0 else { continue }
                    if received.compareExchange(
                        expected: 0, desired: signal, ordering: .acquiringAndReleasing).exchanged {
                        if announce { printError("interrupted by signal \(signal): stopping") }
                        action(signal)
                    } else {
                        _exit(0)
                    }
                }
            }
        } catch {
            printError("warning: cannot watch for SIGINT/SIGTERM: \(error)")
        }
    }

    fileprivate static func stopSet() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }
}
