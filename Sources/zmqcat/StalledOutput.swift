#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ExampleSupport
import Synchronization

/// Lets SIGINT and SIGTERM end zmqcat while it is blocked writing to standard output.
///
/// A signal shuts the ZeroMQ context down, which wakes every ZeroMQ call, but not a
/// `write(2)` to a pipe whose reader has stopped reading (`zmqcat sub … | less`, paused): the
/// process would stay blocked until the reader goes away. ``OutputBuffer`` brackets each
/// write with ``begin()`` and ``end()``; on a signal, if a write is under way and makes no
/// progress for ``patience``, the process exits at once with status 0, as it does on a
/// signal in any other state (what it was writing could not be delivered anyway).
enum StalledOutput {
    /// Counts the starts and ends of writes: odd while one is under way.
    private static let writes = Atomic<Int>(0)

    /// How long a write may go on after a signal before it counts as stalled.
    static let patience: Duration = .milliseconds(200)

    /// Notes that a write to standard output begins.
    @inline(__always)
    static func begin() { writes.add(1, ordering: .releasing) }

    /// Notes that it ended.
    @inline(__always)
    static func end() { writes.add(1, ordering: .releasing) }

    /// Arranges for a signal to end the process when the write under way stalls.
    ///
    /// Call it in `Demo.run`'s body, so that the signal also shuts the context down.
    static func exitOnSignal() {
        TerminationSignals.onSignal { _ in
            let seen = writes.load(ordering: .acquiring)
            guard seen % 2 == 1 else { return }
            let deadline = ContinuousClock.now + patience
            while ContinuousClock.now < deadline {
                // The write ended, or the next began: not stalled; the engine stops itself.
                if writes.load(ordering: .acquiring) != seen { return }
                usleep(10_000)
            }
            _exit(EXIT_SUCCESS)
        }
    }
}
